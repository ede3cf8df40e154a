using Gradgen;

namespace Gradgen.Tutorial;

/// <summary>The functions the tutorial differentiates.</summary>
public static partial class Curves
{
    /// <summary>The tutorial's Gaussian-windowed sine: sin(2πx)·exp(−(x−5)²/3).</summary>
    [Differentiable]
    public static float Bump(float x) => MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / 3);

    /// <summary>The derivative of <see cref="Bump"/> derived by hand, in double: the check the tutorial makes.</summary>
    public static double BumpDerivativeByHand(double x)
    {
        double e = Math.Exp(-(x - 5) * (x - 5) / 3);
        return (2 * Math.PI * Math.Cos(2 * Math.PI * x) * e) - (2.0 / 3 * (x - 5) * Math.Sin(2 * Math.PI * x) * e);
    }
}
