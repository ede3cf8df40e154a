using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using TorchSharp;
using GemmKernel = Gradgen.Kernels.Gemm;
using TorchTensor = TorchSharp.torch.Tensor;

namespace Gradgen.Benchmarks.Gemm;

/// <summary>
/// Issue 4, benchmark 3: one 128×784 by 784×256 float32 product (an MNIST-sized layer), Gradgen's
/// <c>Gemm.Multiply</c> into a preallocated C next to <c>torch.mm</c>, each job at one thread count for both
/// (<see cref="ThreadJobsConfig"/>: <c>GRADGEN_NUM_THREADS</c> and <c>torch.set_num_threads</c>).
/// </summary>
[Config(typeof(ThreadJobsConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByJob)]
[MemoryDiagnoser]
public class GemmBenchmarks
{
    const int M = 128, K = 784, N = 256;
    float[] a = [], b = [], c = [];
    TorchTensor? ta, tb;

    /// <summary>Inputs uniform in [−1, 1), the same values for both libraries; checks both products against float64 once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new System.Random(1);
        a = Fill(random, M * K);
        b = Fill(random, K * N);
        c = new float[M * N];
        int threads = ThreadJobs.Threads;
        if (GemmKernel.ThreadCount != threads)
        {
            throw new InvalidOperationException($"Gemm.ThreadCount is {GemmKernel.ThreadCount}, the job asks for {threads}");
        }

        torch.set_num_threads(threads);
        if (torch.get_num_threads() != threads)
        {
            throw new InvalidOperationException($"torch.set_num_threads({threads}) left {torch.get_num_threads()}");
        }

        ta = torch.tensor(a, [M, K]);
        tb = torch.tensor(b, [K, N]);
        GradgenMultiply();
        Check("Gemm.Multiply", c);
        using (torch.NewDisposeScope())
        {
            Check("torch.mm", torch.mm(ta, tb).data<float>().ToArray());
        }

        ThreadJobs.WarmUp(GradgenMultiply, 400);
        ThreadJobs.WarmUp(TorchMm, 400);
    }

    /// <summary>Frees the torch tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        ta?.Dispose();
        tb?.Dispose();
    }

    /// <summary><c>torch.mm(a, b)</c> (allocates its 128 KB result, as a user's call does; freed by a dispose scope).</summary>
    [Benchmark(Baseline = true)]
    public void TorchMm()
    {
        using var scope = torch.NewDisposeScope();
        torch.mm(ta!, tb!);
    }

    /// <summary><c>Gemm.Multiply</c>: C = A·B into a preallocated C.</summary>
    [Benchmark]
    public void GradgenMultiply() => GemmKernel.Multiply(false, false, M, N, K, 1f, a, K, b, N, 0f, c, N);

    void Check(string what, float[] result)
    {
        double maxErr = 0;
        for (int i = 0; i < M; i += 7)
        {
            for (int j = 0; j < N; j += 5)
            {
                double s = 0;
                for (int p = 0; p < K; p++)
                {
                    s += (double)a[(i * K) + p] * b[(p * N) + j];
                }

                maxErr = Math.Max(maxErr, Math.Abs(s - result[(i * N) + j]));
            }
        }

        if (maxErr > 1e-3)
        {
            throw new InvalidOperationException($"{what} is wrong: max |error| {maxErr:g3}");
        }
    }

    static float[] Fill(System.Random random, int n)
    {
        var r = new float[n];
        for (int i = 0; i < n; i++)
        {
            r[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return r;
    }
}
