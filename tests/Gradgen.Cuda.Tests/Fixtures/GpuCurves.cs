namespace Gradgen.Cuda.Tests.Fixtures;

/// <summary>A user function with a generated tensor overload, for the GPU tensor tests.</summary>
public static partial class GpuCurves
{
    /// <summary>The tutorial's Gaussian-windowed sine.</summary>
    [Differentiable]
    public static float Bump(float x) => MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / 3);
}
