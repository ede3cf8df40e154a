namespace Gradgen.Generator.Tests.Mutation;

/// <summary>
/// The test assembly's entry point (it replaces the test SDK's empty one): <c>dotnet exec Gradgen.Generator.Tests.dll
/// mutation SEED COUNT</c> runs <see cref="MutationRun"/> in this process, for <see cref="MutationTests"/>. The exit
/// code is the number of failed cases (capped); a crash (a stack overflow) is a non-zero exit the test reports.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["mutation", var seed, var count])
        {
            return Math.Min(MutationRun.Run(int.Parse(seed, System.Globalization.CultureInfo.InvariantCulture), int.Parse(count, System.Globalization.CultureInfo.InvariantCulture), Console.Out), 100);
        }

        return 0;
    }
}
