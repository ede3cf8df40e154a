using Gradgen.Tutorial;

namespace Gradgen.Samples.Tests;

/// <summary>One in-process run of the whole tutorial sample, shared by the tests: its printed output and its plots.</summary>
public sealed class TutorialRun : IDisposable
{
    public TutorialRun()
    {
        PlotDirectory = Path.Combine(Path.GetTempPath(), "gradgen-tutorial-" + Guid.NewGuid().ToString("N"));
        var output = new StringWriter { NewLine = "\n" };
        Plots = Tutorial.Tutorial.Run(output, PlotDirectory);
        Output = output.ToString();
    }

    public string PlotDirectory { get; }

    public string Output { get; }

    public IReadOnlyList<string> Plots { get; }

    public void Dispose()
    {
        if (Directory.Exists(PlotDirectory))
        {
            Directory.Delete(PlotDirectory, recursive: true);
        }
    }
}
