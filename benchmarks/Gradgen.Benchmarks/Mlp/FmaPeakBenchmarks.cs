using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace Gradgen.Benchmarks.Mlp;

/// <summary>
/// The machine's measured fused multiply-add peak, the ceiling for the training-step benchmarks beside it: sixteen
/// independent chains of vector FMAs (more than latency × ports, so the FMA units never wait), in registers, on each of
/// the job's threads (<see cref="ThreadJobsConfig"/>: 1 and 2). Each reported operation is one vector FMA per thread,
/// so the peak is <c>threads · 2 · lanes / Mean[ns]</c> GFLOP/s (lanes: 16 for Vector512, 8 for Vector256); a matrix
/// product's or training step's FLOP count divided by that gives its floor.
/// </summary>
[Config(typeof(ThreadJobsConfig))]
public class FmaPeakBenchmarks
{
    /// <summary>Vector512 FMAs per thread per invocation: 16 chains × 32,768 rounds (about 0.1–0.3 ms on one core).</summary>
    internal const int Operations = Chains * Rounds;

    /// <summary>
    /// Vector256 FMAs per thread per invocation: 12 chains × 32,768 rounds. Twelve, not sixteen: without AVX-512 there are
    /// only 16 vector registers, and 16 chains plus the two operands spill to the stack (on a host without AVX-512 that
    /// measured 54 GFLOP/s for one core where a training step reached 73); twelve still exceed latency × ports (4 × 2).
    /// </summary>
    internal const int Operations256 = Chains256Count * Rounds;
    const int Chains = 16;
    const int Chains256Count = 12;
    const int Rounds = 32_768;

    int threads;

    /// <summary>The job's thread count.</summary>
    [GlobalSetup]
    public void Setup() => threads = ThreadJobs.Threads;

    /// <summary>Vector512 FMAs (AVX-512); 0 where Vector512 is not accelerated.</summary>
    [Benchmark(OperationsPerInvoke = Operations)]
    public float Vector512Fma() => Vector512.IsHardwareAccelerated ? OnThreads(Chains512) : 0;

    /// <summary>Vector256 FMAs (AVX2/FMA3).</summary>
    [Benchmark(OperationsPerInvoke = Operations256)]
    public float Vector256Fma() => Vector256.IsHardwareAccelerated ? OnThreads(Chains256) : 0;

    /// <summary>
    /// The peak in GFLOP/s from the best of <paramref name="rounds"/> Stopwatch rounds of the widest accelerated chains
    /// on each of <paramref name="threads"/> threads (for the epoch runs, which report it beside their figures).
    /// </summary>
    internal static double BestOf(int rounds, int threads)
    {
        bool wide = Vector512.IsHardwareAccelerated;
        double best = double.MaxValue;
        var results = new float[threads];
        for (int round = 0; round < rounds; round++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => results[t] = wide ? Chains512(1f + t) : Chains256(1f + t));
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return threads * 2.0 * (wide ? 16 * Operations : 8 * Operations256) / best / 1e9;
    }

    float OnThreads(Func<float, float> kernel)
    {
        if (threads == 1)
        {
            return kernel(1f);
        }

        var results = new float[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => results[t] = kernel(1f + t));
        return results.Sum();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static float Chains512(float seed)
    {
        var m = Vector512.Create(0.9999999f);
        var c = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(seed), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c;
        Vector512<float> a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c, a12 = a11 + c, a13 = a12 + c, a14 = a13 + c, a15 = a14 + c;
        for (int i = 0; i < Rounds; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c);
            a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c);
            a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c);
            a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c);
            a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c);
            a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c);
            a11 = Vector512.FusedMultiplyAdd(a11, m, c);
            a12 = Vector512.FusedMultiplyAdd(a12, m, c);
            a13 = Vector512.FusedMultiplyAdd(a13, m, c);
            a14 = Vector512.FusedMultiplyAdd(a14, m, c);
            a15 = Vector512.FusedMultiplyAdd(a15, m, c);
        }

        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static float Chains256(float seed)
    {
        var m = Vector256.Create(0.9999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(seed), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c;
        Vector256<float> a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c;
        for (int i = 0; i < Rounds; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c);
            a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c);
            a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c);
            a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c);
            a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c);
            a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }

        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
