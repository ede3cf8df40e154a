namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// Every supported math function and the composed functions: the generated <c>FWithGradient</c> against central
/// finite differences of the double version, on 1,000 random points each.
/// </summary>
/// <remarks>
/// Tolerances, relative to max(1, |∂f|):
/// float kernels 1e-4 — float round-off (2⁻²⁴ ≈ 6e-8 per operation) amplified by the functions' conditioning
/// (up to ~10³ for tan near ±1.4 or exp at 10) stays below 1e-4, while a wrong rule is off by O(1);
/// double kernels 1e-6 — the finite difference itself errs by O(h²·f‴) + O(ε·|f|/h) ≈ 1e-10 relative with h = 1e-6·|x|.
/// Points where the function has a kink or jump within the finite-difference step are skipped (the step halved
/// must agree), and at least 90% of the points must remain, so the skip cannot hide a wrong gradient.
/// </remarks>
public sealed class GradientTests
{
    public delegate float Float1(float x, out float dx);
    public delegate float Float2(float a, float b, out float da, out float db);
    public delegate float Float3(float a, float b, float c, out float da, out float db, out float dc);
    public delegate double Double1(double x, out double dx);
    public delegate double Double2(double a, double b, out double da, out double db);
    public delegate double Double3(double a, double b, double c, out double da, out double db, out double dc);

    public sealed record Case(string Name, Func<double[], (double Value, double[] Gradient)> Generated, Func<double[], double> Reference, (double Low, double High)[] Domain, bool IsFloat)
    {
        public override string ToString() => Name;
    }

    private static Case F(string name, Float1 g, Func<double, double> reference, double low, double high) =>
        new(name, x => { float v = g((float)x[0], out float d); return (v, new double[] { d }); }, x => reference(x[0]), new[] { (low, high) }, true);

    private static Case F(string name, Float2 g, Func<double, double, double> reference, params (double, double)[] domain) =>
        new(name, x => { float v = g((float)x[0], (float)x[1], out float da, out float db); return (v, new double[] { da, db }); }, x => reference(x[0], x[1]), domain, true);

    private static Case F(string name, Float3 g, Func<double, double, double, double> reference, params (double, double)[] domain) =>
        new(name, x => { float v = g((float)x[0], (float)x[1], (float)x[2], out float da, out float db, out float dc); return (v, new double[] { da, db, dc }); }, x => reference(x[0], x[1], x[2]), domain, true);

    private static Case D(string name, Double1 g, Func<double, double> reference, double low, double high) =>
        new(name, x => { double v = g(x[0], out double d); return (v, new[] { d }); }, x => reference(x[0]), new[] { (low, high) }, false);

    private static Case D(string name, Double2 g, Func<double, double, double> reference, params (double, double)[] domain) =>
        new(name, x => { double v = g(x[0], x[1], out double da, out double db); return (v, new[] { da, db }); }, x => reference(x[0], x[1]), domain, false);

    private static Case D(string name, Double3 g, Func<double, double, double, double> reference, params (double, double)[] domain) =>
        new(name, x => { double v = g(x[0], x[1], x[2], out double da, out double db, out double dc); return (v, new[] { da, db, dc }); }, x => reference(x[0], x[1], x[2]), domain, false);

    public static TheoryData<Case> Cases => new()
    {
        F("Sin", MathCorpus.SinFWithGradient, MathCorpus.SinD, -10, 10), D("Sin", MathCorpus.SinDWithGradient, MathCorpus.SinD, -10, 10),
        F("Cos", MathCorpus.CosFWithGradient, MathCorpus.CosD, -10, 10), D("Cos", MathCorpus.CosDWithGradient, MathCorpus.CosD, -10, 10),
        F("Tan", MathCorpus.TanFWithGradient, MathCorpus.TanD, -1.4, 1.4), D("Tan", MathCorpus.TanDWithGradient, MathCorpus.TanD, -1.4, 1.4),
        F("Asin", MathCorpus.AsinFWithGradient, MathCorpus.AsinD, -0.95, 0.95), D("Asin", MathCorpus.AsinDWithGradient, MathCorpus.AsinD, -0.95, 0.95),
        F("Acos", MathCorpus.AcosFWithGradient, MathCorpus.AcosD, -0.95, 0.95), D("Acos", MathCorpus.AcosDWithGradient, MathCorpus.AcosD, -0.95, 0.95),
        F("Atan", MathCorpus.AtanFWithGradient, MathCorpus.AtanD, -10, 10), D("Atan", MathCorpus.AtanDWithGradient, MathCorpus.AtanD, -10, 10),
        F("Sinh", MathCorpus.SinhFWithGradient, MathCorpus.SinhD, -5, 5), D("Sinh", MathCorpus.SinhDWithGradient, MathCorpus.SinhD, -5, 5),
        F("Cosh", MathCorpus.CoshFWithGradient, MathCorpus.CoshD, -5, 5), D("Cosh", MathCorpus.CoshDWithGradient, MathCorpus.CoshD, -5, 5),
        F("Tanh", MathCorpus.TanhFWithGradient, MathCorpus.TanhD, -5, 5), D("Tanh", MathCorpus.TanhDWithGradient, MathCorpus.TanhD, -5, 5),
        F("Asinh", MathCorpus.AsinhFWithGradient, MathCorpus.AsinhD, -10, 10), D("Asinh", MathCorpus.AsinhDWithGradient, MathCorpus.AsinhD, -10, 10),
        F("Acosh", MathCorpus.AcoshFWithGradient, MathCorpus.AcoshD, 1.05, 10), D("Acosh", MathCorpus.AcoshDWithGradient, MathCorpus.AcoshD, 1.05, 10),
        F("Atanh", MathCorpus.AtanhFWithGradient, MathCorpus.AtanhD, -0.95, 0.95), D("Atanh", MathCorpus.AtanhDWithGradient, MathCorpus.AtanhD, -0.95, 0.95),
        F("Exp", MathCorpus.ExpFWithGradient, MathCorpus.ExpD, -10, 10), D("Exp", MathCorpus.ExpDWithGradient, MathCorpus.ExpD, -10, 10),
        F("Log", MathCorpus.LogFWithGradient, MathCorpus.LogD, 0.01, 100), D("Log", MathCorpus.LogDWithGradient, MathCorpus.LogD, 0.01, 100),
        F("Log2", MathCorpus.Log2FWithGradient, MathCorpus.Log2D, 0.01, 100), D("Log2", MathCorpus.Log2DWithGradient, MathCorpus.Log2D, 0.01, 100),
        F("Log10", MathCorpus.Log10FWithGradient, MathCorpus.Log10D, 0.01, 100), D("Log10", MathCorpus.Log10DWithGradient, MathCorpus.Log10D, 0.01, 100),
        F("Sqrt", MathCorpus.SqrtFWithGradient, MathCorpus.SqrtD, 0.01, 100), D("Sqrt", MathCorpus.SqrtDWithGradient, MathCorpus.SqrtD, 0.01, 100),
        F("Cbrt", MathCorpus.CbrtFWithGradient, MathCorpus.CbrtD, -10, 10), D("Cbrt", MathCorpus.CbrtDWithGradient, MathCorpus.CbrtD, -10, 10),
        F("Abs", MathCorpus.AbsFWithGradient, MathCorpus.AbsD, -10, 10), D("Abs", MathCorpus.AbsDWithGradient, MathCorpus.AbsD, -10, 10),
        F("Floor", MathCorpus.FloorFWithGradient, MathCorpus.FloorD, -10, 10), D("Floor", MathCorpus.FloorDWithGradient, MathCorpus.FloorD, -10, 10),
        F("Ceiling", MathCorpus.CeilingFWithGradient, MathCorpus.CeilingD, -10, 10), D("Ceiling", MathCorpus.CeilingDWithGradient, MathCorpus.CeilingD, -10, 10),
        F("Round", MathCorpus.RoundFWithGradient, MathCorpus.RoundD, -10, 10), D("Round", MathCorpus.RoundDWithGradient, MathCorpus.RoundD, -10, 10),
        F("Truncate", MathCorpus.TruncateFWithGradient, MathCorpus.TruncateD, -10, 10), D("Truncate", MathCorpus.TruncateDWithGradient, MathCorpus.TruncateD, -10, 10),
        F("Sign", MathCorpus.SignFWithGradient, MathCorpus.SignD, -10, 10), D("Sign", MathCorpus.SignDWithGradient, MathCorpus.SignD, -10, 10),
        F("GenericMath", MathCorpus.GenericMathFWithGradient, MathCorpus.GenericMathD, -5, 5), D("GenericMath", MathCorpus.GenericMathDWithGradient, MathCorpus.GenericMathD, -5, 5),
        F("Atan2", MathCorpus.Atan2FWithGradient, MathCorpus.Atan2D, (-5, 5), (-5, 5)), D("Atan2", MathCorpus.Atan2DWithGradient, MathCorpus.Atan2D, (-5, 5), (-5, 5)),
        F("Pow", MathCorpus.PowFWithGradient, MathCorpus.PowD, (0.1, 5), (-3, 3)), D("Pow", MathCorpus.PowDWithGradient, MathCorpus.PowD, (0.1, 5), (-3, 3)),
        F("Min", MathCorpus.MinFWithGradient, MathCorpus.MinD, (-5, 5), (-5, 5)), D("Min", MathCorpus.MinDWithGradient, MathCorpus.MinD, (-5, 5), (-5, 5)),
        F("Max", MathCorpus.MaxFWithGradient, MathCorpus.MaxD, (-5, 5), (-5, 5)), D("Max", MathCorpus.MaxDWithGradient, MathCorpus.MaxD, (-5, 5), (-5, 5)),
        F("Hypot", MathCorpus.HypotFWithGradient, MathCorpus.HypotD, (-5, 5), (-5, 5)), D("Hypot", MathCorpus.HypotDWithGradient, MathCorpus.HypotD, (-5, 5), (-5, 5)),
        F("LogBase", MathCorpus.LogBaseFWithGradient, MathCorpus.LogBaseD, (0.1, 10), (1.5, 10)), D("LogBase", MathCorpus.LogBaseDWithGradient, MathCorpus.LogBaseD, (0.1, 10), (1.5, 10)),
        F("Fma", MathCorpus.FmaFWithGradient, MathCorpus.FmaD, (-5, 5), (-5, 5), (-5, 5)), D("Fma", MathCorpus.FmaDWithGradient, MathCorpus.FmaD, (-5, 5), (-5, 5), (-5, 5)),
        F("Clamp", MathCorpus.ClampFWithGradient, MathCorpus.ClampD, (-5, 5), (-3, 0), (0, 3)), D("Clamp", MathCorpus.ClampDWithGradient, MathCorpus.ClampD, (-5, 5), (-3, 0), (0, 3)),
        F("Bump", ComposedCorpus.BumpFWithGradient, ComposedCorpus.BumpD, 0, 10), D("Bump", ComposedCorpus.BumpDWithGradient, ComposedCorpus.BumpD, 0, 10),
        F("Locals", ComposedCorpus.LocalsFWithGradient, ComposedCorpus.Locals, (-2, 2), (-2, 2)), D("Locals", ComposedCorpus.LocalsWithGradient, ComposedCorpus.Locals, (-2, 2), (-2, 2)),
        F("Branches", ComposedCorpus.BranchesFWithGradient, ComposedCorpus.Branches, (-3, 3), (-3, 3)), D("Branches", ComposedCorpus.BranchesWithGradient, ComposedCorpus.Branches, (-3, 3), (-3, 3)),
        D("Nested", ComposedCorpus.NestedWithGradient, ComposedCorpus.Nested, (-2, 2), (-2, 2)),
        D("Polynomial", ComposedCorpus.PolynomialWithGradient, ComposedCorpus.Polynomial, -2, 2),
        F("ThreeParameters", ComposedCorpus.ThreeParametersFWithGradient, ComposedCorpus.ThreeParameters, (-2, 2), (-2, 2), (-2, 2)),
        D("ThreeParameters", ComposedCorpus.ThreeParametersWithGradient, ComposedCorpus.ThreeParameters, (-2, 2), (-2, 2), (-2, 2)),
        D("Unused", ComposedCorpus.UnusedWithGradient, ComposedCorpus.Unused, (-2, 2), (-2, 2)),
        D("ManyIfs", ComposedCorpus.ManyIfsWithGradient, ComposedCorpus.ManyIfs, -1, 3),
        F("SameSign", ComposedCorpus.SameSignFWithGradient, ComposedCorpus.SameSign, (-3, 3), (-3, 3)),
        D("SameSign", ComposedCorpus.SameSignWithGradient, ComposedCorpus.SameSign, (-3, 3), (-3, 3)),
        D("Constant", ComposedCorpus.ConstantWithGradient, ComposedCorpus.Constant, -2, 2),
        D("IntegerDivision", ComposedCorpus.IntegerDivisionWithGradient, ComposedCorpus.IntegerDivision, -2, 2),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GeneratedGradientMatchesFiniteDifferences(Case c)
    {
        var random = new Random(c.Name.GetHashCode(StringComparison.Ordinal) & 0x7FFF);
        double tolerance = c.IsFloat ? 1e-4 : 1e-6;
        int checkedPoints = 0;
        const int Points = 1000;
        for (int n = 0; n < Points; n++)
        {
            var x = c.Domain.Select(d => Sample(random, d.Low, d.High, c.IsFloat)).ToArray();
            var numeric = Gradients.FiniteDifference(c.Reference, x);
            if (!Gradients.IsSmoothAt(c.Reference, x, numeric))
            {
                continue;
            }

            checkedPoints++;
            var (value, analytic) = c.Generated(x);
            double expectedValue = c.Reference(x);
            Assert.True(Math.Abs(value - expectedValue) <= tolerance * Math.Max(1, Math.Abs(expectedValue)), $"{c.Name}({string.Join(", ", x)}) = {value}, expected {expectedValue}");
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(Math.Abs(analytic[i] - numeric[i]) <= tolerance * Math.Max(1, Math.Abs(numeric[i])),
                    $"∂{c.Name}/∂x{i} at ({string.Join(", ", x)}): generated {analytic[i]}, finite difference {numeric[i]}");
            }
        }

        Assert.True(checkedPoints >= Points * 9 / 10, $"{c.Name}: only {checkedPoints} of {Points} points were smooth enough to check");
    }

    private static double Sample(Random random, double low, double high, bool isFloat)
    {
        double value = low + ((high - low) * random.NextDouble());
        return isFloat ? (float)value : value;
    }

    [Fact]
    public void NonDifferentiablePointsFollowPyTorch()
    {
        // |x|' = sign(x) = 0 at 0.
        MathCorpus.AbsDWithGradient(0, out double dAbs);
        Assert.Equal(0, dAbs);

        // min and max split the gradient evenly on a tie.
        MathCorpus.MaxDWithGradient(2, 2, out double da, out double db);
        Assert.Equal((0.5, 0.5), (da, db));
        MathCorpus.MinFWithGradient(-1, -1, out float fa, out float fb);
        Assert.Equal((0.5f, 0.5f), (fa, fb));

        // clamp passes the gradient to x on the boundary, and to the bound that is the result outside.
        MathCorpus.ClampDWithGradient(1, -1, 1, out double dx, out double dlo, out double dhi);
        Assert.Equal((1.0, 0.0, 0.0), (dx, dlo, dhi));
        MathCorpus.ClampDWithGradient(2, -1, 1, out dx, out dlo, out dhi);
        Assert.Equal((0.0, 0.0, 1.0), (dx, dlo, dhi));
        MathCorpus.ClampDWithGradient(-2, -1, 1, out dx, out dlo, out dhi);
        Assert.Equal((0.0, 1.0, 0.0), (dx, dlo, dhi));

        // pow: no gradient to the exponent where the base is 0 (and the exponent ≥ 0); none to the base where the exponent is 0.
        MathCorpus.PowDWithGradient(0, 2, out double dBase, out double dExponent);
        Assert.Equal((0.0, 0.0), (dBase, dExponent));
        MathCorpus.PowDWithGradient(3, 0, out dBase, out dExponent);
        Assert.Equal(0.0, dBase);
        Assert.Equal(Math.Log(3), dExponent, 12);

        // Piecewise-constant functions have zero gradient.
        MathCorpus.FloorDWithGradient(2.5, out double dFloor);
        Assert.Equal(2.0, dFloor);
    }

    [Fact]
    public void UnusedParameterHasZeroGradientAndConstantHasNone()
    {
        double value = ComposedCorpus.UnusedWithGradient(3, 4, out double dx, out double dy);
        Assert.Equal((9.0, 6.0, 0.0), (value, dx, dy));
        Assert.Equal(4.0, ComposedCorpus.ConstantWithGradient(1, out double dc));
        Assert.Equal(0.0, dc);
        Assert.Equal(3.0 * 2, ComposedCorpus.IntegerDivisionWithGradient(2, out double dn));
        Assert.Equal(3.0, dn);
    }
}
