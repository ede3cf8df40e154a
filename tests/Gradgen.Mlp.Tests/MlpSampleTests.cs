using Gradgen.Mlp;

namespace Gradgen.Mlp.Tests;

/// <summary>The MLP sample, run in <c>--quick</c> mode: both models learn, the compiled path matches the eager one, the plot is written.</summary>
public sealed class MlpSampleTests(MlpRun run) : IClassFixture<MlpRun>
{
    [Fact]
    public void QuickRunHasTheQuickEpochCounts()
    {
        Assert.Equal(MlpOptions.Quick.Epochs, run.Result.CompiledLosses.Count);
        Assert.Equal(MlpOptions.Quick.Epochs, run.Result.SequentialLosses.Count);
        Assert.Equal(MlpOptions.Quick.MnistEpochs, run.Result.MnistLosses.Count);
        Assert.Equal(MlpOptions.Quick.MnistEpochs, run.Result.MnistAccuracies.Count);
    }

    [Fact]
    public void LossDecreasesForBothPerceptrons()
    {
        foreach (var losses in new[] { run.Result.CompiledLosses, run.Result.SequentialLosses })
        {
            Assert.All(losses, l => Assert.True(double.IsFinite(l), $"loss {l}"));
            Assert.True(losses[^1] < 0.1 * losses[0], $"loss went from {losses[0]} to {losses[^1]}");
        }
    }

    [Fact]
    public void CompiledAndSequentialFollowTheSameCurve()
    {
        // Same starting weights, same data: the compiled backward and eager autograd must agree step after step.
        for (int i = 0; i < run.Result.CompiledLosses.Count; i++)
        {
            double a = run.Result.CompiledLosses[i], b = run.Result.SequentialLosses[i];
            Assert.True(Math.Abs(a - b) <= 1e-4 * Math.Abs(b) + 1e-7, $"epoch {i + 1}: compiled {a}, Sequential {b}");
        }
    }

    [Fact]
    public void CallAndForwardAgreeOnTheTrainedModel()
    {
        Assert.InRange(run.Result.CallForwardOutputDifference, 0, 1e-5);
        Assert.InRange(run.Result.CallForwardGradientDifference, 0, 1e-5);
        Assert.Equal("MultiLayerPerceptronBackward", run.Result.CallNode);
    }

    [Fact]
    public void SyntheticMnistLossDecreasesAndAccuracyBeatsChance()
    {
        var losses = run.Result.MnistLosses;
        var accuracies = run.Result.MnistAccuracies;
        Assert.True(losses[^1] < losses[0], $"loss went from {losses[0]} to {losses[^1]}");
        Assert.True(accuracies[^1] >= accuracies[0], $"accuracy went from {accuracies[0]} to {accuracies[^1]}");
        Assert.True(accuracies[^1] > 0.5, $"accuracy {accuracies[^1]} (chance is 0.1)");
    }

    [Fact]
    public void LossCurvesAreWrittenAsPng()
    {
        string path = Path.Combine(run.PlotDirectory, "mlp-loss.png");
        Assert.Contains(path, run.Result.Plots);
        foreach (var plot in run.Result.Plots)
        {
            var bytes = File.ReadAllBytes(plot);
            Assert.True(bytes.Length > 1000, $"{plot} has {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        }
    }

    [Fact]
    public void PrintsAProgressLinePerEpochAndTheTimings()
    {
        var lines = run.Output.Split('\n');
        for (int epoch = 1; epoch <= MlpOptions.Quick.Epochs; epoch++)
            Assert.Contains(lines, l => l.TrimStart().StartsWith($"{epoch} ", StringComparison.Ordinal));
        Assert.Contains("compiled", run.Output, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("training step", StringComparison.Ordinal) && l.Contains("Sequential (eager)", StringComparison.Ordinal));
        Assert.True(run.Result.CompiledStepMicroseconds > 0 && run.Result.SequentialStepMicroseconds > 0);
    }

    [Theory]
    [InlineData(new[] { "--epochs", "7", "--out", "x" }, 7, 5, "x")]
    [InlineData(new[] { "--quick" }, 30, 3, "plots")]
    [InlineData(new[] { "--quick", "--epochs", "3" }, 3, 3, "plots")]
    public void ParsesTheCommandLine(string[] args, int epochs, int mnistEpochs, string outDir)
    {
        var options = MlpOptions.Parse(args, out bool help);
        Assert.False(help);
        Assert.Equal(epochs, options.Epochs);
        Assert.Equal(mnistEpochs, options.MnistEpochs);
        Assert.Equal(outDir, options.OutputDirectory);
    }

    [Theory]
    [InlineData("--epochs")]
    [InlineData("--epochs", "0")]
    [InlineData("--epochs", "ten")]
    [InlineData("--bogus")]
    public void RejectsBadOptions(params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => MlpOptions.Parse(args, out _));
        Assert.Contains(args[0], e.Message, StringComparison.Ordinal);
    }
}
