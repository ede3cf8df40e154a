namespace Gradgen;

public partial class Tensor
{
    /// <summary>The sum of all elements, as a zero-dimensional tensor (integers and Bool sum to Int64). Recorded as <c>SumBackward</c>.</summary>
    public Tensor Sum()
    {
        if (storage is DeviceStorage) return DeviceReductions.SumAll(this);

        var kept = new int[shape.Length];
        Array.Fill(kept, 1);
        var r = Reductions.SumToKeptShape(this, kept);
        r = new Tensor(r.storage, [], [], 0);
        var inShape = shape;
        if (Autograd.Recording(this)) r.WithHistory(new LambdaBackward("SumBackward", this, g => EagerVjps.Along(EagerVjps.SumBackward, inShape, -1, null, null, g)));
        return r;
    }

    /// <summary>The sums along <paramref name="dim"/>; that dimension is removed unless <paramref name="keepDim"/>. Recorded as <c>SumBackward</c>.</summary>
    /// <param name="dim">The dimension to sum over (negative counts from the end).</param>
    /// <param name="keepDim">Keep the summed dimension with size 1.</param>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        int d = NormalizeDim(dim, shape.Length, "Sum");
        if (shape.Length == 0) return Sum();
        var kept = Reductions.KeptShape(shape, d);
        var r = Reductions.SumToKeptShape(this, kept);
        if (!keepDim) r = r.Detach().Squeeze(d).Detach();
        var inShape = shape;
        if (Autograd.Recording(this)) r.WithHistory(new LambdaBackward("SumBackward", this, g => EagerVjps.Along(EagerVjps.SumBackward, inShape, d, null, null, g)));
        return r;
    }

    /// <summary>The sum of all elements of <paramref name="x"/> (the static form).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Sum(Tensor x) => Checked(x).Sum();

    /// <summary>The sums along a dimension (the static form).</summary>
    /// <param name="x">The input.</param>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep the summed dimension with size 1.</param>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false) => Checked(x).Sum(dim, keepDim);

    void RequireFloatingFor(string op)
    {
        if (!DType.IsFloating())
            throw new InvalidOperationException($"{op}: the input has dtype {DType}; it must be Float32 or Float64. Convert with To(DType.Float32) first.");
    }

    /// <summary>The mean of all elements (floating dtypes only). Recorded as <c>MeanBackward</c>.</summary>
    public Tensor Mean()
    {
        RequireFloatingFor("Mean");
        Tensor r;
        using (Autograd.Pause()) r = Sum() / Math.Max(numel, 1);
        if (numel == 0) r.FillUnchecked(double.NaN);
        var inShape = shape;
        if (Autograd.Recording(this)) r.WithHistory(new LambdaBackward("MeanBackward", this, g => EagerVjps.Along(EagerVjps.MeanBackward, inShape, -1, null, null, g)));
        return r;
    }

    /// <summary>The means along <paramref name="dim"/> (floating dtypes only). Recorded as <c>MeanBackward</c>.</summary>
    /// <param name="dim">The dimension to average over.</param>
    /// <param name="keepDim">Keep the averaged dimension with size 1.</param>
    public Tensor Mean(int dim, bool keepDim = false)
    {
        RequireFloatingFor("Mean");
        int d = NormalizeDim(dim, shape.Length, "Mean");
        if (shape.Length == 0) return Mean();
        int n = shape[d];
        Tensor r;
        using (Autograd.Pause()) r = Sum(d, keepDim) / n;
        var inShape = shape;
        if (Autograd.Recording(this)) r.WithHistory(new LambdaBackward("MeanBackward", this, g => EagerVjps.Along(EagerVjps.MeanBackward, inShape, d, null, null, g)));
        return r;
    }

    /// <summary>The mean of all elements of <paramref name="x"/> (the static form).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Mean(Tensor x) => Checked(x).Mean();

    Tensor MaxAll(bool min, string op)
    {
        if (numel == 0) throw new InvalidOperationException($"{op}: the input is empty (shape {ShapeString}); specify a dimension or use a non-empty tensor.");
        var (v, _) = Reductions.MaxAlong(Reshape(-1).Detach(), 0, min);
        var r = new Tensor(v.storage, [], [], 0);
        if (Autograd.Recording(this))
        {
            // As PyTorch (evenly_distribute_backward): the gradient is shared evenly among the positions that hold the
            // extreme value — the NaNs when it is NaN — and the others get exactly 0, even from a NaN gradient.
            var inShape = shape;
            r.WithHistory(new LambdaBackward(min ? "MinBackward" : "MaxBackward", this, [Detach(), r.Detach()], (g, s) =>
                EagerVjps.Along(min ? EagerVjps.MinBackward : EagerVjps.MaxBackward, inShape, -1, s[0], s[1], g)));
        }
        return r;
    }

    /// <summary>The largest (or smallest) elements along <paramref name="dim"/> and their first indices; the values' gradient goes to the indices (the gather rule).</summary>
    internal (Tensor Values, Tensor Indices) MaxDim(int dim, bool keepDim, bool min, string op)
    {
        int d = NormalizeDim(dim, shape.Length, op);
        if (shape.Length == 0) return (MaxAll(min, op), Zeros([], DType.Int64));
        if (shape[d] == 0) throw new InvalidOperationException($"{op}: dimension {d} of shape {ShapeString} is empty.");
        var (v, i) = Reductions.MaxAlong(this, d, min);
        if (!keepDim)
        {
            v = v.Squeeze(d).Detach();
            i = i.Squeeze(d).Detach();
        }
        if (Autograd.Recording(this))
        {
            var inShape = shape;
            // The values are x gathered at the indices: the gradient goes to the index of each (Gather's rule).
            v.WithHistory(new LambdaBackward(min ? "MinBackward" : "MaxBackward", this, [keepDim ? i : i.Unsqueeze(d)], (g, s) =>
                EagerVjps.Gathered(inShape, d, s[0], g)));
        }
        return (v, i);
    }

    /// <summary>The largest element (NaN if any is NaN), as a zero-dimensional tensor. Recorded as <c>MaxBackward</c>; ties share the gradient.</summary>
    public Tensor Max() => MaxAll(false, "Max");

    /// <summary>
    /// The largest elements along <paramref name="dim"/> (NaN where any is NaN), as PyTorch's <c>amax(dim)</c>: the
    /// values only (their indices are <see cref="ArgMax(int, bool)"/>). Recorded as <c>AmaxBackward</c>: the gradient is
    /// shared evenly among the positions that hold the maximum, as PyTorch's amax.
    /// </summary>
    /// <param name="dim">The dimension to reduce (negative counts from the end).</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is not a dimension of the tensor.</exception>
    /// <exception cref="InvalidOperationException">The dimension is empty.</exception>
    public Tensor Max(int dim, bool keepDim = false)
    {
        int d = NormalizeDim(dim, shape.Length, "Max");
        if (shape.Length == 0) return MaxAll(false, "Max");
        Tensor kept;
        using (Autograd.Pause()) kept = MaxDim(d, true, false, "Max").Values;
        var r = keepDim ? kept : kept.Squeeze(d).Detach();
        if (Autograd.Recording(this))
        {
            var inShape = shape;
            r.WithHistory(new LambdaBackward("AmaxBackward", this, [Detach(), kept.Detach()], (g, s) =>
                EagerVjps.Along(EagerVjps.AmaxBackward, inShape, d, s[0], s[1], g)));
        }
        return r;
    }

    /// <summary>The largest elements along a dimension (the static form of <see cref="Max(int, bool)"/>).</summary>
    /// <param name="x">The input.</param>
    /// <param name="dim">The dimension to reduce.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false) => Checked(x).Max(dim, keepDim);

    /// <summary>
    /// log Σ eˣ along <paramref name="dim"/> (PyTorch's <c>logsumexp</c>), computed stably as m + log Σ e^(x−m) with m
    /// the maximum (0 where the maximum is infinite); an empty dimension gives −∞. Integer inputs compute in Float32.
    /// Composed of recorded operations with m held constant, so the gradient is g·softmax(x).
    /// </summary>
    /// <param name="dim">The dimension to reduce (negative counts from the end).</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is not a dimension of the tensor.</exception>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        int d = NormalizeDim(dim, shape.Length, "LogSumExp");
        var x = DType.IsFloating() ? this : To(DType.Float32);
        if (shape.Length == 0) return x.Unsqueeze(0).LogSumExp(0);
        if (shape[d] == 0)
        {
            // The sum of no exponentials is 0: −∞ everywhere, recorded like PyTorch's (it requires grad when the
            // input does; the gradient goes to no element).
            return x.Sum(d, keepDim) + double.NegativeInfinity;
        }

        Tensor m;
        using (Autograd.Pause())
        {
            m = x.Max(d, keepDim: true);
            m = Where(m.Abs() < double.PositiveInfinity, m, ZerosLike(m));
        }
        var r = (x - m).Exp().Sum(d, keepDim: true).Log() + m;
        return keepDim ? r : r.Squeeze(d);
    }

    /// <summary>log Σ eˣ along a dimension (the static form of <see cref="LogSumExp(int, bool)"/>).</summary>
    /// <param name="x">The input.</param>
    /// <param name="dim">The dimension to reduce.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    public static Tensor LogSumExp(Tensor x, int dim, bool keepDim = false) => Checked(x).LogSumExp(dim, keepDim);

    /// <summary>The smallest element (NaN if any is NaN), as a zero-dimensional tensor. Recorded as <c>MinBackward</c>.</summary>
    public Tensor Min() => MaxAll(true, "Min");

    /// <summary>The smallest elements along <paramref name="dim"/> and their (first) indices.</summary>
    /// <param name="dim">The dimension to reduce.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => MaxDim(dim, keepDim, true, "Min");

    /// <summary>The largest element of <paramref name="x"/> (the static form).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Max(Tensor x) => Checked(x).Max();

    /// <summary>The smallest element of <paramref name="x"/> (the static form).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Min(Tensor x) => Checked(x).Min();

    /// <summary>The index of the largest element in the flattened tensor, as a zero-dimensional Int64 tensor.</summary>
    public Tensor ArgMax()
    {
        if (numel == 0) throw new InvalidOperationException($"ArgMax: the input is empty (shape {ShapeString}).");
        var (_, i) = Reductions.MaxAlong(Reshape(-1).Detach(), 0, false);
        return new Tensor(i.storage, [], [], 0);
    }

    /// <summary>The indices (Int64) of the largest elements along <paramref name="dim"/>.</summary>
    /// <param name="dim">The dimension to reduce.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    public Tensor ArgMax(int dim, bool keepDim = false)
    {
        using (Autograd.Pause()) return MaxDim(dim, keepDim, false, "ArgMax").Indices;
    }

    /// <summary>The index of the smallest element in the flattened tensor, as a zero-dimensional Int64 tensor.</summary>
    public Tensor ArgMin()
    {
        if (numel == 0) throw new InvalidOperationException($"ArgMin: the input is empty (shape {ShapeString}).");
        var (_, i) = Reductions.MaxAlong(Reshape(-1).Detach(), 0, true);
        return new Tensor(i.storage, [], [], 0);
    }

    /// <summary>The indices (Int64) of the smallest elements along <paramref name="dim"/>.</summary>
    /// <param name="dim">The dimension to reduce.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    public Tensor ArgMin(int dim, bool keepDim = false)
    {
        using (Autograd.Pause()) return MaxDim(dim, keepDim, true, "ArgMin").Indices;
    }
}
