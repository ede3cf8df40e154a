namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// The span overloads against the scalar <c>FWithGradient</c>, for every length from 0 to 256 (every vector tail of
/// every width) and one large length that takes the multi-core path; and their length checks.
/// </summary>
/// <remarks>
/// Float span kernels use Gradgen's own vector sin/cos/exp/log (a few ulp), the scalar form uses MathF, so they agree
/// to 2e-5 relative to max(1, |value|): the argument of sin(2πx) reaches 63, where one ulp of the reduced argument is
/// ~4e-6. Double kernels agree to 1e-12.
/// </remarks>
public sealed class SpanTests
{
    private static readonly int[] Lengths = Enumerable.Range(0, 257).Append(1_000_003).ToArray();

    private static float[] Data(int length, int seed, float low, float high)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => low + ((high - low) * random.NextSingle())).ToArray();
    }

    private static void Near(double expected, double actual, double tolerance, string what)
    {
        if (!(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected))))
        {
            Assert.Fail($"{what}: expected {expected}, got {actual}");
        }
    }

    [Fact]
    public void BumpSpansMatchTheScalarFormAtEveryLength()
    {
        foreach (int n in Lengths)
        {
            var x = Data(n, n, 0, 10);
            var g = Data(n, n + 1, -2, 2);
            var value = new float[n];
            var valueOnly = new float[n];
            var dx = new float[n];
            var vjp = new float[n];
            ComposedCorpus.BumpFWithGradient(x, value, dx);
            ComposedCorpus.BumpF(x, valueOnly);
            ComposedCorpus.BumpFBackward(x, g, vjp);
            for (int i = 0; i < n; i++)
            {
                float expected = ComposedCorpus.BumpFWithGradient(x[i], out float expectedDx);
                Near(expected, value[i], 2e-5, $"n={n} value[{i}]");
                Near(expected, valueOnly[i], 2e-5, $"n={n} forward[{i}]");
                Near(expectedDx, dx[i], 2e-5, $"n={n} dx[{i}]");
                Near(g[i] * expectedDx, vjp[i], 2e-5, $"n={n} backward[{i}]");
            }
        }
    }

    [Fact]
    public void TwoParameterSpansWithBranchesMatchTheScalarForm()
    {
        foreach (int n in Lengths)
        {
            var a = Data(n, n, -3, 3);
            var b = Data(n, n + 7, -3, 3);
            var value = new float[n];
            var da = new float[n];
            var db = new float[n];
            ComposedCorpus.BranchesFWithGradient(a, b, value, da, db);
            for (int i = 0; i < n; i++)
            {
                float expected = ComposedCorpus.BranchesFWithGradient(a[i], b[i], out float ea, out float eb);
                Near(expected, value[i], 2e-5, $"n={n} value[{i}]");
                Near(ea, da[i], 2e-5, $"n={n} da[{i}]");
                Near(eb, db[i], 2e-5, $"n={n} db[{i}]");
            }

            ComposedCorpus.SameSignFWithGradient(a, b, value, da, db);
            for (int i = 0; i < n; i++)
            {
                float expected = ComposedCorpus.SameSignFWithGradient(a[i], b[i], out float ea, out float eb);
                Assert.Equal(expected, value[i]);
                Assert.Equal((ea, eb), (da[i], db[i]));
            }
        }
    }

    [Fact]
    public void EveryFloatFunctionAgreesWithItsScalarForm()
    {
        const int N = 301;
        var cases = new (string Name, GradientTests.Float1 Scalar, SpanWithGradient Span, float Low, float High)[]
        {
            ("Sin", MathCorpus.SinFWithGradient, MathCorpus.SinFWithGradient, -100, 100),
            ("Cos", MathCorpus.CosFWithGradient, MathCorpus.CosFWithGradient, -100, 100),
            ("Tan", MathCorpus.TanFWithGradient, MathCorpus.TanFWithGradient, -1.4f, 1.4f),
            ("Asin", MathCorpus.AsinFWithGradient, MathCorpus.AsinFWithGradient, -0.99f, 0.99f),
            ("Acos", MathCorpus.AcosFWithGradient, MathCorpus.AcosFWithGradient, -0.99f, 0.99f),
            ("Atan", MathCorpus.AtanFWithGradient, MathCorpus.AtanFWithGradient, -50, 50),
            ("Sinh", MathCorpus.SinhFWithGradient, MathCorpus.SinhFWithGradient, -10, 10),
            ("Cosh", MathCorpus.CoshFWithGradient, MathCorpus.CoshFWithGradient, -10, 10),
            ("Tanh", MathCorpus.TanhFWithGradient, MathCorpus.TanhFWithGradient, -10, 10),
            ("Asinh", MathCorpus.AsinhFWithGradient, MathCorpus.AsinhFWithGradient, -50, 50),
            ("Acosh", MathCorpus.AcoshFWithGradient, MathCorpus.AcoshFWithGradient, 1.01f, 50),
            ("Atanh", MathCorpus.AtanhFWithGradient, MathCorpus.AtanhFWithGradient, -0.99f, 0.99f),
            ("Exp", MathCorpus.ExpFWithGradient, MathCorpus.ExpFWithGradient, -80, 80),
            ("Log", MathCorpus.LogFWithGradient, MathCorpus.LogFWithGradient, 1e-3f, 1e4f),
            ("Log2", MathCorpus.Log2FWithGradient, MathCorpus.Log2FWithGradient, 1e-3f, 1e4f),
            ("Log10", MathCorpus.Log10FWithGradient, MathCorpus.Log10FWithGradient, 1e-3f, 1e4f),
            ("Sqrt", MathCorpus.SqrtFWithGradient, MathCorpus.SqrtFWithGradient, 1e-3f, 1e4f),
            ("Cbrt", MathCorpus.CbrtFWithGradient, MathCorpus.CbrtFWithGradient, -1e3f, 1e3f),
            ("Abs", MathCorpus.AbsFWithGradient, MathCorpus.AbsFWithGradient, -10, 10),
            ("Floor", MathCorpus.FloorFWithGradient, MathCorpus.FloorFWithGradient, -10, 10),
            ("Round", MathCorpus.RoundFWithGradient, MathCorpus.RoundFWithGradient, -10, 10),
            ("Sign", MathCorpus.SignFWithGradient, MathCorpus.SignFWithGradient, -10, 10),
        };

        foreach (var (name, scalar, span, low, high) in cases)
        {
            var x = Data(N, name.Length, low, high);
            var value = new float[N];
            var dx = new float[N];
            span(x, value, dx);
            for (int i = 0; i < N; i++)
            {
                float expected = scalar(x[i], out float expectedDx);
                // Relative accuracy of Gradgen's vector functions (docs/vector-math.md), with margin for the derivative's own formula.
                Near(expected, value[i], 2e-5, $"{name}({x[i]})");
                Near(expectedDx, dx[i], 2e-5, $"∂{name}({x[i]})");
            }
        }
    }

    public delegate void SpanWithGradient(ReadOnlySpan<float> x, Span<float> result, Span<float> dx);

    [Fact]
    public void DoubleSpansMatchTheScalarForm()
    {
        foreach (int n in new[] { 0, 1, 3, 7, 8, 9, 15, 17, 100, 1_000_003 })
        {
            var random = new Random(n);
            var x = Enumerable.Range(0, n).Select(_ => random.NextDouble() * 10).ToArray();
            var value = new double[n];
            var dx = new double[n];
            ComposedCorpus.BumpDWithGradient(x, value, dx);
            for (int i = 0; i < n; i++)
            {
                double expected = ComposedCorpus.BumpDWithGradient(x[i], out double expectedDx);
                Near(expected, value[i], 1e-12, $"value[{i}]");
                Near(expectedDx, dx[i], 1e-12, $"dx[{i}]");
            }
        }
    }

    [Fact]
    public void InPlaceUseIsSupported()
    {
        var x = Data(1001, 5, 0, 10);
        var expected = new float[x.Length];
        ComposedCorpus.BumpF(x, expected);
        ComposedCorpus.BumpF(x, x);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void LengthMismatchThrowsNamingTheSpanAndBothLengths()
    {
        var error = Assert.Throws<ArgumentException>(() => ComposedCorpus.BumpFWithGradient(new float[10], new float[10], new float[9]));
        Assert.Equal("dx", error.ParamName);
        Assert.Contains("'x' has 10", error.Message, StringComparison.Ordinal);
        Assert.Contains("'dx' has 9", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<ArgumentException>(() => ComposedCorpus.BranchesFWithGradient(new float[4], new float[5], new float[4], new float[4], new float[4]));
        Assert.Equal("y", error.ParamName);

        error = Assert.Throws<ArgumentException>(() => ComposedCorpus.BumpFBackward(new float[3], new float[2], new float[3]));
        Assert.Equal("gradOutput", error.ParamName);
    }
}
