using static Gradgen.EndToEnd.Tests.Loops.LoopGradients;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>Methods with <c>foreach</c> over spans and <c>do … while</c> loops, each written as a user would.</summary>
public static partial class DoAndForEachCorpus
{
    /// <summary>Σ v² over the span, by foreach.</summary>
    [Differentiable]
    public static double SumOfSquares(ReadOnlySpan<double> x)
    {
        double s = 0;
        foreach (var v in x) s += v * v;
        return s;
    }

    /// <summary>log Σ exp(v) with the maximum first, both loops foreach; values below −50 skipped by continue.</summary>
    [Differentiable]
    public static double LogSumExpSkippingSmall(ReadOnlySpan<double> x)
    {
        double m = double.NegativeInfinity;
        foreach (double v in x) m = Math.Max(m, v);
        double s = 0;
        foreach (double v in x)
        {
            if (v < -50) continue;
            s += Math.Exp(v - m);
        }

        return m + Math.Log(s);
    }

    /// <summary>Σ w·v until the running sum passes a bound: foreach with break (a data-dependent trip count).</summary>
    [Differentiable]
    public static double WeightedSumUntil(ReadOnlySpan<double> x, double w)
    {
        double s = 0;
        foreach (var v in x)
        {
            s += w * v;
            if (s > 3) break;
        }

        return s;
    }

    /// <summary>√a by Newton's method, iterating until the square is within a relative 10⁻¹⁴ of a (at most maxSteps).</summary>
    [Differentiable]
    public static double NewtonSquareRoot(double a, int maxSteps)
    {
        double y = a;
        int k = 0;
        do
        {
            y = 0.5 * (y + a / y);
            k++;
        }
        while (Math.Abs(y * y - a) > 1e-14 * a && k < maxSteps);
        return y;
    }

    /// <summary>Σ x[i]² over the non-negative elements, by a do loop whose body always runs once (x is not empty), with continue.</summary>
    [Differentiable]
    public static double SquaresOfNonNegative(ReadOnlySpan<double> x)
    {
        double s = 0;
        int i = 0;
        do
        {
            double v = x[i];
            i++;
            if (v < 0) continue;
            s += v * v;
        }
        while (i < x.Length);
        return s;
    }
}

/// <summary>The generated reverse mode of <see cref="DoAndForEachCorpus"/> against float64 finite differences.</summary>
public sealed class DoAndForEachTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(1000)]
    public void ForEachReadsEveryElement(int n)
    {
        Check(n, 20, r => Uniform(r, n), p => DoAndForEachCorpus.SumOfSquares(p), (p, d) => DoAndForEachCorpus.SumOfSquaresWithGradient(p, d));
        var x = Enumerable.Range(0, n).Select(i => i * 0.5 - 3).ToArray();
        var dx = new double[n];
        DoAndForEachCorpus.SumOfSquaresWithGradient(x, dx);
        Assert.Equal(x.Select(v => 2 * v), dx);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(1000)]
    public void ForEachWithContinueAndARunningMaximum(int n) => Check(n, 20, r => Uniform(r, n, -5, 5),
        p => DoAndForEachCorpus.LogSumExpSkippingSmall(p),
        (p, d) => DoAndForEachCorpus.LogSumExpSkippingSmallWithGradient(p, d));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(50)]
    public void ForEachWithBreakStopsWhereTheForwardStopped(int n)
    {
        Check(n, 40, r => Concat(Uniform(r, n, 0, 1), Uniform(r, 1, 0.5, 1.5)),
            p => DoAndForEachCorpus.WeightedSumUntil(p.AsSpan(0, n), p[n]),
            (p, d) =>
            {
                double value = DoAndForEachCorpus.WeightedSumUntilWithGradient(p.AsSpan(0, n), p[n], d.AsSpan(0, n), out double dw);
                d[n] = dw;
                return value;
            });

        // Elements after the break get no gradient.
        var x = new double[] { 2, 2, 2, 2 };
        var dx = new double[4];
        double s = DoAndForEachCorpus.WeightedSumUntilWithGradient(x, 1, dx, out double dwAt1);
        Assert.Equal(4, s);
        Assert.Equal(new double[] { 1, 1, 0, 0 }, dx);
        Assert.Equal(4, dwAt1);
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(2)]
    [InlineData(1e4)]
    public void DoLoopRunsUntilItsConditionFails(double a)
    {
        double y = DoAndForEachCorpus.NewtonSquareRootWithGradient(a, 100, out double da);
        Assert.Equal(Math.Sqrt(a), y, 1e-12 * Math.Sqrt(a));
        // d√a/da = 1/(2√a): the derivative of the converged iteration, through every step the loop took.
        Assert.Equal(0.5 / Math.Sqrt(a), da, 1e-9 / Math.Sqrt(a));
    }

    [Fact]
    public void DoLoopBodyRunsOnceBeforeTheConditionIsRead()
    {
        // maxSteps = 0: the condition k < 0 is false after the first step, which still ran (y = (a + 1)/2).
        double y = DoAndForEachCorpus.NewtonSquareRootWithGradient(9, 0, out double da);
        Assert.Equal(5, y);
        Assert.Equal(0.5, da, 1e-15);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void DoLoopWithContinue(int n) => Check(n, 40, r => Uniform(r, n, -2, 2),
        p => DoAndForEachCorpus.SquaresOfNonNegative(p),
        (p, d) => DoAndForEachCorpus.SquaresOfNonNegativeWithGradient(p, d));
}
