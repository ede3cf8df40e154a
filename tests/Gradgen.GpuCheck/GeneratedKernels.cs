using Gradgen.Cuda.Tests.Fixtures;

namespace Gradgen.GpuCheck;

/// <summary>
/// The functions the GPU check runs, written as users write them: the generator emits their CUDA C
/// (<c>BumpCudaSource</c>, …), which the runner compiles with NVRTC and checks against the double-precision
/// references of the hand-written fixtures.
/// </summary>
public static partial class GeneratedKernels
{
    /// <summary>The tutorial's Gaussian-windowed sine.</summary>
    [Differentiable]
    public static float Bump(float x) => MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / 3);

    /// <summary>The same in double.</summary>
    [Differentiable]
    public static double BumpDouble(double x) => Math.Sin(2 * Math.PI * x) * Math.Exp(-(x - 5) * (x - 5) / 3);

    /// <summary>Two inputs: a·sin b + exp(−a²)·b.</summary>
    [Differentiable]
    public static float Mix(float a, float b) => a * MathF.Sin(b) + MathF.Exp(-a * a) * b;

    /// <summary>Every generated source with its reference and input range.</summary>
    public static IReadOnlyList<KernelFixture> All { get; } =
    [
        new("Bump", typeof(float), 1, BumpCudaSource, HandWrittenKernels.BumpReference, 0, 10),
        new("BumpDouble", typeof(double), 1, BumpDoubleCudaSource, HandWrittenKernels.BumpReference, 0, 10),
        new("Mix", typeof(float), 2, MixCudaSource, HandWrittenKernels.MixReference, -3, 3),
    ];
}
