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

    /// <summary>How many times <see cref="CountedStep"/> ran on this thread (a test sets it to 0 first).</summary>
    [ThreadStatic]
    internal static int Calls;

    /// <summary>The draws of <see cref="Draw"/> on this thread (a test seeds it first).</summary>
    [ThreadStatic]
    internal static Random? Random;

    /// <summary>A helper with a side effect: counts its calls, and returns <paramref name="v"/> rounded to a quarter.</summary>
    internal static double CountedStep(double v)
    {
        Calls++;
        return Math.Round(v * 4) / 4;
    }

    /// <summary>A helper that draws a random factor in [1, 2): each call gives another value.</summary>
    internal static double Draw(double v) => v + 1 + Random!.NextDouble();

    /// <summary>Straight-line code whose local derivative reads the wrapped call's value.</summary>
    [Differentiable]
    public static double CountedScalar(double x) => (x * x * Grad.StopGradient(CountedStep(x))) + x;

    /// <summary>A loop whose every iteration makes one wrapped call: its value is recorded for the backward sweep.</summary>
    [Differentiable]
    public static double CountedSum(ReadOnlySpan<double> x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            s += x[i] * x[i] * Grad.StopGradient(CountedStep(x[i]));
        }

        return s;
    }

    /// <summary>A method with a span output (a vector-Jacobian product, <c>CountedScaleBackward</c>) and a wrapped call per element.</summary>
    [Differentiable]
    public static void CountedScale(ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = Math.Sin(x[i]) * Grad.StopGradient(CountedStep(x[i]) + 1);
        }
    }

    /// <summary><see cref="CountedStep"/> in float: it counts in the same <see cref="Calls"/>.</summary>
    internal static float CountedStepF(float v) => (float)CountedStep(v);

    /// <summary>A float method with a span output and a wrapped call per element: its tensor overload keeps floats.</summary>
    [Differentiable]
    public static void CountedSquaresF(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] * x[i] * Grad.StopGradient(CountedStepF(x[i]));
        }
    }

    /// <summary>Two span outputs whose every element makes two wrapped calls (the tensor overload returns both).</summary>
    [Differentiable]
    public static void CountedPair(ReadOnlySpan<double> x, Span<double> y, Span<double> z)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = Math.Sin(x[i]) * Grad.StopGradient(CountedStep(x[i]) + 1);
            z[i] = x[i] * Grad.StopGradient(CountedStep(x[i] + 0.5));
        }
    }

    /// <summary>A wrapped call in a condition: the branch each element takes follows the call's value.</summary>
    [Differentiable]
    public static void CountedSigns(ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            if (Grad.StopGradient(CountedStep(x[i])) > 0)
            {
                y[i] = x[i] * x[i];
            }
            else
            {
                y[i] = -x[i];
            }
        }
    }

    /// <summary>A span output with a random draw per element: the gradient is the one of the forward's draws.</summary>
    [Differentiable]
    public static void JitteredSquares(ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] * x[i] * Grad.StopGradient(Draw(x[i]));
        }
    }

    /// <summary>A span output written from calls of <see cref="CountedSum"/>, one per row of <paramref name="a"/>: the callee's wrapped calls.</summary>
    [Differentiable]
    public static void CountedRowSums(ReadOnlySpan<double> a, int rows, Span<double> y)
    {
        int n = a.Length / rows;
        for (int r = 0; r < rows; r++)
        {
            double v = CountedSum(a.Slice(r * n, n));
            y[r] = v;
        }
    }

    /// <summary>A random draw per iteration, read by the iteration's local derivative: the gradient is the forward's draws'.</summary>
    [Differentiable]
    public static double Jittered(ReadOnlySpan<double> x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            s += x[i] * x[i] * Grad.StopGradient(Draw(x[i]));
        }

        return s;
    }

    /// <summary>A running maximum whose candidate reads a wrapped call (the parser puts the call in a statement before it).</summary>
    [Differentiable]
    public static double CountedMax(ReadOnlySpan<double> x)
    {
        double m = double.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            m = Math.Max(m, x[i] * Grad.StopGradient(CountedStep(x[i]) + 2));
        }

        return m;
    }

    /// <summary>
    /// A span method calling <see cref="CountedSum"/>: the caller keeps the callee's gradient from its one run, so
    /// <see cref="CountedStep"/> runs once per element in <c>ThroughASpanCallWithGradient</c> too.
    /// </summary>
    [Differentiable]
    public static double ThroughASpanCall(ReadOnlySpan<double> x, double scale) => scale * CountedSum(x);

    /// <summary>A loop of calls of <see cref="CountedSum"/> over the rows of <paramref name="a"/>: each call's gradient is kept on the tape.</summary>
    [Differentiable]
    public static double SquaredRowSums(ReadOnlySpan<double> a, int rows)
    {
        int n = a.Length / rows;
        double s = 0;
        for (int r = 0; r < rows; r++)
        {
            double v = CountedSum(a.Slice(r * n, n));
            s += v * v;
        }

        return s;
    }
}
