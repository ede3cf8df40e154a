namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// Vectorised loops (docs/differentiable.md, "Vectorised loops") give the scalar loop's value and gradient to rounding:
/// the vectorised methods at the end of <see cref="LoopCorpus"/> (and its float twin <c>LoopCorpusF</c>) against their
/// twins that run the loop downwards and stay scalar, at the
/// lengths around every vector width (4, 8 and 16 lanes: none, one vector and a tail, several) and at a large n. And a
/// running maximum or minimum, which keeps no tape, has the taped form's derivative, ties included.
/// </summary>
public sealed class VectorisedLoopTests
{
    public static TheoryData<int> Lengths => new() { 0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 1000, 100_003 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void LogSumExpInDoubleMatchesTheScalarLoop(int n)
    {
        var x = Uniform(new Random(n), n, -20, 20);
        var vectorised = new double[n];
        var scalar = new double[n];
        double value = LoopCorpus.TwoPassLogSumExpWithGradient(x, vectorised);
        double expected = LoopCorpus.TwoPassLogSumExpDownwardsWithGradient(x, scalar);
        AssertClose(expected, value, 1e-12, "value");
        AssertClose(scalar, vectorised, 1e-12);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void LogSumExpInFloatMatchesTheScalarLoop(int n)
    {
        var x = Array.ConvertAll(Uniform(new Random(n), n, -20, 20), v => (float)v);
        var vectorised = new float[n];
        var scalar = new float[n];
        float value = LoopCorpusF.TwoPassLogSumExpWithGradient(x, vectorised);
        float expected = LoopCorpusF.TwoPassLogSumExpDownwardsWithGradient(x, scalar);
        AssertClose(expected, value, 1e-5, "value");
        AssertClose(Array.ConvertAll(scalar, v => (double)v), Array.ConvertAll(vectorised, v => (double)v), 1e-4);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void StoresAndSumsInDoubleMatchTheScalarLoop(int n)
    {
        var random = new Random(n + 1);
        var x = Uniform(random, n, -3, 3);
        var w = Uniform(random, n, -3, 3);
        var dy = Uniform(random, n, -1, 1);
        double[] dtotal = [random.NextDouble() - 0.5];
        double a = 1.25, b = -0.5;
        var (dx, dw) = (new double[n], new double[n]);
        var (sx, sw) = (new double[n], new double[n]);
        LoopCorpus.SquashBackward(x, w, a, b, dy, dtotal, dx, dw, out double da, out double db);
        LoopCorpus.SquashDownwardsBackward(x, w, a, b, dy, dtotal, sx, sw, out double sa, out double sb);
        AssertClose(sx, dx, 1e-12);
        AssertClose(sw, dw, 1e-12);
        AssertClose(sa, da, 1e-12, "∂a");
        AssertClose(sb, db, 1e-12, "∂b");
        Assert.Equal(-dy.Sum(), db, 1e-9 * (1 + n));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void StoresAndSumsInFloatMatchTheScalarLoop(int n)
    {
        var random = new Random(n + 2);
        float[] Floats(double low, double high) => Array.ConvertAll(Uniform(random, n, low, high), v => (float)v);
        var x = Floats(-3, 3);
        var w = Floats(-3, 3);
        var dy = Floats(-1, 1);
        float[] dtotal = [(float)random.NextDouble() - 0.5f];
        var (dx, dw) = (new float[n], new float[n]);
        var (sx, sw) = (new float[n], new float[n]);
        LoopCorpusF.SquashBackward(x, w, 1.25f, -0.5f, dy, dtotal, dx, dw, out float da, out float db);
        LoopCorpusF.SquashDownwardsBackward(x, w, 1.25f, -0.5f, dy, dtotal, sx, sw, out float sa, out float sb);
        AssertClose(Array.ConvertAll(sx, v => (double)v), Array.ConvertAll(dx, v => (double)v), 1e-5);
        AssertClose(Array.ConvertAll(sw, v => (double)v), Array.ConvertAll(dw, v => (double)v), 1e-5);
        AssertClose(sa, da, 1e-4, "∂a");
        AssertClose(sb, db, 1e-4, "∂b");
    }

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(2, 0.5)]
    [InlineData(3, -1.0)]
    [InlineData(4, 0.0)]
    public void ARunningMaximumWithoutTapeHasTheTapedDerivativeAtTies(int seed, double c)
    {
        var random = new Random(seed);
        foreach (int n in new[] { 0, 1, 2, 5, 17, 64 })
        {
            // Few distinct values: the maximum and minimum are tied at several places.
            var x = new double[n];
            for (int i = 0; i < n; i++)
            {
                x[i] = random.Next(-2, 3);
            }

            var recognised = new double[n];
            var taped = new double[n];
            double value = LoopCorpus.RangeWithGradient(x, c, recognised, out double dc);
            double expected = LoopCorpus.RangeTapedWithGradient(x, c, taped, out double tapedDc);
            Assert.Equal(expected, value);
            Assert.Equal(taped, recognised);
            Assert.Equal(tapedDc, dc);

            // Alone in its loop, the maximum's backward sweep skips the iterations that add zero.
            Assert.Equal(LoopCorpus.MaximumTapedWithGradient(x, taped), LoopCorpus.MaximumWithGradient(x, recognised));
            Assert.Equal(taped, recognised);
        }
    }

    private static double[] Uniform(Random random, int n, double low, double high) => LoopGradients.Uniform(random, n, low, high);

    private static void AssertClose(double expected, double actual, double tolerance, string what) =>
        Assert.True(LoopGradients.Close(actual, expected, tolerance), $"{what}: {actual} but the scalar loop gives {expected}");

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * (1 + scale), $"element {i} of {expected.Length}: {actual[i]} but the scalar loop gives {expected[i]}");
        }
    }
}
