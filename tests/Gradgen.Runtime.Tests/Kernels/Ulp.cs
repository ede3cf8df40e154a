namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>Errors in units in the last place of the reference value.</summary>
internal static class Ulp
{
    /// <summary>
    /// The error of <paramref name="actual"/> against <paramref name="exact"/> (a double accurate far beyond float),
    /// in float ulps of <paramref name="exact"/> (subnormal spacing 2⁻¹⁴⁹ below the normal range), so a correctly
    /// rounded result is at most 0.5. NaN must match NaN; an infinite result must be what the reference rounds to;
    /// a reference that is exactly ±0 must be matched with its sign. Violations count as +∞.
    /// </summary>
    public static double OfFloat(float actual, double exact)
    {
        if (double.IsNaN(exact) || float.IsNaN(actual))
        {
            return double.IsNaN(exact) && float.IsNaN(actual) ? 0 : double.PositiveInfinity;
        }

        if (float.IsInfinity(actual))
        {
            return actual == (float)exact ? 0 : double.PositiveInfinity;
        }

        if (double.IsInfinity(exact))
        {
            return double.PositiveInfinity;
        }

        if (exact == 0)
        {
            return BitConverter.SingleToInt32Bits(actual) == BitConverter.SingleToInt32Bits((float)exact)
                ? 0
                : actual == 0 ? double.PositiveInfinity : Math.Abs(actual) / Math.ScaleB(1, -149);
        }

        int exponent = Math.Max(Math.ILogB(exact), -126);
        return Math.Abs(actual - exact) / Math.ScaleB(1, exponent - 23);
    }

    /// <summary>As <see cref="OfFloat"/>, in double ulps, against a double reference (itself within an ulp or so).</summary>
    public static double OfDouble(double actual, double reference)
    {
        if (double.IsNaN(reference) || double.IsNaN(actual))
        {
            return double.IsNaN(reference) && double.IsNaN(actual) ? 0 : double.PositiveInfinity;
        }

        if (double.IsInfinity(actual) || double.IsInfinity(reference))
        {
            return actual == reference ? 0 : double.PositiveInfinity;
        }

        if (reference == 0)
        {
            return BitConverter.DoubleToInt64Bits(actual) == BitConverter.DoubleToInt64Bits(reference)
                ? 0
                : actual == 0 ? double.PositiveInfinity : Math.Abs(actual) / double.Epsilon;
        }

        int exponent = Math.Max(Math.ILogB(reference), -1022);
        return Math.Abs(actual - reference) / Math.ScaleB(1, exponent - 52);
    }
}
