using System.Reflection;
using static Gradgen.EndToEnd.Tests.Loops.LoopGradients;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// Running maxima and minima (docs/differentiable.md, "Running maxima and minima"): the forward loop of
/// <c>m = Math.Max(m, e)</c> runs on SIMD vectors and gives the scalar loop's value and gradient bit for bit, NaN, −0/+0,
/// ties and infinities included; and <c>if (e &gt; m) m = e;</c> (and <c>&gt;=</c>, <c>&lt;</c>, <c>&lt;=</c>, either
/// way round) is recognised too, with the branch's own tie and NaN rules, and has the taped form's gradient.
/// </summary>
public sealed class RunningExtremumTests
{
    /// <summary>Around every vector width (4, 8 and 16 lanes: none, one vector and a tail, several), and large.</summary>
    private static readonly int[] Lengths = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1000, 100_003];

    /// <summary>What the inputs hold.</summary>
    public enum Inputs
    {
        /// <summary>Distinct random values.</summary>
        Random,

        /// <summary>Few distinct values: many ties.</summary>
        Ties,

        /// <summary>−0, +0 and small integers.</summary>
        SignedZeros,

        /// <summary>Random values with NaN at a few places.</summary>
        NaNs,

        /// <summary>Random values, ±∞ and ±0.</summary>
        Infinities,
    }

    /// <summary>The starting values of the running extremum.</summary>
    public static readonly double[] Starts = [double.NegativeInfinity, double.PositiveInfinity, 0.0, -0.0, 0.5, double.NaN];

    public static IEnumerable<object[]> LengthsAndInputs() =>
        from int n in Lengths
        from Inputs inputs in Enum.GetValues<Inputs>()
        select new object[] { n, inputs };

    [Fact]
    public void TheVectorisedMethodsHaveAVectorForwardLoopAndTheirTwinsDoNot()
    {
        // Otherwise the bit-for-bit comparisons below would compare the scalar loop with itself.
        foreach (var type in new[] { typeof(LoopCorpus), typeof(LoopCorpusF) })
        {
            foreach (string method in new[] { "MaximumFrom", "ScaledRange", "FirstLargest", "LastLargest", "FirstSmallestScaled", "LastSmallest" })
            {
                Assert.True(HasVectorForwardLoop(type, method), $"{type.Name}.{method} has no vectorised forward loop");
            }

            foreach (string method in new[] { "MaximumFromScalar", "ScaledRangeScalar", "FirstLargestTaped", "LastLargestTaped" })
            {
                Assert.False(HasVectorForwardLoop(type, method), $"{type.Name}.{method} has a vectorised forward loop");
            }
        }
    }

    [Theory]
    [MemberData(nameof(LengthsAndInputs))]
    public void MathMaxInVectorsIsTheScalarLoopBitForBit(int n, Inputs inputs)
    {
        foreach (double start in Starts)
        {
            var x = Sample(new Random(n * 7 + (int)inputs), n, inputs);
            var (vectorised, scalar) = (new double[n], new double[n]);
            double value = LoopCorpus.MaximumFromWithGradient(x, start, vectorised, out double dstart);
            double expected = LoopCorpus.MaximumFromScalarWithGradient(x, start, scalar, out double scalarDstart);
            double plain = start;
            foreach (double v in x)
            {
                plain = Math.Max(plain, v);
            }

            string what = $"n = {n}, {inputs}, start {start}";
            AssertSameBits(plain, value, what + ", value against Math.Max");
            AssertSameBits(expected, value, what + ", value");
            AssertSameBits(scalarDstart, dstart, what + ", ∂start");
            AssertSameBits(scalar, vectorised, what);

            var xf = Array.ConvertAll(x, v => (float)v);
            var (vectorisedF, scalarF) = (new float[n], new float[n]);
            float valueF = LoopCorpusF.MaximumFromWithGradient(xf, (float)start, vectorisedF, out float dstartF);
            float expectedF = LoopCorpusF.MaximumFromScalarWithGradient(xf, (float)start, scalarF, out float scalarDstartF);
            AssertSameBits(expectedF, valueF, what + ", float value");
            AssertSameBits(scalarDstartF, dstartF, what + ", float ∂start");
            AssertSameBits(Array.ConvertAll(scalarF, v => (double)v), Array.ConvertAll(vectorisedF, v => (double)v), what + ", float");
        }
    }

    [Theory]
    [MemberData(nameof(LengthsAndInputs))]
    public void TwoComputedExtremaInVectorsAreTheScalarLoopBitForBit(int n, Inputs inputs)
    {
        foreach (var (c, d) in new[] { (1.5, 0.25), (-2.0, 0.0), (0.0, -1.0) })
        {
            var x = Sample(new Random(n * 11 + (int)inputs), n, inputs);
            var (vectorised, scalar) = (new double[n], new double[n]);
            double value = LoopCorpus.ScaledRangeWithGradient(x, c, d, vectorised, out double dc, out double dd);
            double expected = LoopCorpus.ScaledRangeScalarWithGradient(x, c, d, scalar, out double scalarDc, out double scalarDd);
            string what = $"n = {n}, {inputs}, c = {c}, d = {d}";
            AssertSameBits(expected, value, what + ", value");
            AssertSameBits(scalarDc, dc, what + ", ∂c");
            AssertSameBits(scalarDd, dd, what + ", ∂d");
            AssertSameBits(scalar, vectorised, what);

            var xf = Array.ConvertAll(x, v => (float)v);
            var (vectorisedF, scalarF) = (new float[n], new float[n]);
            float valueF = LoopCorpusF.ScaledRangeWithGradient(xf, (float)c, (float)d, vectorisedF, out float dcF, out _);
            float expectedF = LoopCorpusF.ScaledRangeScalarWithGradient(xf, (float)c, (float)d, scalarF, out float scalarDcF, out _);
            AssertSameBits(expectedF, valueF, what + ", float value");
            AssertSameBits(scalarDcF, dcF, what + ", float ∂c");
            AssertSameBits(Array.ConvertAll(scalarF, v => (double)v), Array.ConvertAll(vectorisedF, v => (double)v), what + ", float");
        }
    }

    [Fact]
    public void TheLanesCarryOverFromOneBlockOfVectorsToTheNext()
    {
        // More than ExtremumLanes.BlockVectors float vectors at any width (2²⁰ × 16 lanes): two blocks or more. A
        // maximum tied in the first block is passed in the last one, and tied there.
        int n = (1 << 24) + 1001;
        var random = new Random(5);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = random.Next(-3, 4);
        }

        x[100] = 4;
        x[200] = 4;
        x[n - 500] = 5;
        x[n - 300] = 5;
        var (vectorised, scalar) = (new float[n], new float[n]);
        AssertSameBits(LoopCorpusF.MaximumFromScalarWithGradient(x, 1, scalar, out float scalarDstart), LoopCorpusF.MaximumFromWithGradient(x, 1, vectorised, out float dstart), "value");
        AssertSameBits(scalarDstart, dstart, "∂start");
        Assert.Equal(0f, vectorised[100]);
        Assert.Equal(0.5f, vectorised[n - 500]);
        Assert.Equal(0.5f, vectorised[n - 300]);
        Assert.True(scalar.AsSpan().SequenceEqual(vectorised), "the gradients differ");

        AssertSameBits(LoopCorpusF.ScaledRangeScalarWithGradient(x, -1.5f, 0.25f, scalar, out float scalarDc, out _), LoopCorpusF.ScaledRangeWithGradient(x, -1.5f, 0.25f, vectorised, out float dc, out _), "range");
        AssertSameBits(scalarDc, dc, "∂c");
        Assert.True(scalar.AsSpan().SequenceEqual(vectorised), "the gradients of the range differ");
    }

    [Theory]
    [MemberData(nameof(LengthsAndInputs))]
    public void TheIfFormsAreTheTapedLoopBitForBit(int n, Inputs inputs)
    {
        var x = Sample(new Random(n * 13 + (int)inputs), n, inputs);
        var xf = Array.ConvertAll(x, v => (float)v);
        foreach (double start in Starts)
        {
            string what = $"n = {n}, {inputs}, start {start}";
            AgreeWithTaped(what + ", e > m", x, start, LoopCorpus.FirstLargestWithGradient, LoopCorpus.FirstLargestTapedWithGradient);
            AgreeWithTaped(what + ", e >= m", x, start, LoopCorpus.LastLargestWithGradient, LoopCorpus.LastLargestTapedWithGradient);
            AgreeWithTaped(what + ", e <= m", x, start, LoopCorpus.LastSmallestWithGradient, LoopCorpus.LastSmallestTapedWithGradient);
            AgreeWithTaped(what + ", m > c·e", x, start, LoopCorpus.FirstSmallestScaledWithGradient, LoopCorpus.FirstSmallestScaledTapedWithGradient);
            AgreeWithTaped(what + ", float e > m", xf, (float)start, LoopCorpusF.FirstLargestWithGradient, LoopCorpusF.FirstLargestTapedWithGradient);
            AgreeWithTaped(what + ", float e >= m", xf, (float)start, LoopCorpusF.LastLargestWithGradient, LoopCorpusF.LastLargestTapedWithGradient);
            AgreeWithTaped(what + ", float e <= m", xf, (float)start, LoopCorpusF.LastSmallestWithGradient, LoopCorpusF.LastSmallestTapedWithGradient);
            AgreeWithTaped(what + ", float m > c·e", xf, (float)start, LoopCorpusF.FirstSmallestScaledWithGradient, LoopCorpusF.FirstSmallestScaledTapedWithGradient);
        }
    }

    [Fact]
    public void TheIfFormsKeepTheFirstOrTheLastOfEqualCandidatesAndNeverNaN()
    {
        double[] x = [1, 3, double.NaN, 3, -0.0, 0.0, 2, 3, 1];
        var dx = new double[x.Length];

        // e > m: the first 3 stays, so its gradient is 1; NaN never compares greater.
        Assert.Equal(3, LoopCorpus.FirstLargestWithGradient(x, double.NegativeInfinity, dx, out double dstart));
        Assert.Equal([0, 1, 0, 0, 0, 0, 0, 0, 0], dx);
        Assert.Equal(0, dstart);

        // e >= m: the last 3 replaces.
        Assert.Equal(3, LoopCorpus.LastLargestWithGradient(x, double.NegativeInfinity, dx, out _));
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 1, 0], dx);

        // No candidate beyond the start: the start keeps the gradient (e >= m: a tie replaces it).
        Assert.Equal(3, LoopCorpus.FirstLargestWithGradient(x, 3, dx, out dstart));
        Assert.Equal(1, dstart);
        Assert.Equal(new double[x.Length], dx);
        Assert.Equal(3, LoopCorpus.LastLargestWithGradient(x, 3, dx, out dstart));
        Assert.Equal(0, dstart);

        // e <= m from +0: −0 equals +0 and replaces it, then the later +0 replaces that.
        double smallest = LoopCorpus.LastSmallestWithGradient([1, -0.0, 2, 0.0, 5], 0.0, dx.AsSpan(0, 5), out dstart);
        Assert.Equal(0.0, smallest);
        Assert.False(double.IsNegative(smallest));
        Assert.Equal([0, 0, 0, 1, 0], dx.AsSpan(0, 5).ToArray());
        Assert.Equal(0, dstart);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(1000)]
    public void TheIfFormsMatchFiniteDifferences(int n)
    {
        int trials = n >= 1000 ? 20 : 200;
        Check(n, trials, r => Concat(Uniform(r, n, -5, 5), Uniform(r, 1, -6, 6)),
            p => LoopCorpus.FirstLargest(p.AsSpan(0, n), p[n]),
            (p, d) => LoopCorpus.FirstLargestWithGradient(p.AsSpan(0, n), p[n], d.AsSpan(0, n), out d[n]));
        Check(n + 1, trials, r => Concat(Uniform(r, n, -5, 5), Uniform(r, 1, -6, 6)),
            p => LoopCorpus.LastLargest(p.AsSpan(0, n), p[n]),
            (p, d) => LoopCorpus.LastLargestWithGradient(p.AsSpan(0, n), p[n], d.AsSpan(0, n), out d[n]));
        Check(n + 2, trials, r => Concat(Uniform(r, n, -5, 5), Uniform(r, 1, -6, 6)),
            p => LoopCorpus.LastSmallest(p.AsSpan(0, n), p[n]),
            (p, d) => LoopCorpus.LastSmallestWithGradient(p.AsSpan(0, n), p[n], d.AsSpan(0, n), out d[n]));
        if (n > 0)
        {
            // (With no element the value is +∞ whatever c is.)
            Check(n + 3, trials, r => Concat(Uniform(r, n, -5, 5), Uniform(r, 1, 0.5, 2)),
                p => LoopCorpus.FirstSmallestScaled(p.AsSpan(0, n), p[n]),
                (p, d) => LoopCorpus.FirstSmallestScaledWithGradient(p.AsSpan(0, n), p[n], d.AsSpan(0, n), out d[n]));
        }
    }

    private delegate double WithGradient(ReadOnlySpan<double> x, double start, Span<double> dx, out double dstart);

    private delegate float WithGradientF(ReadOnlySpan<float> x, float start, Span<float> dx, out float dstart);

    private static void AgreeWithTaped(string what, double[] x, double start, WithGradient recognised, WithGradient taped)
    {
        var (dx, tapedDx) = (new double[x.Length], new double[x.Length]);
        AssertSameBits(taped(x, start, tapedDx, out double tapedDstart), recognised(x, start, dx, out double dstart), what + ", value");
        AssertSameBits(tapedDstart, dstart, what + ", ∂start");
        AssertSameBits(tapedDx, dx, what);
    }

    private static void AgreeWithTaped(string what, float[] x, float start, WithGradientF recognised, WithGradientF taped)
    {
        var (dx, tapedDx) = (new float[x.Length], new float[x.Length]);
        AssertSameBits(taped(x, start, tapedDx, out float tapedDstart), recognised(x, start, dx, out float dstart), what + ", value");
        AssertSameBits(tapedDstart, dstart, what + ", ∂start");
        AssertSameBits(Array.ConvertAll(tapedDx, v => (double)v), Array.ConvertAll(dx, v => (double)v), what);
    }

    private static double[] Sample(Random random, int n, Inputs inputs)
    {
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = inputs switch
            {
                Inputs.Ties => random.Next(-2, 3),
                Inputs.SignedZeros => random.Next(4) switch { 0 => -0.0, 1 => 0.0, 2 => -1, _ => random.Next(-3, 1) },
                Inputs.Infinities => random.Next(6) switch { 0 => double.PositiveInfinity, 1 => double.NegativeInfinity, 2 => -0.0, 3 => 0.0, _ => random.NextDouble() * 10 - 5 },
                _ => random.NextDouble() * 10 - 5,
            };
        }

        if (inputs == Inputs.NaNs && n > 0)
        {
            foreach (int i in new[] { n - 1, n / 2, random.Next(n) })
            {
                x[i] = double.NaN;
            }
        }

        return x;
    }

    private static bool HasVectorForwardLoop(Type type, string method) =>
        type.GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
            .Any(m => m.Name.StartsWith("<" + method + "AccumulateGradient>", StringComparison.Ordinal) && m.Name.Contains("ForwardExtrema", StringComparison.Ordinal));

    private static void AssertSameBits(double expected, double actual, string what) =>
        Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"{what}: {actual} but the reference gives {expected}");

    private static void AssertSameBits(float expected, float actual, string what) =>
        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what}: {actual} but the reference gives {expected}");

    private static void AssertSameBits(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertSameBits(expected[i], actual[i], $"{what}, element {i} of {expected.Length}");
        }
    }
}
