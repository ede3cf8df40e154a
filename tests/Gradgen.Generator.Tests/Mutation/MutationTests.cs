using System.Diagnostics;

namespace Gradgen.Generator.Tests.Mutation;

/// <summary>
/// The generator under mutated source (<see cref="MutationRun"/>): 1,000 cases per run, in a child process, so that a
/// stack overflow in the generator fails this test with the case that caused it instead of killing the runner.
/// </summary>
public sealed class MutationTests
{
    private const int Cases = 1000;

    [Fact]
    public async Task AThousandMutantsNeitherCrashNorReportInternalErrorsAndCompileWhenTheyShould()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "exec", typeof(MutationRun).Assembly.Location, "mutation", "16", Cases.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start)!;
        var error = child.StandardError.ReadToEndAsync();
        var output = child.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        bool finished = true;
        try
        {
            await child.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            finished = false;
            child.Kill(entireProcessTree: true);
        }

        string log = await output;
        string errors = await error;
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string lastCase = lines.LastOrDefault(l => l.StartsWith("case ", StringComparison.Ordinal)) ?? "(none)";
        Assert.True(finished, $"the mutation run did not finish in 15 minutes; the last case started: {lastCase}");
        Assert.True(child.ExitCode == 0, $"the mutation run exited with {child.ExitCode}; the last case started: {lastCase}\n"
            + string.Join("\n", lines.Where(l => !l.StartsWith("case ", StringComparison.Ordinal)).TakeLast(60)) + "\n" + errors);
        Assert.Contains($"done {Cases} cases, 0 failed", log, StringComparison.Ordinal);
    }
}
