using Gradgen;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// [Differentiable] methods over spans, arrays and loops, compiled by the real generator: the examples of issue 11
/// and the constructs around them (break, continue, while, nested loops, local arrays, calls, stop-gradient).
/// </summary>
public static partial class LoopCorpus
{
    [Differentiable]
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    [Differentiable]
    public static float DotF(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        float sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    /// <summary>log Σ exp(xᵢ) in one pass with the running maximum (the online form of log-sum-exp).</summary>
    [Differentiable]
    public static double LogSumExp(ReadOnlySpan<double> x)
    {
        double max = double.NegativeInfinity;
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] > max)
            {
                sum = sum * Math.Exp(max - x[i]) + 1;
                max = x[i];
            }
            else
            {
                sum += Math.Exp(x[i] - max);
            }
        }

        return max + Math.Log(sum);
    }

    /// <summary>−log softmax(logits)[label].</summary>
    [Differentiable]
    public static double SoftmaxCrossEntropy(ReadOnlySpan<double> logits, int label)
    {
        double max = logits[0];
        for (int i = 1; i < logits.Length; i++)
        {
            max = Math.Max(max, logits[i]);
        }

        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            sum += Math.Exp(logits[i] - max);
        }

        return Math.Log(sum) + max - logits[label];
    }

    /// <summary>c₀ + x(c₁ + x(c₂ + …)) by Horner's rule.</summary>
    [Differentiable]
    public static double Horner(ReadOnlySpan<double> c, double x)
    {
        double value = 0;
        for (int i = c.Length - 1; i >= 0; i--)
        {
            value = value * x + c[i];
        }

        return value;
    }

    /// <summary>A damped spring x'' = −k x − c x' integrated with explicit Euler; returns the final position.</summary>
    [Differentiable]
    public static double Spring(double x0, double v0, double k, double damping, int steps)
    {
        const double dt = 0.01;
        double x = x0;
        double v = v0;
        for (int s = 0; s < steps; s++)
        {
            double a = -k * x - damping * v;
            x += dt * v;
            v += dt * a;
        }

        return x;
    }

    /// <summary>An RNN cell h = tanh(w·h + u·xₜ + b) over a sequence; returns the last state.</summary>
    [Differentiable]
    public static double Rnn(ReadOnlySpan<double> xs, double w, double u, double b)
    {
        double h = 0;
        for (int t = 0; t < xs.Length; t++)
        {
            h = Math.Tanh(w * h + u * xs[t] + b);
        }

        return h;
    }

    /// <summary>y = A·x for A stored row-major with x.Length columns.</summary>
    [Differentiable]
    public static void MatVec(ReadOnlySpan<double> a, ReadOnlySpan<double> x, Span<double> y)
    {
        int n = x.Length;
        for (int i = 0; i < y.Length; i++)
        {
            double sum = 0;
            for (int j = 0; j < n; j++)
            {
                sum += a[i * n + j] * x[j];
            }

            y[i] = sum;
        }
    }

    /// <summary>yᵢ = x₀·x₁·…·xᵢ.</summary>
    [Differentiable]
    public static void CumulativeProduct(ReadOnlySpan<double> x, Span<double> y)
    {
        double running = 1;
        for (int i = 0; i < x.Length; i++)
        {
            running *= x[i];
            y[i] = running;
        }

        for (int i = 1; i < y.Length; i++)
        {
            y[i] = y[i - 1] * x[i];
        }
    }

    /// <summary>yᵢ = exp(xᵢ − max x) / Σⱼ exp(xⱼ − max x): an output as long as its input (the tensor overload's default).</summary>
    [Differentiable]
    public static void Softmax(ReadOnlySpan<double> x, Span<double> y)
    {
        double max = x[0];
        for (int i = 1; i < x.Length; i++)
        {
            max = Math.Max(max, x[i]);
        }

        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = Math.Exp(x[i] - max);
            sum += y[i];
        }

        for (int i = 0; i < x.Length; i++)
        {
            y[i] = y[i] / sum;
        }
    }

    /// <summary>yᵢ = a·x₍ᵢ₊ₖ₎ mod n: a span, a scalar and an int before the output.</summary>
    [Differentiable]
    public static void ScaledRotation(ReadOnlySpan<double> x, double a, int k, Span<double> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = a * x[(i + k) % x.Length];
        }
    }

    /// <summary>yᵢ = xⁱ: no span input, so the tensor overload needs the output's length.</summary>
    [Differentiable]
    public static void Powers(double x, Span<double> y)
    {
        double power = 1;
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = power;
            power *= x;
        }
    }

    [Differentiable]
    public static double Bump(double x) => Math.Sin(x) * Math.Exp(-x * x / 4);

    /// <summary>∫ₐᵇ Bump by the trapezoid rule with n panels.</summary>
    [Differentiable]
    public static double Trapezoid(double a, double b, int n)
    {
        double h = (b - a) / n;
        double sum = (Bump(a) + Bump(b)) / 2;
        for (int i = 1; i < n; i++)
        {
            sum += Bump(a + i * h);
        }

        return sum * h;
    }

    /// <summary>Σ xᵢ² until the running sum passes the limit (break).</summary>
    [Differentiable]
    public static double SumSquaresUntil(ReadOnlySpan<double> x, double limit)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * x[i];
            if (sum > limit)
            {
                break;
            }

            sum += 0.5 * x[i];
        }

        return sum;
    }

    /// <summary>Σ √xᵢ over the positive elements (continue).</summary>
    [Differentiable]
    public static double SumRootsOfPositives(ReadOnlySpan<double> x)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] <= 0)
            {
                continue;
            }

            sum += Math.Sqrt(x[i]);
        }

        return sum;
    }

    /// <summary>xᵀ A x with nested loops, A n×n row-major.</summary>
    [Differentiable]
    public static double QuadraticForm(ReadOnlySpan<double> a, ReadOnlySpan<double> x)
    {
        int n = x.Length;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                total += x[i] * a[i * n + j] * x[j];
            }
        }

        return total;
    }

    /// <summary>Σ (prefix sums)² with the prefix sums in a local array.</summary>
    [Differentiable]
    public static double SquaredPrefixSums(ReadOnlySpan<double> x)
    {
        Span<double> prefix = stackalloc double[x.Length];
        double running = 0;
        for (int i = 0; i < x.Length; i++)
        {
            running += x[i];
            prefix[i] = running;
        }

        double total = 0;
        int k = 0;
        while (k < prefix.Length)
        {
            total += prefix[k] * prefix[k];
            k++;
        }

        return total;
    }

    /// <summary>‖x‖ through a call of another span function.</summary>
    [Differentiable]
    public static double Norm(ReadOnlySpan<double> x) => Math.Sqrt(Dot(x, x));

    /// <summary>A row of A times x through a call with slices.</summary>
    [Differentiable]
    public static double RowDot(ReadOnlySpan<double> a, ReadOnlySpan<double> x, int row)
    {
        double scale = 2;
        return scale * Dot(a.Slice(row * x.Length, x.Length), x);
    }

    /// <summary>−log softmax(logits)[label] through a call of <see cref="LogSumExp"/>.</summary>
    [Differentiable]
    public static double CrossEntropyByLogSumExp(ReadOnlySpan<double> logits, int label) => LogSumExp(logits) - logits[label];

    /// <summary>yᵢ = (A·x)ᵢ + ‖x‖, A's y.Length rows one after another in a: calls of <see cref="Dot"/> per row and of <see cref="Norm"/> (which calls Dot), into a span output.</summary>
    [Differentiable]
    public static void MatVecByDot(ReadOnlySpan<double> a, ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = Dot(a.Slice(i * x.Length, x.Length), x) + Norm(x);
        }
    }

    /// <summary>Σ exp(xᵢ) from index register on, in locals named like C functions and C++ keywords (renamed in CUDA).</summary>
    [Differentiable]
    public static double SumOfExps(ReadOnlySpan<double> x, int register)
    {
        double exp = 0;
        for (int and = register; and < x.Length; and++)
        {
            exp += Math.Exp(x[and]);
        }

        return exp;
    }

    /// <summary>Σ xᵢ·stop(xᵢ): the gradient is stop(xᵢ) = xᵢ, not 2xᵢ.</summary>
    [Differentiable]
    public static double HalfSquare(double[] x)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * Grad.StopGradient(x[i]);
        }

        return sum;
    }

    /// <summary>log(1 + eˣ) with its derivative given by hand: the logistic function, which never overflows.</summary>
    [Differentiable(Backward = nameof(SoftplusVjp))]
    public static double Softplus(double x) => x > 30 ? x : Math.Log(1 + Math.Exp(x));

    /// <summary>Adds gradOutput·σ(x) to dx.</summary>
    public static void SoftplusVjp(double x, double gradOutput, ref double dx) => dx += gradOutput / (1 + Math.Exp(-x));

    /// <summary>A scalar method calling a method with a custom derivative: compiled by the loop path, which calls it.</summary>
    [Differentiable]
    public static double SoftplusTwice(double x) => Softplus(Softplus(x) - 1);

    [Differentiable]
    public static double SumOfSoftplus(ReadOnlySpan<double> x)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += Softplus(x[i] * 2);
        }

        return sum;
    }

    /// <summary>A span method with a custom derivative; its body (a foreach) is run, never differentiated.</summary>
    [Differentiable(Backward = nameof(SumOfSquaresVjp))]
    public static double SumOfSquares(ReadOnlySpan<double> x)
    {
        double sum = 0;
        foreach (double v in x)
        {
            sum += v * v;
        }

        return sum;
    }

    /// <summary>Adds gradOutput·2xᵢ to dxᵢ.</summary>
    public static void SumOfSquaresVjp(ReadOnlySpan<double> x, double gradOutput, Span<double> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            dx[i] += 2 * gradOutput * x[i];
        }
    }

    [Differentiable]
    public static double RootSumOfSquares(ReadOnlySpan<double> x) => Math.Sqrt(SumOfSquares(x) + 1);

    /// <summary>round(x) with the straight-through estimator: the gradient passes as if round were the identity.</summary>
    [Differentiable(Backward = nameof(RoundStraightThroughVjp))]
    public static double RoundStraightThrough(double x) => Math.Round(x);

    /// <summary>Adds gradOutput to dx.</summary>
    public static void RoundStraightThroughVjp(double x, double gradOutput, ref double dx) => dx += gradOutput;

    [Differentiable]
    public static double SumOfRounded(ReadOnlySpan<double> x, double scale)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += RoundStraightThrough(scale * x[i]);
        }

        return sum;
    }

    // Loops the generator vectorises (counted, ascending, independent iterations but for sums) next to twins that
    // run the loop downwards and stay scalar; VectorisedLoopTests compares them.

    /// <summary>log Σ exp(xᵢ) in two passes: a running maximum, then a vectorised sum.</summary>
    [Differentiable]
    public static double TwoPassLogSumExp(ReadOnlySpan<double> x)
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            max = Math.Max(max, x[i]);
        }

        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += Math.Exp(x[i] - max);
        }

        return max + Math.Log(sum);
    }

    /// <summary><see cref="TwoPassLogSumExp"/> with both loops run downwards: scalar.</summary>
    [Differentiable]
    public static double TwoPassLogSumExpDownwards(ReadOnlySpan<double> x)
    {
        double max = double.NegativeInfinity;
        for (int i = x.Length - 1; i >= 0; i--)
        {
            max = Math.Max(max, x[i]);
        }

        double sum = 0;
        for (int i = x.Length - 1; i >= 0; i--)
        {
            sum += Math.Exp(x[i] - max);
        }

        return max + Math.Log(sum);
    }

    /// <summary>yᵢ = a·tanh(xᵢ) + xᵢ·wᵢ − b, stored, and the subtracted sum Σ −xᵢ² (a store and a sum in one loop).</summary>
    [Differentiable]
    public static void Squash(ReadOnlySpan<double> x, ReadOnlySpan<double> w, double a, double b, Span<double> y, Span<double> total)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = a * Math.Tanh(x[i]) + x[i] * w[i] - b;
            sum -= x[i] * x[i];
        }

        total[0] = sum;
    }

    /// <summary><see cref="Squash"/> run downwards: scalar.</summary>
    [Differentiable]
    public static void SquashDownwards(ReadOnlySpan<double> x, ReadOnlySpan<double> w, double a, double b, Span<double> y, Span<double> total)
    {
        double sum = 0;
        for (int i = x.Length - 1; i >= 0; i--)
        {
            y[i] = a * Math.Tanh(x[i]) + x[i] * w[i] - b;
            sum -= x[i] * x[i];
        }

        total[0] = sum;
    }

    /// <summary>max(xᵢ) − min(xᵢ)·c: a running maximum and minimum, recognised (no tape of old values).</summary>
    [Differentiable]
    public static double Range(ReadOnlySpan<double> x, double c)
    {
        double max = double.NegativeInfinity;
        double min = double.PositiveInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            max = Math.Max(max, x[i] * c);
            min = Math.Min(x[i], min);
        }

        return max - min * c;
    }

    /// <summary>
    /// <see cref="Range"/> where the loop also reads the running values (<c>seen</c>), so they are not recognised and
    /// every old value is taped: the reference for the derivative at ties.
    /// </summary>
    [Differentiable]
    public static double RangeTaped(ReadOnlySpan<double> x, double c)
    {
        double max = double.NegativeInfinity;
        double min = double.PositiveInfinity;
        double seen = 0;
        for (int i = 0; i < x.Length; i++)
        {
            max = Math.Max(max, x[i] * c);
            min = Math.Min(x[i], min);
            seen = max + min;
        }

        return max - min * c + 0 * seen;
    }

    /// <summary>max(xᵢ) alone in its loop: recognised, and its backward sweep runs only the last change when nothing tied.</summary>
    [Differentiable]
    public static double Maximum(ReadOnlySpan<double> x)
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            max = Math.Max(max, x[i]);
        }

        return max;
    }

    /// <summary><see cref="Maximum"/> with every old value taped (the loop also reads it): the reference at ties.</summary>
    [Differentiable]
    public static double MaximumTaped(ReadOnlySpan<double> x)
    {
        double max = double.NegativeInfinity;
        double seen = 0;
        for (int i = 0; i < x.Length; i++)
        {
            max = Math.Max(max, x[i]);
            seen = max;
        }

        return max + 0 * seen;
    }

    /// <summary>The largest of start and the xᵢ by Math.Max: a running maximum whose forward loop runs on vectors.</summary>
    [Differentiable]
    public static double MaximumFrom(ReadOnlySpan<double> x, double start)
    {
        double max = start;
        for (int i = 0; i < x.Length; i++)
        {
            max = Math.Max(max, x[i]);
        }

        return max;
    }

    /// <summary><see cref="MaximumFrom"/> with the bound written <c>i &lt;= n − 1</c>: recognised the same, but scalar.</summary>
    [Differentiable]
    public static double MaximumFromScalar(ReadOnlySpan<double> x, double start)
    {
        double max = start;
        for (int i = 0; i <= x.Length - 1; i++)
        {
            max = Math.Max(max, x[i]);
        }

        return max;
    }

    /// <summary>max |xᵢ| − 2·min(c·xᵢ − d): two running extrema of computed candidates in one vectorised loop.</summary>
    [Differentiable]
    public static double ScaledRange(ReadOnlySpan<double> x, double c, double d)
    {
        double low = double.PositiveInfinity;
        double high = 0;
        for (int i = 0; i < x.Length; i++)
        {
            low = Math.Min(c * x[i] - d, low);
            high = Math.Max(high, Math.Abs(x[i]));
        }

        return high - 2.0 * low;
    }

    /// <summary><see cref="ScaledRange"/> with the bound written <c>i &lt;= n − 1</c>: scalar.</summary>
    [Differentiable]
    public static double ScaledRangeScalar(ReadOnlySpan<double> x, double c, double d)
    {
        double low = double.PositiveInfinity;
        double high = 0;
        for (int i = 0; i <= x.Length - 1; i++)
        {
            low = Math.Min(c * x[i] - d, low);
            high = Math.Max(high, Math.Abs(x[i]));
        }

        return high - 2.0 * low;
    }

    /// <summary>The first largest of start and the xᵢ: <c>if (x[i] &gt; m) m = x[i];</c>, recognised and vectorised.</summary>
    [Differentiable]
    public static double FirstLargest(ReadOnlySpan<double> x, double start)
    {
        double m = start;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] > m) m = x[i];
        }

        return m;
    }

    /// <summary><see cref="FirstLargest"/> where the loop also reads m (<c>seen</c>): every branch is taped, the reference.</summary>
    [Differentiable]
    public static double FirstLargestTaped(ReadOnlySpan<double> x, double start)
    {
        double m = start;
        double seen = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] > m) m = x[i];
            seen = m;
        }

        return m + 0 * seen;
    }

    /// <summary>The last largest: <c>if (x[i] &gt;= m) { m = x[i]; }</c>.</summary>
    [Differentiable]
    public static double LastLargest(ReadOnlySpan<double> x, double start)
    {
        double m = start;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] >= m)
            {
                m = x[i];
            }
        }

        return m;
    }

    /// <summary><see cref="LastLargest"/>, taped.</summary>
    [Differentiable]
    public static double LastLargestTaped(ReadOnlySpan<double> x, double start)
    {
        double m = start;
        double seen = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] >= m)
            {
                m = x[i];
            }

            seen = m;
        }

        return m + 0 * seen;
    }

    /// <summary>The first smallest c·xᵢ, the comparison written the other way round: <c>if (m &gt; c * x[i]) m = c * x[i];</c>.</summary>
    [Differentiable]
    public static double FirstSmallestScaled(ReadOnlySpan<double> x, double c)
    {
        double m = double.PositiveInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            if (m > c * x[i]) m = c * x[i];
        }

        return m;
    }

    /// <summary><see cref="FirstSmallestScaled"/>, taped.</summary>
    [Differentiable]
    public static double FirstSmallestScaledTaped(ReadOnlySpan<double> x, double c)
    {
        double m = double.PositiveInfinity;
        double seen = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (m > c * x[i]) m = c * x[i];
            seen = m;
        }

        return m + 0 * seen;
    }

    /// <summary>The last smallest of start and the xᵢ: <c>if (x[i] &lt;= m) m = x[i];</c>.</summary>
    [Differentiable]
    public static double LastSmallest(ReadOnlySpan<double> x, double start)
    {
        double m = start;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] <= m) m = x[i];
        }

        return m;
    }

    /// <summary><see cref="LastSmallest"/>, taped.</summary>
    [Differentiable]
    public static double LastSmallestTaped(ReadOnlySpan<double> x, double start)
    {
        double m = start;
        double seen = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] <= m) m = x[i];
            seen = m;
        }

        return m + 0 * seen;
    }
}
