using Gradgen;

namespace Gradgen.Tutorial;

/// <summary>The functions the tutorial differentiates.</summary>
public static partial class Curves
{
    /// <summary>The tutorial's Gaussian-windowed sine: sin(2πx)·exp(−(x−5)²/3).</summary>
    [Differentiable]
    public static float Bump(float x) => MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / 3);
}
