using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Gradgen.Benchmarks.Bump;

namespace Gradgen.Benchmarks.Eager;

/// <summary>
/// Issue 3's benchmark: forward and backward of the Gaussian-windowed sine over x = linspace(0, 10, N): Gradgen eager
/// (op by op), Gradgen's generated <c>Curves.Bump(Tensor)</c> (one fused kernel, one node) and TorchSharp eager
/// (<see cref="TorchBump"/>), each job at one thread count for both libraries (<see cref="ThreadJobsConfig"/>), plus
/// a one-thread job with large arrays kept out of the large-object heap (<see cref="ThreadAndGcJobsConfig"/>).
/// </summary>
[Config(typeof(ThreadAndGcJobsConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByJob, BenchmarkLogicalGroupRule.ByParams)]
[MemoryDiagnoser]
public class EagerAutogradBenchmarks
{
    EagerBump? gradgen;
    TorchBump? torch;

    /// <summary>Number of points.</summary>
    [Params(1_000, 1_000_000)]
    public int N { get; set; }

    /// <summary>Checks both Gradgen paths, then warms them up on a small tensor (tiered JIT) before the pilot.</summary>
    [GlobalSetup(Targets = [nameof(GradgenEager), nameof(GradgenFused)])]
    public void SetupGradgen()
    {
        gradgen = new EagerBump(N);
        gradgen.Check("Gradgen eager", gradgen.Eager);
        gradgen.Check("Gradgen fused", gradgen.Fused);
        var small = new EagerBump(Math.Min(N, 1024));
        ThreadJobs.WarmUp(() => small.Eager());
        ThreadJobs.WarmUp(() => small.Fused());
    }

    /// <summary>TorchSharp at the job's thread count, checked, after a warm-up on a small tensor.</summary>
    [GlobalSetup(Target = nameof(TorchSharp))]
    public void SetupTorch()
    {
        int threads = ThreadJobs.Threads;
        using (var warm = new TorchBump(Math.Min(N, 1024), threads))
        {
            ThreadJobs.WarmUp(warm.Run);
        }

        torch = new TorchBump(N, threads);
        if (TorchBump.Threads != threads)
        {
            throw new InvalidOperationException($"torch.set_num_threads({threads}) left {TorchBump.Threads} threads");
        }

        var value = new float[N];
        var dx = new float[N];
        torch.Run(value, dx);
        (double ev, double ed) = BumpMath.MaxAbsError(torch.X(), value, dx, stride: Math.Max(1, N / 10_000));
        if (ev > 1e-4 || ed > 1e-3)
        {
            throw new InvalidOperationException($"TorchSharp is wrong at N = {N}: {ev:g3}, {ed:g3}");
        }
    }

    /// <summary>Frees the torch tensors.</summary>
    [GlobalCleanup(Target = nameof(TorchSharp))]
    public void CleanupTorch() => torch?.Dispose();

    /// <summary>TorchSharp eager autograd (the baseline).</summary>
    [Benchmark(Baseline = true)]
    public void TorchSharp() => torch!.Run();

    /// <summary>Gradgen eager, op by op.</summary>
    [Benchmark]
    public Tensor GradgenEager() => gradgen!.Eager();

    /// <summary>Gradgen's generated fused tensor overload.</summary>
    [Benchmark]
    public Tensor GradgenFused() => gradgen!.Fused();
}
