using System.Globalization;

namespace Gradgen;

/// <summary>The outcome of <see cref="GradCheck.Run"/>: whether autograd agrees with finite differences, and the worst element.</summary>
public sealed class GradCheckResult
{
    internal GradCheckResult(bool passed, int input, int element, int[] shape, double analytic, double numeric, double tolerance)
    {
        Passed = passed;
        InputIndex = input;
        ElementIndex = element;
        ElementShape = shape;
        Analytic = analytic;
        Numeric = numeric;
        Tolerance = tolerance;
    }

    /// <summary>Whether every element agreed within <c>atol + rtol·|numeric|</c>.</summary>
    public bool Passed { get; }

    /// <summary>The input holding the worst element (-1 when no input needs a gradient).</summary>
    public int InputIndex { get; }

    /// <summary>The worst element's row-major index within that input.</summary>
    public int ElementIndex { get; }

    readonly int[] ElementShape;

    /// <summary>The gradient autograd computed for the worst element.</summary>
    public double Analytic { get; }

    /// <summary>The central finite difference for the worst element.</summary>
    public double Numeric { get; }

    /// <summary>The tolerance that applied to the worst element.</summary>
    public double Tolerance { get; }

    /// <summary>|analytic − numeric| for the worst element.</summary>
    public double AbsoluteError => Math.Abs(Analytic - Numeric);

    /// <summary>A one-line report naming the worst element and both values.</summary>
    public override string ToString()
    {
        if (InputIndex < 0) return "GradCheck: no input requires a gradient.";
        var idx = new int[ElementShape.Length];
        int rem = ElementIndex;
        for (int d = idx.Length - 1; d >= 0; d--)
        {
            idx[d] = ElementShape[d] == 0 ? 0 : rem % ElementShape[d];
            rem = ElementShape[d] == 0 ? 0 : rem / ElementShape[d];
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"GradCheck {(Passed ? "passed" : "failed")}: worst element is input {InputIndex} at {Shape.Format(idx)}: analytic {Analytic:R}, numeric {Numeric:R}, error {AbsoluteError:G4} (tolerance {Tolerance:G4}).");
    }
}

/// <summary>Thrown by <see cref="GradCheck.Assert"/> when autograd and finite differences disagree.</summary>
public sealed class GradCheckException : Exception
{
    internal GradCheckException(GradCheckResult result) : base(result.ToString()) => Result = result;

    /// <summary>The failed check, with the worst element.</summary>
    public GradCheckResult Result { get; }
}

/// <summary>
/// Checks autograd against central finite differences in Float64 (PyTorch's <c>gradcheck</c>), for any function of
/// tensors. The function's output y is projected on a fixed random tensor v: the analytic gradient of Σ(y·v) from
/// <see cref="Tensor.Backward"/> is compared element by element with (Σ(f(x+ε)·v) − Σ(f(x−ε)·v)) / 2ε. A random v
/// exposes any wrong entry of the Jacobian with probability 1, at the cost of one backward and two forwards per input element.
/// </summary>
public static class GradCheck
{
    /// <summary>Runs the check and reports the worst element.</summary>
    /// <param name="function">The function; it must build its result from the tensors it is given.</param>
    /// <param name="inputs">The inputs; floating ones are copied to Float64 leaves that require grad, others are passed as they are.</param>
    /// <param name="eps">The finite-difference step.</param>
    /// <param name="atol">The absolute tolerance.</param>
    /// <param name="rtol">The tolerance relative to the numeric value.</param>
    public static GradCheckResult Run(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        var xs = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"GradCheck: input {i} is null.");
            if (t.DType.IsFloating())
            {
                var c = t.Detach().ToDTypeData(DType.Float64);
                c.RequiresGrad = true;
                xs[i] = c;
            }
            else xs[i] = t;
        }
        var y = function(xs) ?? throw new InvalidOperationException("GradCheck: the function returned null.");
        if (!y.DType.IsFloating()) throw new InvalidOperationException($"GradCheck: the function's result has dtype {y.DType}; it must be floating-point.");
        if (y.DType != DType.Float64) y = y.To(DType.Float64);

        // A fixed projection so that runs are reproducible and the global generator is left alone.
        var rng = new System.Random(1234);
        var v = new double[y.NumElements];
        for (int i = 0; i < v.Length; i++) v[i] = rng.NextDouble() * 2 - 1;
        var vt = Tensor.FromArray(v).Reshape(y.shape);
        if (y.RequiresGrad) y.Backward(vt);

        int worstInput = -1, worstElem = 0;
        double worstRatio = -1, worstA = 0, worstN = 0, worstTol = 0;
        int[] worstShape = [];
        bool passed = true;
        for (int i = 0; i < xs.Length; i++)
        {
            var x = xs[i];
            if (!x.RequiresGrad) continue;
            var analytic = x.Grad is null ? new double[x.NumElements] : x.Grad.ToArray<double>();
            var data = x.StorageSpan<double>();
            for (int j = 0; j < x.NumElements; j++)
            {
                double orig = data[j];
                double plus, minus;
                using (Autograd.Pause())
                {
                    data[j] = orig + eps;
                    plus = Project(function(xs), v);
                    data = x.StorageSpan<double>();
                    data[j] = orig - eps;
                    minus = Project(function(xs), v);
                    data[j] = orig;
                }
                double numeric = (plus - minus) / (2 * eps);
                double tol = atol + rtol * Math.Abs(numeric);
                double err = Math.Abs(analytic[j] - numeric);
                double ratio = double.IsNaN(err) ? double.PositiveInfinity : err / tol;
                if (!(err <= tol)) passed = false;
                if (ratio > worstRatio)
                {
                    worstRatio = ratio;
                    worstInput = i;
                    worstElem = j;
                    worstShape = x.shape;
                    worstA = analytic[j];
                    worstN = numeric;
                    worstTol = tol;
                }
            }
        }
        return new GradCheckResult(passed, worstInput, worstElem, worstShape, worstA, worstN, worstTol);
    }

    static double Project(Tensor y, double[] v)
    {
        var a = y.ToArray<double>();
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * v[i];
        return s;
    }

    /// <summary>Runs the check with default tolerances and throws if it fails.</summary>
    /// <param name="function">The function of the inputs.</param>
    /// <param name="inputs">The inputs.</param>
    /// <exception cref="GradCheckException">An element disagrees; the message names the worst one with both values.</exception>
    public static GradCheckResult Assert(Func<Tensor[], Tensor> function, params Tensor[] inputs)
    {
        var r = Run(function, inputs);
        if (!r.Passed) throw new GradCheckException(r);
        return r;
    }
}
