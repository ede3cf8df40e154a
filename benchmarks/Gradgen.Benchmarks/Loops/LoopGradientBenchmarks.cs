using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Gradgen.Benchmarks.Loops;

/// <summary>
/// Issue 11: the generated reverse mode of loop functions over n floats, against the hand-written adjoint (baseline),
/// the code the generator emitted before (<see cref="PreviousGenerated"/>) and TorchSharp's eager autograd on the
/// equivalent tensor program, one thread. Each is checked against the hand-written gradient before timing.
/// </summary>
[Config(typeof(BenchmarkConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class LoopGradientBenchmarks
{
    float[] x = [];
    float[] dx = [];
    TorchLoops? torch;

    /// <summary>Length of the logit vector.</summary>
    [Params(1_000, 1_000_000)]
    public int N { get; set; }

    int Label => N / 3;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        x = Enumerable.Range(0, N).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        dx = new float[N];
        torch = new TorchLoops(x, Label, []);
        var expected = new float[N];
        HandWrittenAdjoints.LogSumExp(x, expected);
        LoopFunctions.LogSumExpWithGradient(x, dx);
        Compare("generated log-sum-exp", expected, dx);
        PreviousGenerated.LogSumExpWithGradient(x, dx);
        Compare("previously generated log-sum-exp", expected, dx);
        torch.LogSumExp();
        Compare("TorchSharp log-sum-exp", expected, torch.Gradient());
        HandWrittenAdjoints.SoftmaxCrossEntropy(x, Label, expected);
        LoopFunctions.SoftmaxCrossEntropyWithGradient(x, Label, dx);
        Compare("generated cross-entropy", expected, dx);
        PreviousGenerated.SoftmaxCrossEntropyWithGradient(x, Label, dx);
        Compare("previously generated cross-entropy", expected, dx);
    }

    /// <summary>
    /// Compares in the L1 norm: the generated gradient differentiates the program as written, so in float the maximum's
    /// element also carries the rounding of 1 − Σ softmax (about 1e-4 at n = 10⁶), which the hand-written adjoint's
    /// identity leaves out.
    /// </summary>
    static void Compare(string what, float[] expected, float[] actual)
    {
        double difference = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            difference += Math.Abs(expected[i] - actual[i]);
            norm += Math.Abs(expected[i]);
        }

        if (!(difference <= 1e-3 * norm))
        {
            throw new InvalidOperationException($"{what}: the gradient differs from the hand-written adjoint's by {difference} in the L1 norm (of {norm})");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => torch?.Dispose();

    [Benchmark(Baseline = true)]
    public float HandWrittenLogSumExp() => HandWrittenAdjoints.LogSumExp(x, dx);

    [Benchmark]
    public float GeneratedLogSumExp() => LoopFunctions.LogSumExpWithGradient(x, dx);

    [Benchmark]
    public float PreviousGeneratedLogSumExp() => PreviousGenerated.LogSumExpWithGradient(x, dx);

    [Benchmark]
    public float TorchSharpLogSumExp() => torch!.LogSumExp();

    [Benchmark]
    public float HandWrittenCrossEntropy() => HandWrittenAdjoints.SoftmaxCrossEntropy(x, Label, dx);

    [Benchmark]
    public float GeneratedCrossEntropy() => LoopFunctions.SoftmaxCrossEntropyWithGradient(x, Label, dx);

    [Benchmark]
    public float PreviousGeneratedCrossEntropy() => PreviousGenerated.SoftmaxCrossEntropyWithGradient(x, Label, dx);

    [Benchmark]
    public float TorchSharpCrossEntropy() => torch!.SoftmaxCrossEntropy();
}

/// <summary>An RNN cell over T = 1,000 steps: the generated gradient against TorchSharp's autograd looped in C#.</summary>
[Config(typeof(BenchmarkConfig))]
public class RnnGradientBenchmarks
{
    const int Steps = 1000;
    float[] xs = [];
    float[] dxs = [];
    TorchLoops? torch;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        xs = Enumerable.Range(0, Steps).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        dxs = new float[Steps];
        torch = new TorchLoops([1f], 0, xs);
        torch.Rnn();
        var expected = torch.RnnGradient();
        LoopFunctions.RnnWithGradient(xs, 0.5f, 0.8f, 0.1f, dxs, out float dw, out float du, out float db);
        var actual = new[] { dw, du, db };
        for (int i = 0; i < 3; i++)
        {
            if (MathF.Abs(expected[i] - actual[i]) > 1e-4f * (1 + MathF.Abs(expected[i])))
            {
                throw new InvalidOperationException($"RNN gradient {i}: generated {actual[i]}, TorchSharp {expected[i]}");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => torch?.Dispose();

    [Benchmark(Baseline = true)]
    public float GeneratedRnn() => LoopFunctions.RnnWithGradient(xs, 0.5f, 0.8f, 0.1f, dxs, out _, out _, out _);

    [Benchmark]
    public float TorchSharpRnn() => torch!.Rnn();
}
