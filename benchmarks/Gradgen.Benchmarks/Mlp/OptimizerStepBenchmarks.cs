using System.Numerics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Gradgen.Optim;
using TorchSharp;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Gradgen.Benchmarks.Mlp;

/// <summary>
/// One optimizer step over the parameters of PyTorch's quickstart model (784-512-512-10: 669,706 float32 elements in
/// six tensors), with every gradient set: Gradgen's <see cref="Sgd"/> and <see cref="Adam"/> next to TorchSharp's
/// <c>SGD</c> and <c>Adam</c> on tensors of the same shapes, and the memory floor of the SGD update: a plain
/// <c>p -= lr·g</c> loop over the same number of elements (<see cref="PlainSgdLoop"/>). The step is memory-bound, so
/// the floor, not the FMA peak, is what it is measured against. 1 and 2 threads (<see cref="ThreadJobsConfig"/>).
/// </summary>
[Config(typeof(ThreadJobsConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByJob)]
public class OptimizerStepBenchmarks
{
    static readonly int[][] Shapes = [[512, 784], [512], [512, 512], [512], [10, 512], [10]];

    Sgd? sgd;
    Adam? adam;
    torch.optim.Optimizer? torchSgd;
    torch.optim.Optimizer? torchAdam;
    float[] plainParameters = [];
    float[] plainGradients = [];
    readonly List<TorchTensor> torchTensors = [];

    /// <summary>Parameters and gradients for both libraries, at the job's thread count.</summary>
    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(ThreadJobs.Threads);
        sgd = new Sgd(Parameters(), lr: 1e-3);
        adam = new Adam(Parameters(), lr: 1e-3);
        torchSgd = torch.optim.SGD(TorchParameters(), 1e-3);
        torchAdam = torch.optim.Adam(TorchParameters(), 1e-3);
        int total = Shapes.Sum(s => s.Aggregate(1, (a, b) => a * b));
        plainParameters = new float[total];
        plainGradients = Enumerable.Range(0, total).Select(i => (i % 7) * 1e-3f).ToArray();
        ThreadJobs.WarmUp(() => sgd.Step());
        ThreadJobs.WarmUp(() => adam.Step());
        ThreadJobs.WarmUp(() => torchSgd.step());
        ThreadJobs.WarmUp(() => torchAdam.step());
    }

    /// <summary>Frees the torch side.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in torchTensors)
        {
            t.Dispose();
        }
    }

    /// <summary>TorchSharp's <c>SGD.step()</c>.</summary>
    [Benchmark(Baseline = true)]
    public void TorchSharpSgd() => torchSgd!.step();

    /// <summary>Gradgen's <see cref="Sgd.Step"/>: one fused pass per parameter.</summary>
    [Benchmark]
    public void GradgenSgd() => sgd!.Step();

    /// <summary>TorchSharp's <c>Adam.step()</c>.</summary>
    [Benchmark]
    public void TorchSharpAdam() => torchAdam!.step();

    /// <summary>Gradgen's <see cref="Adam.Step"/>.</summary>
    [Benchmark]
    public void GradgenAdam() => adam!.Step();

    /// <summary>The floor: <c>p -= lr·g</c> over all elements in one Vector loop on the calling thread, nothing else.</summary>
    [Benchmark]
    public void PlainSgdLoop()
    {
        var p = plainParameters.AsSpan();
        ReadOnlySpan<float> g = plainGradients;
        var step = new Vector<float>(-1e-3f);
        int i = 0;
        for (; i <= p.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            (new Vector<float>(p[i..]) + (step * new Vector<float>(g[i..]))).CopyTo(p[i..]);
        }

        for (; i < p.Length; i++)
        {
            p[i] -= 1e-3f * g[i];
        }
    }

    static List<Gradgen.Tensor> Parameters()
    {
        var parameters = new List<Gradgen.Tensor>();
        foreach (var shape in Shapes)
        {
            var p = Gradgen.Tensor.Rand(shape, DType.Float32, requiresGrad: true);
            p.Grad = Gradgen.Tensor.Rand(shape, DType.Float32) * 1e-3;
            parameters.Add(p);
        }

        return parameters;
    }

    List<TorchSharp.Modules.Parameter> TorchParameters()
    {
        var parameters = new List<TorchSharp.Modules.Parameter>();
        foreach (var shape in Shapes)
        {
            long[] dims = shape.Select(d => (long)d).ToArray();
            var p = new TorchSharp.Modules.Parameter(torch.rand(dims));
            p.grad = torch.rand(dims) * 1e-3;
            parameters.Add(p);
            torchTensors.Add(p);
        }

        return parameters;
    }
}
