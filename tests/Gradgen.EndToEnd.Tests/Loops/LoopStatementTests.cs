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

/// <summary>Methods that return before their last statement: from inside loops, nested loops and at the top.</summary>
public static partial class EarlyReturnCorpus
{
    /// <summary>The square of the first element above t, else the sum of all (a search loop).</summary>
    [Differentiable]
    public static double FirstAbove(ReadOnlySpan<double> x, double t)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] > t) return x[i] * x[i] * t;
            s += x[i];
        }

        return s;
    }

    /// <summary>Row by row over a rows×cols matrix: the first element above 1 times its row's partial sum, else the total.</summary>
    [Differentiable]
    public static double FirstAboveInRows(ReadOnlySpan<double> x, int cols)
    {
        double total = 0;
        for (int r = 0; r * cols < x.Length; r++)
        {
            double row = 0;
            int c = 0;
            while (c < cols)
            {
                double v = x[r * cols + c];
                if (v > 1) return v * (row + 1);
                row += v;
                c++;
            }

            total += row * row;
        }

        return total;
    }

    /// <summary>An empty span returns at the top; else foreach with an early return, then a do loop that may return.</summary>
    [Differentiable]
    public static double GuardedProducts(ReadOnlySpan<double> x)
    {
        if (x.Length == 0) return 0;
        double p = 1;
        foreach (var v in x)
        {
            if (v < -1.5) return p * v;
            p *= 0.5 + v * v;
        }

        int i = 0;
        do
        {
            if (p > 50) return Math.Log(p) + x[i];
            p *= 1.5;
            i++;
        }
        while (i < x.Length);
        return p;
    }
}

/// <summary>The generated reverse mode of <see cref="DoAndForEachCorpus"/> and <see cref="EarlyReturnCorpus"/> against float64 finite differences.</summary>
public sealed class LoopStatementTests
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

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(200)]
    public void ReturnFromInsideALoop(int n)
    {
        Check(n, 40, r => Concat(Uniform(r, n, -1, 1), Uniform(r, 1, 0.5, 0.9)),
            p => EarlyReturnCorpus.FirstAbove(p.AsSpan(0, n), p[n]),
            (p, d) =>
            {
                double value = EarlyReturnCorpus.FirstAboveWithGradient(p.AsSpan(0, n), p[n], d.AsSpan(0, n), out double dt);
                d[n] = dt;
                return value;
            });

        // Only the element returned gets a gradient, and the elements after it none.
        var dx = new double[4];
        double y = EarlyReturnCorpus.FirstAboveWithGradient([0.5, 2, 3, 0.25], 1, dx, out double dtAt1);
        Assert.Equal(4, y);
        Assert.Equal(new double[] { 0, 4, 0, 0 }, dx);
        Assert.Equal(4, dtAt1);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(12, 3)]
    [InlineData(60, 5)]
    public void ReturnFromANestedLoop(int n, int cols) => Check(n, 40, r => Uniform(r, n, -1, 1.2),
        p => EarlyReturnCorpus.FirstAboveInRows(p, cols),
        (p, d) => EarlyReturnCorpus.FirstAboveInRowsWithGradient(p, cols, d));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(40)]
    public void ReturnAtTheTopFromForEachAndFromADoLoop(int n) => Check(n, 40, r => Uniform(r, n, -2, 2),
        p => EarlyReturnCorpus.GuardedProducts(p),
        (p, d) => EarlyReturnCorpus.GuardedProductsWithGradient(p, d));
}
