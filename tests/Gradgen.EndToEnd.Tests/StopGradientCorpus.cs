namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// Methods that call, inside <c>Grad.StopGradient</c>, helpers Gradgen has no derivative for: the helpers run as C#
/// and their values are constants to the gradient.
/// </summary>
public static partial class StopGradientCorpus
{
    /// <summary>The fractional part of <paramref name="v"/> by repeated subtraction: a loop Gradgen cannot differentiate.</summary>
    internal static double Fraction(double v)
    {
        while (v >= 1)
        {
            v -= 1;
        }

        while (v < 0)
        {
            v += 1;
        }

        return v;
    }

    /// <summary>Which of <paramref name="buckets"/> equal parts of [0, 1) holds <paramref name="v"/>: an integer, clamped.</summary>
    internal static int Bucket(float v, int buckets) => Math.Clamp((int)(v * buckets), 0, buckets - 1);

    [Differentiable]
    public static double Weighted(double x, double y) => x * y * Grad.StopGradient(Fraction(x * y) + 1);

    [Differentiable]
    public static float Quantized(float x)
    {
        float r = x * x;
        return r * Grad.StopGradient(Bucket(r, 4)) + x;
    }

    /// <summary>An integer cast inside <c>Grad.StopGradient</c>: truncated, no warning, and no gradient.</summary>
    [Differentiable]
    public static float Stepped(float x) => x * Grad.StopGradient(Bucket(x * 0.5f, (int)x + 3));

    /// <summary>Inlines <see cref="Weighted"/>, so it calls <see cref="Fraction"/> too.</summary>
    [Differentiable]
    public static double ThroughACall(double x) => Weighted(x, 2) + x;
}
