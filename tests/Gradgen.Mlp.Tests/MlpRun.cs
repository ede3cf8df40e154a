using Gradgen.Mlp;

namespace Gradgen.Mlp.Tests;

/// <summary>One in-process run of the sample in <c>--quick</c> mode, shared by the tests: its result and printed output.</summary>
public sealed class MlpRun : IDisposable
{
    public MlpRun()
    {
        PlotDirectory = Path.Combine(Path.GetTempPath(), "gradgen-mlp-" + Guid.NewGuid().ToString("N"));
        var options = MlpOptions.Parse(["--quick", "--out", PlotDirectory], out _);
        var output = new StringWriter { NewLine = "\n" };
        Result = MlpSample.Run(options, output);
        Options = options;
        Output = output.ToString();
    }

    public string PlotDirectory { get; }

    public MlpOptions Options { get; }

    public MlpSampleResult Result { get; }

    public string Output { get; }

    public void Dispose()
    {
        if (Directory.Exists(PlotDirectory))
        {
            Directory.Delete(PlotDirectory, recursive: true);
        }
    }
}
