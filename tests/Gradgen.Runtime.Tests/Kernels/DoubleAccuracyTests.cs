using Xunit.Abstractions;

namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>
/// Double functions at every width against <see cref="Math"/> (glibc here: within about half an ulp). Exp, log, sin,
/// cos and hypot are the BCL's vector functions (ports of AMD's AOCL-LibM); measured against Math: exp 2 ulp, log 3
/// (near √2), sin and cos 1, hypot 0. The bound, 4, is those with a margin for other libms. Every other function is
/// lanewise <see cref="Math"/> and must match it exactly.
/// </summary>
public sealed class DoubleAccuracyTests(ITestOutputHelper output)
{
    private const double Bcl = 4;
    private const double Exact = 0;

    public static TheoryData<Width> Widths => new(Harness.AllWidths);

    [Theory]
    [MemberData(nameof(Widths))]
    public void BclFunctions(Width width)
    {
        double[] wide = Random(1, 300_000, -745, 710);
        Check(width, Fn.Exp, Math.Exp, Bcl, [.. wide, .. Inputs.DoubleSpecials]);
        double[] positive = RandomBits(2, 300_000, negativeToo: false);
        Check(width, Fn.Log, Math.Log, Bcl, [.. positive, .. Random(3, 100_000, 0.5, 2), .. Inputs.DoubleSpecials]);
        double[] angles = [.. Random(4, 200_000, -10, 10), .. Random(5, 100_000, -1e6, 1e6), .. RandomBits(6, 100_000, true), .. Inputs.DoubleSpecials];
        Check(width, Fn.Sin, Math.Sin, Bcl, angles);
        Check(width, Fn.Cos, Math.Cos, Bcl, angles);
        int n = Inputs.DoubleSpecials.Length;
        double[] a = [.. RandomBits(7, 200_000, true), .. Enumerable.Range(0, n * n).Select(i => Inputs.DoubleSpecials[i / n])];
        double[] b = [.. RandomBits(8, 200_000, true), .. Enumerable.Range(0, n * n).Select(i => Inputs.DoubleSpecials[i % n])];
        Check2(width, Fn.Hypot, double.Hypot, Bcl, a, b);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void LanewiseFunctions(Width width)
    {
        double[] x = [.. Random(10, 50_000, -20, 20), .. RandomBits(11, 50_000, true), .. Inputs.DoubleSpecials];
        double[] unit = [.. Random(12, 50_000, -1, 1), .. Inputs.DoubleSpecials];
        (Fn, Func<double, double>, double[])[] unary =
        [
            (Fn.Log2, Math.Log2, x), (Fn.Log10, Math.Log10, x), (Fn.Tan, Math.Tan, x), (Fn.Asin, Math.Asin, unit),
            (Fn.Acos, Math.Acos, unit), (Fn.Atan, Math.Atan, x), (Fn.Sinh, Math.Sinh, x), (Fn.Cosh, Math.Cosh, x),
            (Fn.Tanh, Math.Tanh, x), (Fn.Asinh, Math.Asinh, x), (Fn.Acosh, Math.Acosh, x), (Fn.Atanh, Math.Atanh, unit),
            (Fn.Cbrt, Math.Cbrt, x),
        ];
        foreach (var (fn, reference, inputs) in unary)
        {
            Check(width, fn, reference, Exact, inputs);
        }

        double[] y = [.. Random(13, x.Length, -20, 20)];
        Check2(width, Fn.Pow, Math.Pow, Exact, x, y);
        Check2(width, Fn.Atan2, Math.Atan2, Exact, x, y);
    }

    private static double[] Random(int seed, int count, double from, double to)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => from + (to - from) * random.NextDouble())];
    }

    private static double[] RandomBits(int seed, int count, bool negativeToo)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            long bits = random.NextInt64(1, 0x7fef_ffff_ffff_ffff);
            double value = BitConverter.Int64BitsToDouble(bits);
            return negativeToo && random.Next(2) == 1 ? -value : value;
        })];
    }

    private void Check(Width width, Fn fn, Func<double, double> reference, double bound, double[] x)
    {
        double[] actual = Harness.Map(width, fn, x);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double error = Ulp.OfDouble(actual[i], reference(x[i]));
            if (!(error <= worst))
            {
                worst = error;
                at = i;
            }
        }

        output.WriteLine($"{fn,-6} {width,-12} n={x.Length,8}: max {worst:F3} ulp at x = {x[at]:R} (got {actual[at]:R}, Math {reference(x[at]):R})");
        Assert.True(worst <= bound, $"{fn} at {width}: {worst} ulp at x = {x[at]:R}: got {actual[at]:R}, Math gives {reference(x[at]):R}");
    }

    private void Check2(Width width, Fn fn, Func<double, double, double> reference, double bound, double[] a, double[] b)
    {
        double[] actual = Harness.Map(width, fn, a, b);
        double worst = 0;
        int at = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double error = Ulp.OfDouble(actual[i], reference(a[i], b[i]));
            if (!(error <= worst))
            {
                worst = error;
                at = i;
            }
        }

        output.WriteLine($"{fn,-6} {width,-12} n={a.Length,8}: max {worst:F3} ulp at ({a[at]:R}, {b[at]:R}) (got {actual[at]:R}, Math {reference(a[at], b[at]):R})");
        Assert.True(worst <= bound, $"{fn} at {width}: {worst} ulp at ({a[at]:R}, {b[at]:R}): got {actual[at]:R}, Math gives {reference(a[at], b[at]):R}");
    }
}
