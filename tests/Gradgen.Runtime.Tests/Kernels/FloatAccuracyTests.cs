using Xunit.Abstractions;

namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>
/// Float functions at every width against <see cref="Math"/> in double, which is accurate to far below a float ulp
/// and so serves as the exact value. Errors are in float ulps of the exact value (a correctly rounded result has at
/// most 0.5). Each bound is the documented accuracy of the method (docs/vector-math.md) with its measured maximum
/// below it; MathF (the scalar width and the lanewise fallbacks) is within 1 ulp.
/// </summary>
public sealed class FloatAccuracyTests(ITestOutputHelper output)
{
    /// <summary>Bound for the lanewise MathF calls (glibc's float functions; atan2f is measured at 1.36 ulp).</summary>
    private const double Lanewise = 2;

    public static TheoryData<Width> Widths => new(Harness.AllWidths);

    // exp: Cody–Waite reduction is exact, the polynomial is good to ~1 ulp, the final scaling exact or rounded once.
    [Theory]
    [MemberData(nameof(Widths))]
    public void Exp(Width width) => Check(width, Fn.Exp, Math.Exp, 2, Inputs.Concat(
        Inputs.Linspace(-104f, 90f, 400_001),
        Inputs.Uniform(1, -1f, 1f, 100_000),
        Inputs.RandomBits(2, 100_000, negativeToo: true, maxBits: 0x42c8_0000)));

    // log: the reduction is exact; the polynomial and the two-part k·ln2 add about 1 ulp.
    [Theory]
    [MemberData(nameof(Widths))]
    public void Log(Width width) => Check(width, Fn.Log, Math.Log, 2, LogInputs());

    [Theory]
    [MemberData(nameof(Widths))]
    public void Log2(Width width) => Check(width, Fn.Log2, Math.Log2, 2, LogInputs());

    [Theory]
    [MemberData(nameof(Widths))]
    public void Log10(Width width) => Check(width, Fn.Log10, Math.Log10, 2, LogInputs());

    // sin/cos: the three-part reduction is exact to ~1e-23·j up to 2^18 (MathF beyond), the polynomials are within
    // 1 ulp on [-π/4, π/4]; the inputs include the floats nearest to multiples of π/2, where the results are smallest.
    [Theory]
    [MemberData(nameof(Widths))]
    public void Sin(Width width) => Check(width, Fn.Sin, Math.Sin, 2, TrigInputs());

    [Theory]
    [MemberData(nameof(Widths))]
    public void Cos(Width width) => Check(width, Fn.Cos, Math.Cos, 2, TrigInputs());

    // Above 2^18 every lane goes through the exact Payne–Hanek reduction (TrigLargeReduction): r is right to 33 bits,
    // so the errors are the polynomials' (measured over every float with |x| in [2, max]: sin 1.55, cos 1.55, tan 3.53 ulp).
    [Theory]
    [MemberData(nameof(Widths))]
    public void Trigonometry_of_large_arguments(Width width)
    {
        float[] x = Inputs.Concat(
            Inputs.RandomBits(40, 200_000, negativeToo: true, maxBits: 0x7f7f_ffff).Where(v => MathF.Abs(v) > 262144f).ToArray(),
            Inputs.Uniform(41, 262144f, 1e7f, 50_000),
            [7.729179E+28f, -7.729179E+28f, 262144.03f, float.MaxValue, float.MinValue, 1.7014118e38f]);
        Check(width, Fn.Sin, Math.Sin, 2, x);
        Check(width, Fn.Cos, Math.Cos, 2, x);
        Check(width, Fn.Tan, Math.Tan, 4, x);
    }

    // tan: a quotient of the two polynomials, each within 1 ulp, plus the division's rounding.
    [Theory]
    [MemberData(nameof(Widths))]
    public void Tan(Width width) => Check(width, Fn.Tan, Math.Tan, 4, TrigInputs());

    [Theory]
    [MemberData(nameof(Widths))]
    public void Sinh(Width width) => Check(width, Fn.Sinh, Math.Sinh, 4, Inputs.Concat(
        Inputs.Linspace(-90f, 90f, 400_001), Inputs.Linspace(-1.5f, 1.5f, 100_001), Inputs.RandomBits(3, 50_000, true, 0x3f80_0000)));

    [Theory]
    [MemberData(nameof(Widths))]
    public void Cosh(Width width) => Check(width, Fn.Cosh, Math.Cosh, 4, Inputs.Concat(
        Inputs.Linspace(-90f, 90f, 400_001), Inputs.Linspace(-1.5f, 1.5f, 100_001)));

    [Theory]
    [MemberData(nameof(Widths))]
    public void Tanh(Width width) => Check(width, Fn.Tanh, Math.Tanh, 4, Inputs.Concat(
        Inputs.Linspace(-12f, 12f, 400_001), Inputs.Linspace(-1f, 1f, 100_001), Inputs.RandomBits(4, 50_000, true, 0x3f80_0000)));

    [Theory]
    [MemberData(nameof(Widths))]
    public void Asinh(Width width) => Check(width, Fn.Asinh, Math.Asinh, 4, Inputs.Concat(
        Inputs.Linspace(-10f, 10f, 200_001), Inputs.RandomBits(5, 300_000, true)));

    [Theory]
    [MemberData(nameof(Widths))]
    public void Acosh(Width width) => Check(width, Fn.Acosh, Math.Acosh, 4, Inputs.Concat(
        Inputs.Linspace(1f, 20f, 200_001),
        Inputs.RandomBits(6, 300_000, false).Select(x => x + 1f).ToArray(),
        Inputs.NearOne(1000).Where(x => x >= 1).ToArray()));

    [Theory]
    [MemberData(nameof(Widths))]
    public void Atanh(Width width) => Check(width, Fn.Atanh, Math.Atanh, 4, Inputs.Concat(
        Inputs.Linspace(-1f, 1f, 200_001), Inputs.RandomBits(7, 300_000, true, 0x3f80_0000), Inputs.NearOne(1000)));

    // Halley steps, the last with an exact residual: within an ulp.
    [Theory]
    [MemberData(nameof(Widths))]
    public void Cbrt(Width width) => Check(width, Fn.Cbrt, Math.Cbrt, 1, Inputs.Concat(
        Inputs.RandomBits(8, 400_000, true), Inputs.Linspace(-10f, 10f, 100_001)));

    // Lanewise MathF at every width; MathF.Atan2 itself is off by up to 1.36 ulp.
    [Theory]
    [MemberData(nameof(Widths))]
    public void InverseTrigonometry(Width width)
    {
        float[] unit = Inputs.Concat(Inputs.Linspace(-1f, 1f, 100_001), Inputs.RandomBits(9, 50_000, true, 0x3f80_0000));
        Check(width, Fn.Asin, Math.Asin, Lanewise, unit);
        Check(width, Fn.Acos, Math.Acos, Lanewise, unit);
        Check(width, Fn.Atan, Math.Atan, Lanewise, Inputs.RandomBits(10, 100_000, true));
        float[] y = Inputs.RandomBits(11, 100_000, true);
        float[] x = Inputs.RandomBits(12, 100_000, true);
        Check2(width, Fn.Atan2, Math.Atan2, Lanewise, y, x);
    }

    // Computed in double, rounded once: correctly rounded but for double's own error (far below 0.01 float ulp).
    [Theory]
    [MemberData(nameof(Widths))]
    public void Pow(Width width)
    {
        Check2(width, Fn.Pow, Math.Pow, 1, Inputs.Uniform(13, 0f, 10f, 200_000), Inputs.Uniform(14, -40f, 40f, 200_000));
        Check2(width, Fn.Pow, Math.Pow, 1, Inputs.RandomBits(15, 200_000, false), Inputs.Uniform(16, -3f, 3f, 200_000));
        float[] negative = Inputs.Uniform(17, -5f, 0f, 200_000);
        float[] integers = Inputs.Uniform(18, -30f, 30f, 200_000).Select(v => MathF.Round(v)).ToArray();
        Check2(width, Fn.Pow, Math.Pow, 1, negative, integers);
        Check2(width, Fn.Pow, Math.Pow, 1, negative, Inputs.Uniform(19, -3f, 3f, 200_000));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Hypot(Width width) =>
        Check2(width, Fn.Hypot, double.Hypot, 1, Inputs.RandomBits(20, 300_000, true), Inputs.RandomBits(21, 300_000, true));

    /// <summary>Every function on every pair of special values: NaN, signed zeros and infinities exactly as IEEE says.</summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void SpecialValues(Width width)
    {
        float[] x = Inputs.FloatSpecials;
        (Fn Fn, Func<double, double> Reference, double Bound)[] unary =
        [
            (Fn.Exp, Math.Exp, 2), (Fn.Log, Math.Log, 2), (Fn.Log2, Math.Log2, 2), (Fn.Log10, Math.Log10, 2),
            (Fn.Sin, Math.Sin, 2), (Fn.Cos, Math.Cos, 2), (Fn.Tan, Math.Tan, 4), (Fn.Sinh, Math.Sinh, 4),
            (Fn.Cosh, Math.Cosh, 4), (Fn.Tanh, Math.Tanh, 4), (Fn.Asinh, Math.Asinh, 4), (Fn.Acosh, Math.Acosh, 4),
            (Fn.Atanh, Math.Atanh, 4), (Fn.Cbrt, Math.Cbrt, 1), (Fn.Asin, Math.Asin, Lanewise), (Fn.Acos, Math.Acos, Lanewise),
            (Fn.Atan, Math.Atan, Lanewise), (Fn.Sqrt, Math.Sqrt, 0.5),
        ];
        foreach (var (fn, reference, bound) in unary)
        {
            Check(width, fn, reference, bound, x);
        }

        float[] a = [.. Enumerable.Range(0, x.Length * x.Length).Select(i => x[i / x.Length])];
        float[] b = [.. Enumerable.Range(0, x.Length * x.Length).Select(i => x[i % x.Length])];
        Check2(width, Fn.Pow, Math.Pow, 1, a, b);
        Check2(width, Fn.Hypot, double.Hypot, 1, a, b);
        Check2(width, Fn.Atan2, Math.Atan2, Lanewise, a, b);
    }

    private static float[] LogInputs() => Inputs.Concat(
        Inputs.RandomBits(30, 400_000, negativeToo: false),
        Inputs.Linspace(0.5f, 2f, 200_001),
        Inputs.NearOne(2000));

    private static float[] TrigInputs() => Inputs.Concat(
        Inputs.Linspace(-8192f, 8192f, 300_001),
        Inputs.Linspace(-10f, 10f, 200_001),
        Inputs.Uniform(33, -262144f, 262144f, 100_000),
        Inputs.NearMultiplesOfHalfPi(5215, 2),
        Inputs.NearMultiplesOfHalfPi(166_886, 1, step: 7),
        Inputs.Uniform(31, -1e6f, 1e6f, 20_000),
        Inputs.RandomBits(32, 50_000, negativeToo: true));

    private void Check(Width width, Fn fn, Func<double, double> reference, double bound, float[] x)
    {
        float[] actual = Harness.Map(width, fn, x);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double error = Ulp.OfFloat(actual[i], reference(x[i]));
            if (!(error <= worst))
            {
                worst = error;
                at = i;
            }
        }

        output.WriteLine($"{fn,-6} {width,-12} n={x.Length,8}: max {worst:F3} ulp at x = {x[at]:R} (got {actual[at]:R}, exact {reference(x[at]):R})");
        Assert.True(worst <= bound, $"{fn} at {width}: {worst} ulp at x = {x[at]:R}: got {actual[at]:R}, expected {reference(x[at]):R}");
    }

    private void Check2(Width width, Fn fn, Func<double, double, double> reference, double bound, float[] a, float[] b)
    {
        float[] actual = Harness.Map(width, fn, a, b);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double error = Ulp.OfFloat(actual[i], reference(a[i], b[i]));
            if (!(error <= worst))
            {
                worst = error;
                at = i;
            }
        }

        output.WriteLine($"{fn,-6} {width,-12} n={a.Length,8}: max {worst:F3} ulp at ({a[at]:R}, {b[at]:R}) (got {actual[at]:R}, exact {reference(a[at], b[at]):R})");
        Assert.True(worst <= bound, $"{fn} at {width}: {worst} ulp at ({a[at]:R}, {b[at]:R}): got {actual[at]:R}, expected {reference(a[at], b[at]):R}");
    }
}
