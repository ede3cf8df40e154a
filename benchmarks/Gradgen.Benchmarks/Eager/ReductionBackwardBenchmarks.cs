using BenchmarkDotNet.Attributes;

namespace Gradgen.Benchmarks.Eager;

/// <summary>
/// The eager reductions' forward and backward (whose backward the generator writes from the rule table, [EagerVjp]):
/// Sum and Mean along a dim (their backward an expanded view of the gradient, no copy) and amax (a mask, a tie count
/// and a product), on a [rows, 512] Float32 tensor, along dim 1 and along dim 0. Run side by side with a build of the
/// previous code (hand-written backward) to see that the generated one costs no more.
/// </summary>
[Config(typeof(BenchmarkConfig))]
[MemoryDiagnoser]
public class ReductionBackwardBenchmarks
{
    Tensor? x;

    /// <summary>Rows of the input.</summary>
    [Params(64, 2048)]
    public int Rows { get; set; }

    /// <summary>The reduced dim.</summary>
    [Params(0, 1)]
    public int Dim { get; set; }

    /// <summary>A random input that requires grad.</summary>
    [GlobalSetup]
    public void Setup()
    {
        RandomGenerator.ManualSeed(1);
        x = Tensor.Randn([Rows, 512], DType.Float32, requiresGrad: true);
    }

    /// <summary>x.Sum(dim).Sum().Backward().</summary>
    [Benchmark]
    public Tensor SumBackward() => Step(t => t.Sum(Dim));

    /// <summary>x.Mean(dim).Sum().Backward().</summary>
    [Benchmark]
    public Tensor MeanBackward() => Step(t => t.Mean(Dim));

    /// <summary>x.Max(dim).Sum().Backward() (amax).</summary>
    [Benchmark]
    public Tensor AmaxBackward() => Step(t => t.Max(Dim));

    Tensor Step(Func<Tensor, Tensor> reduction)
    {
        x!.Grad = null;
        reduction(x).Sum().Backward();
        return x.Grad!;
    }
}
