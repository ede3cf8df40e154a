using Gradgen;

namespace Gradgen.Benchmarks;

/// <summary>The user's function; the Gradgen generator adds <c>BumpWithGradient</c> and the span overloads.</summary>
public static partial class Curves
{
    /// <summary>sin(2πx)·exp(−(x−5)²/3).</summary>
    [Differentiable]
    public static float Bump(float x) => MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / 3);
}
