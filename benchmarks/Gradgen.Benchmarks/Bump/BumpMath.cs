namespace Gradgen.Benchmarks.Bump;

/// <summary>
/// Bump(x) = sin(2πx)·exp(−(x−5)²/3) and its derivative
/// dBump/dx = 2π·cos(2πx)·e − (2/3)(x−5)·sin(2πx)·e with e = exp(−(x−5)²/3), in float64: the reference every
/// float32 implementation is measured against.
/// </summary>
public static class BumpMath
{
    /// <summary>2π rounded to float, the constant the float kernels use.</summary>
    public const float TwoPi = 2 * MathF.PI;

    /// <summary>The value and derivative of Bump at <paramref name="x"/>, in double precision.</summary>
    public static (double Value, double Derivative) Reference(double x)
    {
        double twoPi = 2 * Math.PI;
        (double s, double c) = Math.SinCos(twoPi * x);
        double d = x - 5;
        double e = Math.Exp(-d * d / 3);
        return (s * e, (twoPi * c - 2.0 / 3.0 * d * s) * e);
    }

    /// <summary>numpy/torch linspace(start, stop, n) in float: start + i·step, the last point exactly stop.</summary>
    public static float[] Linspace(float start, float stop, int n)
    {
        var result = new float[n];
        if (n == 1)
        {
            result[0] = start;
            return result;
        }

        double step = ((double)stop - start) / (n - 1);
        for (int i = 0; i < n; i++)
        {
            result[i] = (float)(start + i * step);
        }

        result[n - 1] = stop;
        return result;
    }

    /// <summary>
    /// The largest absolute errors of <paramref name="value"/> and <paramref name="derivative"/> against the
    /// double-precision reference at the float inputs <paramref name="x"/>, over every <paramref name="stride"/>-th
    /// element (and always the last one).
    /// </summary>
    public static (double MaxValueError, double MaxDerivativeError) MaxAbsError(
        ReadOnlySpan<float> x, ReadOnlySpan<float> value, ReadOnlySpan<float> derivative, int stride = 1)
    {
        double maxValue = 0, maxDerivative = 0;
        for (long k = 0; k < x.Length + (long)stride; k += stride)
        {
            // Every stride-th element, then the last one.
            int i = (int)Math.Min(k, x.Length - 1);
            if (i < 0)
            {
                break;
            }

            (double v, double d) = Reference(x[i]);
            maxValue = Math.Max(maxValue, Math.Abs(value[i] - v));
            maxDerivative = Math.Max(maxDerivative, Math.Abs(derivative[i] - d));
        }

        return (maxValue, maxDerivative);
    }
}
