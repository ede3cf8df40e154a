using BenchmarkDotNet.Attributes;

namespace Gradgen.Benchmarks.Eager;

/// <summary>
/// The eager views' backward (which the generator writes from the rule table, [EagerVjp] with the input's shape and the
/// call's dims as run-time arguments): a chain of views whose backward is itself a chain of views (unsqueeze, transpose,
/// permute, squeeze, reshape), a strided slice (a pad) and an expand (a sum), each ending in Sum().Backward(), on a
/// [rows, 512] Float32 tensor. Run side by side with a build of the previous code (hand-written closures) to see that
/// the generated backward costs no more.
/// </summary>
[Config(typeof(BenchmarkConfig))]
[MemoryDiagnoser]
public class ViewBackwardBenchmarks
{
    Tensor? x;
    Tensor? row;

    /// <summary>Rows of the input.</summary>
    [Params(64, 2048)]
    public int Rows { get; set; }

    /// <summary>A random input and a random row, both requiring grad.</summary>
    [GlobalSetup]
    public void Setup()
    {
        RandomGenerator.ManualSeed(1);
        x = Tensor.Randn([Rows, 512], DType.Float32, requiresGrad: true);
        row = Tensor.Randn([512], DType.Float32, requiresGrad: true);
    }

    /// <summary>x.Unsqueeze(0).Transpose(1, 2).Permute(0, 2, 1).Squeeze(0).Reshape(-1).Sum().Backward(): five view nodes.</summary>
    [Benchmark]
    public Tensor ViewChainBackward()
    {
        x!.Grad = null;
        x.Unsqueeze(0).Transpose(1, 2).Permute(0, 2, 1).Squeeze(0).Reshape(-1).Sum().Backward();
        return x.Grad!;
    }

    /// <summary>x.Slice(1, 1, 512, 2).Sum().Backward(): the gradient padded back at every other column.</summary>
    [Benchmark]
    public Tensor SliceBackward()
    {
        x!.Grad = null;
        x.Slice(1, 1, 512, 2).Sum().Backward();
        return x.Grad!;
    }

    /// <summary>row.Expand(rows, 512).Sum().Backward(): the gradient summed back over the rows.</summary>
    [Benchmark]
    public Tensor ExpandBackward()
    {
        row!.Grad = null;
        row.Expand(Rows, 512).Sum().Backward();
        return row.Grad!;
    }
}
