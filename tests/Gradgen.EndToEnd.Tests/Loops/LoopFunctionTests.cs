using static Gradgen.EndToEnd.Tests.Loops.LoopGradients;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// The generated reverse mode of methods over spans and loops (<see cref="LoopCorpus"/>) against float64 finite
/// differences, at the lengths that hit the edges: 0 and 1 (loops of no and one iteration), 7, 8, 9 and 1,000.
/// </summary>
public sealed class LoopFunctionTests
{
    public static TheoryData<int> Lengths => new() { 0, 1, 7, 8, 9, 1000 };

    /// <summary>Lengths below, at and past 4, 8 and 16 lanes (the vector widths of a vectorised loop).</summary>
    public static TheoryData<int> AroundVectorWidths => new() { 1, 3, 5, 7, 8, 9, 15, 17, 33, 1000 };

    private static int Trials(int n) => n >= 1000 ? 10 : 40;

    [Theory]
    [MemberData(nameof(Lengths))]
    public void DotProduct(int n) => Check(n, Trials(n), r => Concat(Uniform(r, n), Uniform(r, n)),
        p => LoopCorpus.Dot(p.AsSpan(0, n), p.AsSpan(n)),
        (p, d) => LoopCorpus.DotWithGradient(p.AsSpan(0, n), p.AsSpan(n), d.AsSpan(0, n), d.AsSpan(n)));

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(1000)]
    public void LogSumExpWithTheRunningMaximum(int n) => Check(n, Trials(n), r => Uniform(r, n, -5, 5),
        p => LoopCorpus.LogSumExp(p),
        (p, d) => LoopCorpus.LogSumExpWithGradient(p, d));

    [Theory]
    [MemberData(nameof(AroundVectorWidths))]
    public void TwoPassLogSumExpVectorised(int n) => Check(n, Trials(n), r => Uniform(r, n, -5, 5),
        p => LoopCorpus.TwoPassLogSumExp(p),
        (p, d) => LoopCorpus.TwoPassLogSumExpWithGradient(p, d));

    // Not at 1,000: a thousand uniform values leave the largest two closer than the finite differences' step.
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(17)]
    [InlineData(100)]
    public void RangeWithARunningMaximumAndMinimum(int n) => Check(n, Trials(n), r => Concat(Uniform(r, n), Uniform(r, 1, 0.5, 2)),
        p => LoopCorpus.Range(p.AsSpan(0, n), p[n]),
        (p, d) => LoopCorpus.RangeWithGradient(p.AsSpan(0, n), p[n], d.AsSpan(0, n), out d[n]));

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(1000)]
    public void SoftmaxCrossEntropyOfALabel(int n)
    {
        int label = n / 2;
        Check(n, Trials(n), r => Uniform(r, n, -3, 3),
            p => LoopCorpus.SoftmaxCrossEntropy(p, label),
            (p, d) => LoopCorpus.SoftmaxCrossEntropyWithGradient(p, label, d));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void HornersRule(int n) => Check(n, Trials(n), r => Concat(Uniform(r, n), Uniform(r, 1, -1.2, 1.2)),
        p => LoopCorpus.Horner(p.AsSpan(0, n), p[n]),
        (p, d) =>
        {
            double value = LoopCorpus.HornerWithGradient(p.AsSpan(0, n), p[n], d.AsSpan(0, n), out double dx);
            d[n] = dx;
            return value;
        });

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(1000)]
    public void DampedSpringIntegratedWithEuler(int steps) => Check(steps, Trials(steps), r => Concat(Uniform(r, 2), Uniform(r, 2, 0.1, 2)),
        p => LoopCorpus.Spring(p[0], p[1], p[2], p[3], steps),
        (p, d) =>
        {
            double value = LoopCorpus.SpringWithGradient(p[0], p[1], p[2], p[3], steps, out d[0], out d[1], out d[2], out d[3]);
            return value;
        });

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RecurrentCellOverASequence(int n) => Check(n, Trials(n), r => Concat(Uniform(r, n), Uniform(r, 3)),
        p => LoopCorpus.Rnn(p.AsSpan(0, n), p[n], p[n + 1], p[n + 2]),
        (p, d) => LoopCorpus.RnnWithGradient(p.AsSpan(0, n), p[n], p[n + 1], p[n + 2], d.AsSpan(0, n), out d[n], out d[n + 1], out d[n + 2]));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    public void TrapezoidIntegrationOfAScalarFunction(int panels) => Check(panels, Trials(panels), r => Concat(Uniform(r, 1, -2, 0), Uniform(r, 1, 0.5, 2)),
        p => LoopCorpus.Trapezoid(p[0], p[1], panels),
        (p, d) => LoopCorpus.TrapezoidWithGradient(p[0], p[1], panels, out d[0], out d[1]),
        noPanels: panels == 0);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void BreakOnTheFirstOrALaterIteration(int n) => Check(n, Trials(n), r => Concat(Uniform(r, n), Uniform(r, 1, 0, n == 0 ? 1 : 0.3 * n)),
        p => LoopCorpus.SumSquaresUntil(p.AsSpan(0, n), p[n]),
        (p, d) => LoopCorpus.SumSquaresUntilWithGradient(p.AsSpan(0, n), p[n], d.AsSpan(0, n), out d[n]));

    [Fact]
    public void BreakOnTheFirstAndOnTheLastIteration()
    {
        // The limit 0 breaks on the first iteration; a limit above Σx² never breaks, so the last iteration runs whole.
        double[] x = { 0.5, -0.25, 0.75 };
        foreach (double limit in new[] { 0.0, 0.9, 10.0 })
        {
            var d = new double[3];
            double value = LoopCorpus.SumSquaresUntilWithGradient(x, limit, d, out double dlimit);
            Assert.Equal(LoopCorpus.SumSquaresUntil(x, limit), value);
            var numeric = Gradients.FiniteDifference(p => LoopCorpus.SumSquaresUntil(p, limit), x);
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(numeric[i], d[i], 6);
            }

            Assert.Equal(0, dlimit);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ContinueSkipsTheRestOfAnIteration(int n) => Check(n, Trials(n), r => Uniform(r, n).Select(v => v >= 0 ? v + 0.1 : v - 0.1).ToArray(),
        p => LoopCorpus.SumRootsOfPositives(p),
        (p, d) => LoopCorpus.SumRootsOfPositivesWithGradient(p, d));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(100)]
    public void NestedLoops(int n) => Check(n, Trials(n), r => Concat(Uniform(r, n * n), Uniform(r, n)),
        p => LoopCorpus.QuadraticForm(p.AsSpan(0, n * n), p.AsSpan(n * n)),
        (p, d) => LoopCorpus.QuadraticFormWithGradient(p.AsSpan(0, n * n), p.AsSpan(n * n), d.AsSpan(0, n * n), d.AsSpan(n * n)));

    [Theory]
    [MemberData(nameof(Lengths))]
    public void LocalArrayAndWhileLoop(int n) => Check(n, Trials(n), r => Uniform(r, n),
        p => LoopCorpus.SquaredPrefixSums(p),
        (p, d) => LoopCorpus.SquaredPrefixSumsWithGradient(p, d));

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(1000)]
    public void CallOfAnotherSpanFunction(int n) => Check(n, Trials(n), r => Uniform(r, n),
        p => LoopCorpus.Norm(p),
        (p, d) => LoopCorpus.NormWithGradient(p, d));

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void CallWithSlices(int n)
    {
        const int rows = 3;
        Check(n, Trials(n), r => Concat(Uniform(r, rows * n), Uniform(r, n)),
            p => LoopCorpus.RowDot(p.AsSpan(0, rows * n), p.AsSpan(rows * n), 1),
            (p, d) => LoopCorpus.RowDotWithGradient(p.AsSpan(0, rows * n), p.AsSpan(rows * n), 1, d.AsSpan(0, rows * n), d.AsSpan(rows * n)));
    }

    [Fact]
    public void StopGradientPassesTheValueButNoGradient()
    {
        double[] x = { 1.5, -2, 0.25 };
        var d = new double[3];
        double value = LoopCorpus.HalfSquareWithGradient(x, d);
        Assert.Equal(1.5 * 1.5 + 4 + 0.0625, value);
        Assert.Equal(x, d); // ∂/∂xᵢ of xᵢ·stop(xᵢ) is stop(xᵢ) = xᵢ, half the gradient of xᵢ²
    }

    [Fact]
    public void CustomDerivativeOfAScalarMethod()
    {
        foreach (double x in new[] { -3.0, -0.5, 0, 0.7, 5, 800 })
        {
            double value = LoopCorpus.SoftplusWithGradient(x, out double dx);
            Assert.Equal(LoopCorpus.Softplus(x), value);
            Assert.Equal(1 / (1 + Math.Exp(-x)), dx, 15); // finite at x = 800, where exp overflows
        }
    }

    [Theory]
    [InlineData(-2.0)]
    [InlineData(0.3)]
    [InlineData(4.0)]
    public void ScalarCallerOfACustomDerivative(double x) => Check(1, 1, _ => new[] { x },
        p => LoopCorpus.SoftplusTwice(p[0]),
        (p, d) => LoopCorpus.SoftplusTwiceWithGradient(p[0], out d[0]));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(1000)]
    public void LoopCallerOfACustomDerivative(int n) => Check(n, Trials(n), r => Uniform(r, n, -3, 3),
        p => LoopCorpus.SumOfSoftplus(p),
        (p, d) => LoopCorpus.SumOfSoftplusWithGradient(p, d));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    public void CustomDerivativeOfASpanMethod(int n) => Check(n, Trials(n), r => Uniform(r, n),
        p => LoopCorpus.RootSumOfSquares(p),
        (p, d) => LoopCorpus.RootSumOfSquaresWithGradient(p, d));

    [Fact]
    public void CustomDerivativeIsUsedInsteadOfTheBody()
    {
        // round has derivative 0 almost everywhere; the straight-through estimator passes the gradient as identity.
        double[] x = { 0.2, 1.7, -2.4 };
        var dx = new double[3];
        double value = LoopCorpus.SumOfRoundedWithGradient(x, 2, dx, out double dscale);
        Assert.Equal(0 + 3 - 5, value);
        Assert.Equal(new[] { 2.0, 2.0, 2.0 }, dx);
        Assert.Equal(0.2 + 1.7 - 2.4, dscale, 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    public void MatrixVectorProductIntoAnOutput(int n)
    {
        const int rows = 4;
        var random = new Random(n);
        for (int trial = 0; trial < Trials(n); trial++)
        {
            var a = Uniform(random, rows * n);
            var x = Uniform(random, n);
            var dy = Uniform(random, rows);
            var da = new double[rows * n];
            var dx = new double[n];
            LoopCorpus.MatVecBackward(a, x, dy, da, dx);
            // The vector-Jacobian product of y = A·x: dA = dy·xᵀ, dx = Aᵀ·dy.
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    Assert.Equal(dy[i] * x[j], da[i * n + j], 12);
                }
            }

            for (int j = 0; j < n; j++)
            {
                double expected = 0;
                for (int i = 0; i < rows; i++)
                {
                    expected += a[i * n + j] * dy[i];
                }

                Assert.Equal(expected, dx[j], 12);
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    public void CumulativeProductReadsItsOwnOutput(int n)
    {
        var random = new Random(n + 100);
        for (int trial = 0; trial < Trials(n); trial++)
        {
            var x = Uniform(random, n, 0.5, 1.5);
            var dy = Uniform(random, n);
            var dx = new double[n];
            LoopCorpus.CumulativeProductBackward(x, dy, dx);
            double Loss(double[] p)
            {
                var y = new double[n];
                LoopCorpus.CumulativeProduct(p, y);
                return y.Select((v, i) => v * dy[i]).Sum();
            }

            var numeric = Gradients.FiniteDifference(Loss, x);
            for (int i = 0; i < n; i++)
            {
                Assert.True(Close(dx[i], numeric[i], 1e-6), $"∂/∂x[{i}] = {dx[i]} but finite differences give {numeric[i]}");
            }
        }
    }

    [Fact]
    public void FloatFunctionsAgreeWithTheDoubleTwin()
    {
        var random = new Random(7);
        foreach (int n in new[] { 0, 1, 7, 8, 9, 1000 })
        {
            var x = Uniform(random, n);
            var y = Uniform(random, n);
            var dx = new float[n];
            var dy = new float[n];
            float value = LoopCorpus.DotFWithGradient(x.Select(v => (float)v).ToArray(), y.Select(v => (float)v).ToArray(), dx, dy);
            Assert.Equal(LoopCorpus.Dot(x, y), value, 3);
            for (int i = 0; i < n; i++)
            {
                Assert.True(Math.Abs(y[i] - dx[i]) < 1e-6, $"dx[{i}] = {dx[i]}, y[{i}] = {y[i]}");
                Assert.True(Math.Abs(x[i] - dy[i]) < 1e-6, $"dy[{i}] = {dy[i]}, x[{i}] = {x[i]}");
            }
        }
    }

    [Fact]
    public void GradientSpanOfTheWrongLengthIsRejectedBeforeAnythingRuns()
    {
        var x = new double[3];
        var y = new double[3];
        var dx = new double[2];
        var dy = new double[3];
        var error = Assert.Throws<ArgumentException>(() => LoopCorpus.DotWithGradient(x, y, dx, dy));
        Assert.Contains("'x' has 3 elements", error.Message);
        Assert.Contains("'dx' has 2", error.Message);
    }

    private static void Check(int n, int trials, Func<Random, double[]> sample, Func<double[], double> f, Func<double[], double[], double> valueAndGradient, bool noPanels = false)
    {
        if (noPanels)
        {
            // No panels divides by zero: the value is infinite in the method and in the generated code alike.
            var p = sample(new Random(n));
            var d = new double[p.Length];
            Assert.Equal(LoopCorpus.Trapezoid(p[0], p[1], 0), valueAndGradient(p, d));
            return;
        }

        LoopGradients.Check(n * 7919 + 1, trials, sample, f, valueAndGradient);
    }
}
