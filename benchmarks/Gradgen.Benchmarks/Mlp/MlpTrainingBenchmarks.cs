using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using TorchSharp;

namespace Gradgen.Benchmarks.Mlp;

/// <summary>
/// Issue 4, benchmarks 1 and 2: time per training step (zero_grad, forward, loss, backward, SGD step) of the seed
/// MLP 2-2-1 (full batch 10,000, MSE) and of 784-256-10 (batch 128, cross-entropy), Gradgen eager and compiled next
/// to TorchSharp, each job at one thread count for both (<see cref="ThreadJobsConfig"/>). Both libraries start from the
/// same weights and data; the setup checks that their first three losses agree.
/// </summary>
[Config(typeof(ThreadJobsConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByJob, BenchmarkLogicalGroupRule.ByParams)]
[MemoryDiagnoser]
public class MlpTrainingBenchmarks
{
    MlpProblem? problem;

    /// <summary>Which model.</summary>
    [Params(MlpCase.Seed221, MlpCase.Mnist784)]
    public MlpCase Case { get; set; }

    /// <summary>Models, data, the agreement check and a warm-up of both libraries (tiered JIT) before the pilot.</summary>
    [GlobalSetup]
    public void Setup() => problem = SetUp(Case, p => p.GradgenStep());

    /// <summary>
    /// The job's thread count in both libraries (checked), the problem, its agreement check, and a warm-up of the
    /// compiled and TorchSharp steps plus <paramref name="other"/> (tiered JIT) before the pilot.
    /// </summary>
    internal static MlpProblem SetUp(MlpCase which, Action<MlpProblem> other)
    {
        int threads = ThreadJobs.Threads;
        torch.set_num_threads(threads);
        if (torch.get_num_threads() != threads || Kernels.Gemm.ThreadCount != threads)
        {
            throw new InvalidOperationException($"threads: torch {torch.get_num_threads()}, Gemm {Kernels.Gemm.ThreadCount}, job {threads}");
        }

        var problem = new MlpProblem(which);
        problem.Check();
        ThreadJobs.WarmUp(() => other(problem));
        ThreadJobs.WarmUp(() => problem.CompiledStep());
        ThreadJobs.WarmUp(() => problem.TorchStep());
        return problem;
    }

    /// <summary>Frees the torch side.</summary>
    [GlobalCleanup]
    public void Cleanup() => problem?.Dispose();

    /// <summary>TorchSharp: zero_grad, model(x), loss, backward, step.</summary>
    [Benchmark(Baseline = true)]
    public float TorchSharp() => problem!.TorchStep();

    /// <summary>Gradgen eager: <c>model.Call(x)</c> runs <c>Forward</c> op by op (Linear is one fused GEMM node).</summary>
    [Benchmark]
    public Tensor GradgenEager() => problem!.GradgenStep();

    /// <summary>
    /// Gradgen compiled: the same models declared as <c>partial</c> classes (<see cref="CompiledMlp221"/>,
    /// <see cref="CompiledMnistMlp"/>), so <c>Call</c> runs the generator's fused forward and backward.
    /// </summary>
    [Benchmark]
    public Tensor GradgenCompiled() => problem!.CompiledStep();
}

/// <summary>
/// Issue 4, benchmark 1's reference: the seed MLP's training step written by hand as one Vector512 loop
/// (<see cref="HandFusedMlp221"/>), next to TorchSharp and the compiled model in the same run and jobs.
/// </summary>
[Config(typeof(ThreadJobsConfig))]
[MemoryDiagnoser]
public class SeedMlpHandFusedBenchmarks
{
    MlpProblem? problem;

    /// <summary>Model, data, the agreement check (all three losses within 1e-4 for three steps) and warm-up.</summary>
    [GlobalSetup]
    public void Setup() => problem = MlpTrainingBenchmarks.SetUp(MlpCase.Seed221, p => p.HandFusedStep());

    /// <summary>Frees the torch side.</summary>
    [GlobalCleanup]
    public void Cleanup() => problem?.Dispose();

    /// <summary>TorchSharp: zero_grad, model(x), loss, backward, step.</summary>
    [Benchmark(Baseline = true)]
    public float TorchSharp() => problem!.TorchStep();

    /// <summary>The compiled model's step (<see cref="CompiledMlp221"/>).</summary>
    [Benchmark]
    public Tensor GradgenCompiled() => problem!.CompiledStep();

    /// <summary>The hand-written fused loop.</summary>
    [Benchmark]
    public float HandFused() => problem!.HandFusedStep();
}
