using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Gradgen.Benchmarks.Bump;

/// <summary>
/// Value and derivative of Bump over N floats of linspace(0, 10, N), side by side: the scalar loop (baseline), the
/// hand-written fused kernels, TorchSharp's eager autograd at 1 and 2 threads, the memory-bandwidth probe and, once
/// the generator emits it, the generated <c>Curves.BumpWithGradient</c>.
/// </summary>
[Config(typeof(BenchmarkConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
[MemoryDiagnoser]
public class BumpBenchmarks
{
    const int WarmUpMilliseconds = 800;

    delegate void Kernel(ReadOnlySpan<float> x, Span<float> value, Span<float> dx);

    float[] x = [];
    float[] value = [];
    float[] dx = [];
    TorchBump? torch;

    /// <summary>Number of points.</summary>
    [Params(1_000, 1_000_000, 10_000_000)]
    public int N { get; set; }

    /// <summary>Inputs and outputs for the hand-written and generated kernels.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Allocate();

        // Check every kernel once before timing any of them.
        BumpKernels.ScalarMathF(x, value, dx);
        Check(nameof(ScalarMathF), x);
        BumpKernels.FusedVector256Bcl(x, value, dx);
        Check(nameof(FusedVector256Bcl), x);
        BumpKernels.FusedVector512Polynomial(x, value, dx);
        Check(nameof(FusedVector512Polynomial), x);
        Curves.BumpWithGradient(x, value, dx);
        Check(nameof(GeneratedBumpWithGradient), x);

        // Tiered JIT: the BCL's Vector256.SinCos/Exp sit on a chain of generic helpers that each climb
        // tier 0 -> instrumented -> tier 1 separately, which takes about half a second of calls. BenchmarkDotNet's
        // pilot would otherwise size the iterations at tier-0 speed and measure mid-climb (14 us instead of 1.5 us at
        // N = 1000). So every kernel runs on a small slice until its code is final, before the pilot starts.
        WarmUp(BumpKernels.ScalarMathF);
        WarmUp(BumpKernels.FusedVector256Bcl);
        WarmUp(BumpKernels.FusedVector512Polynomial);
        WarmUp(BumpKernels.MemoryTraffic);
        WarmUp(Curves.BumpWithGradient);
    }

    void Allocate()
    {
        x = BumpMath.Linspace(0, 10, N);
        value = new float[N];
        dx = new float[N];
    }

    void WarmUp(Kernel kernel)
    {
        int n = Math.Min(N, 1024);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < WarmUpMilliseconds)
        {
            for (int i = 0; i < 100; i++)
            {
                kernel(x.AsSpan(0, n), value.AsSpan(0, n), dx.AsSpan(0, n));
            }
        }
    }

    /// <summary>TorchSharp at one intra-op thread (DESIGN.md 9: the comparison that counts).</summary>
    [GlobalSetup(Target = nameof(TorchSharpAutograd))]
    public void SetupTorch1() => SetupTorch(1);

    /// <summary>TorchSharp at two intra-op threads (all cores of the reference machine).</summary>
    [GlobalSetup(Target = nameof(TorchSharpAutograd2Threads))]
    public void SetupTorch2() => SetupTorch(2);

    void SetupTorch(int threads)
    {
        Allocate();
        using (var warm = new TorchBump(Math.Min(N, 1024), threads))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < WarmUpMilliseconds)
            {
                warm.Run();
            }
        }

        torch = new TorchBump(N, threads);
        if (TorchBump.Threads != threads)
        {
            throw new InvalidOperationException($"torch.set_num_threads({threads}) left {TorchBump.Threads} threads");
        }

        // Check the result once before timing it.
        torch.Run(value, dx);
        Check("TorchSharp", torch.X());
    }

    /// <summary>Frees the torch tensors.</summary>
    [GlobalCleanup(Targets = [nameof(TorchSharpAutograd), nameof(TorchSharpAutograd2Threads)])]
    public void CleanupTorch() => torch?.Dispose();

    /// <summary>Scalar MathF loop.</summary>
    [Benchmark(Baseline = true)]
    public void ScalarMathF() => BumpKernels.ScalarMathF(x, value, dx);

    /// <summary>Fused Vector256 loop over the BCL's SinCos and Exp.</summary>
    [Benchmark]
    public void FusedVector256Bcl() => BumpKernels.FusedVector256Bcl(x, value, dx);

    /// <summary>Fused Vector512 loop with inlined polynomials: the practical limit.</summary>
    [Benchmark]
    public void FusedVector512Polynomial() => BumpKernels.FusedVector512Polynomial(x, value, dx);

    /// <summary>TorchSharp eager autograd, 1 thread.</summary>
    [Benchmark]
    public void TorchSharpAutograd() => torch!.Run();

    /// <summary>TorchSharp eager autograd, 2 threads.</summary>
    [Benchmark]
    public void TorchSharpAutograd2Threads() => torch!.Run();

    /// <summary>Read N floats, write 2N: the floor for any value-and-gradient kernel.</summary>
    [Benchmark]
    public void MemoryTraffic() => BumpKernels.MemoryTraffic(x, value, dx);

    /// <summary>The generator's fused span kernel.</summary>
    [Benchmark]
    public void GeneratedBumpWithGradient() => Curves.BumpWithGradient(x, value, dx);

    void Check(string what, float[] inputs)
    {
        (double errValue, double errDerivative) = BumpMath.MaxAbsError(inputs, value, dx, stride: Math.Max(1, N / 10_000));
        if (errValue > 1e-4 || errDerivative > 1e-3)
        {
            throw new InvalidOperationException(
                $"{what} is wrong at N = {N}: max |error| of value {errValue:g3}, of derivative {errDerivative:g3}");
        }
    }
}
