using System.Numerics;

namespace Gradgen.Nn;

/// <summary>
/// Batch normalisation on the CPU as one fused operation: per channel of a [N, C, S] view of the input (S the product
/// of the spatial dimensions), the statistics in double precision (two passes: mean, then the biased variance), the
/// running statistics' update, and y = (x − mean)·invstd·weight + bias in one more pass; the backward
/// (<c>NativeBatchNormBackward</c>) gives the gradients of the input, weight and bias in two passes per channel.
/// Channels run in parallel when the input is large.
/// </summary>
internal static class BatchNormKernel
{
    /// <summary>Normalises <paramref name="input"/> (already checked by <see cref="Functional.BatchNorm"/>).</summary>
    public static Tensor Run(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool training, double momentum, double eps)
    {
        var (mean, invstd) = Statistics(input, runningMean, runningVar, training, momentum, eps);
        var y = Normalize(input, mean, invstd, weight, bias);
        if (Autograd.Recording(input) || (weight is not null && Autograd.Recording(weight)) || (bias is not null && Autograd.Recording(bias)))
        {
            y.WithHistory(new BatchNormBackward(input, weight, bias, mean, invstd, training));
        }

        return y;
    }

    /// <summary>
    /// The mean and 1/√(var + eps) per channel that normalising <paramref name="input"/> uses: the batch's when
    /// <paramref name="training"/> (the running statistics, when given, updated with them), else the running ones.
    /// </summary>
    public static (double[] Mean, double[] Invstd) Statistics(Tensor input, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps)
    {
        int n = input.shape[0], c = input.shape[1];
        int s = input.numel / Math.Max(n * c, 1);
        var mean = new double[c];
        var invstd = new double[c];
        if (training)
        {
            var x = input.ContiguousData();
            var variance = new double[c];
            if (input.DType == DType.Float32) Statistics<float>(x, n, c, s, mean, variance);
            else Statistics<double>(x, n, c, s, mean, variance);
            GC.KeepAlive(x);
            for (int ch = 0; ch < c; ch++) invstd[ch] = 1 / Math.Sqrt(variance[ch] + eps);
            UpdateRunning(runningMean, runningVar, mean, variance, (long)n * s, momentum);
        }
        else
        {
            runningMean!.ToArray<double>().CopyTo(mean, 0);
            var variance = runningVar!.ToArray<double>();
            for (int ch = 0; ch < c; ch++) invstd[ch] = 1 / Math.Sqrt(variance[ch] + eps);
        }

        return (mean, invstd);
    }

    /// <summary>y = (x − mean)·invstd·weight + bias per channel, not recorded.</summary>
    public static Tensor Normalize(Tensor input, double[] mean, double[] invstd, Tensor? weight, Tensor? bias)
    {
        int n = input.shape[0], c = input.shape[1];
        int s = input.numel / Math.Max(n * c, 1);
        var x = input.ContiguousData();
        var w = weight?.ToArray<double>();
        var b = bias?.ToArray<double>();
        var y = Tensor.Empty(input.DType, (int[])input.shape.Clone());
        if (input.DType == DType.Float32) Normalize<float>(x, y, n, c, s, mean, invstd, w, b);
        else Normalize<double>(x, y, n, c, s, mean, invstd, w, b);
        GC.KeepAlive(x);
        return y;
    }

    static void Statistics<T>(Tensor x, int n, int c, int s, double[] mean, double[] variance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)n * s;
        ParallelItems.For(c, (long)n * c * s, ch =>
        {
            ReadOnlySpan<T> xs = x.Elements<T>();
            double sum = 0;
            for (int i = 0; i < n; i++) sum += DoubleSums.Sum(xs.Slice(((i * c) + ch) * s, s));

            double m = sum / count, squares = 0;
            for (int i = 0; i < n; i++) squares += DoubleSums.SquaredDeviations(xs.Slice(((i * c) + ch) * s, s), m);

            mean[ch] = m;
            variance[ch] = squares / count;
        });
    }

    /// <summary>running ← (1 − momentum)·running + momentum·batch, with the unbiased variance (·count/(count − 1)), as PyTorch.</summary>
    static void UpdateRunning(Tensor? runningMean, Tensor? runningVar, double[] mean, double[] variance, long count, double momentum)
    {
        using var pause = Autograd.Pause();
        if (runningMean is not null)
        {
            var r = runningMean.ToArray<double>();
            for (int ch = 0; ch < r.Length; ch++) r[ch] = ((1 - momentum) * r[ch]) + (momentum * mean[ch]);
            runningMean.CopyFrom(Tensor.FromArray(r));
        }

        if (runningVar is not null)
        {
            var r = runningVar.ToArray<double>();
            double correction = (double)count / (count - 1);
            for (int ch = 0; ch < r.Length; ch++) r[ch] = ((1 - momentum) * r[ch]) + (momentum * variance[ch] * correction);
            runningVar.CopyFrom(Tensor.FromArray(r));
        }
    }

    static void Normalize<T>(Tensor x, Tensor y, int n, int c, int s, double[] mean, double[] invstd, double[]? w, double[]? b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ParallelItems.For(c, (long)n * c * s, ch =>
        {
            double scale = invstd[ch] * (w?[ch] ?? 1);
            T a = T.CreateTruncating(scale), shift = T.CreateTruncating((b?[ch] ?? 0) - (mean[ch] * scale));
            ReadOnlySpan<T> xs = x.Elements<T>();
            Span<T> ys = y.Elements<T>();
            for (int i = 0; i < n; i++)
            {
                int start = ((i * c) + ch) * s;
                Affine(xs.Slice(start, s), a, ys.Slice(start, s), default, default, shift);
            }
        });
    }

    /// <summary>
    /// The gradients, per channel, from Σg and Σg·(x − mean): bias Σg, weight Σg·x̂, and the input's
    /// k·(g − Σg/M − x̂·Σg·x̂/M) with k = weight·invstd in training (the statistics depend on x), k·g in evaluation.
    /// </summary>
    internal static void Backward<T>(Tensor x, Tensor g, Tensor? dx, double[]? dw, double[]? db, double[] mean, double[] invstd, double[]? w, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.shape[0], c = x.shape[1];
        int s = x.numel / Math.Max(n * c, 1);
        double count = (double)n * s;
        ParallelItems.For(c, (long)n * c * s, ch =>
        {
            ReadOnlySpan<T> xs = x.Elements<T>(), gs = g.Elements<T>();
            double m = mean[ch], sumG = 0, sumGX = 0;
            for (int i = 0; i < n; i++)
            {
                int start = ((i * c) + ch) * s;
                var (rowG, rowGX) = DoubleSums.GradientSums(gs.Slice(start, s), xs.Slice(start, s), m);
                sumG += rowG;
                sumGX += rowGX;
            }

            double istd = invstd[ch];
            if (dw is not null) dw[ch] = sumGX * istd;
            if (db is not null) db[ch] = sumG;
            if (dx is null) return;

            double scale = istd * (w?[ch] ?? 1);
            // dx = scale·g + cx·x + shift: in training cx = −scale·istd²·ΣgX/M and shift = −scale·Σg/M − cx·mean.
            double cx = training ? -scale * istd * istd * sumGX / count : 0;
            double shift = training ? (-scale * sumG / count) - (cx * m) : 0;
            T ta = T.CreateTruncating(scale), tc = T.CreateTruncating(cx), tb = T.CreateTruncating(shift);
            Span<T> ds = dx.Elements<T>();
            for (int i = 0; i < n; i++)
            {
                int start = ((i * c) + ch) * s;
                Affine(gs.Slice(start, s), ta, ds.Slice(start, s), xs.Slice(start, s), tc, tb);
            }
        });
    }

    /// <summary><c>y = a·u + c·v + b</c> (v empty: <c>a·u + b</c>), in vectors of <see cref="Vector{T}"/>.</summary>
    static void Affine<T>(ReadOnlySpan<T> u, T a, Span<T> y, ReadOnlySpan<T> v, T c, T b)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<T> va = new(a), vc = new(c), vb = new(b);
        int k = 0;
        for (; k <= u.Length - Vector<T>.Count; k += Vector<T>.Count)
        {
            var r = (new Vector<T>(u[k..]) * va) + vb;
            if (!v.IsEmpty)
            {
                r += new Vector<T>(v[k..]) * vc;
            }

            r.CopyTo(y[k..]);
        }

        for (; k < u.Length; k++)
        {
            y[k] = (a * u[k]) + (v.IsEmpty ? T.Zero : c * v[k]) + b;
        }
    }
}

/// <summary>The graph node of <see cref="BatchNormKernel"/> (PyTorch's <c>NativeBatchNormBackward</c>): inputs x, weight, bias.</summary>
internal sealed class BatchNormBackward : GradFn
{
    readonly double[] mean, invstd;
    readonly bool training;
    readonly bool hasWeight;
    SavedTensor input;
    SavedTensor weight;

    public BatchNormBackward(Tensor input, Tensor? weight, Tensor? bias, double[] mean, double[] invstd, bool training)
    {
        this.mean = mean;
        this.invstd = invstd;
        this.training = training;
        this.input = Save(input);
        hasWeight = weight is not null;
        if (weight is not null) this.weight = Save(weight);
        next = [input.GradientEdge, weight?.GradientEdge, bias?.GradientEdge];
    }

    public override string Name => "NativeBatchNormBackward";

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var x = input.Get(this).ContiguousData();
        var w = hasWeight ? weight.Get(this).ToArray<double>() : null;
        var g = (grad.DType == x.DType ? grad : grad.ToDTypeData(x.DType)).ContiguousData();
        int c = x.shape[1];
        var dx = Needs(0) ? Tensor.Empty(x.DType, (int[])x.shape.Clone()) : null;
        var dw = Needs(1) ? new double[c] : null;
        var db = Needs(2) ? new double[c] : null;
        if (x.DType == DType.Float32) BatchNormKernel.Backward<float>(x, g, dx, dw, db, mean, invstd, w, training);
        else BatchNormKernel.Backward<double>(x, g, dx, dw, db, mean, invstd, w, training);
        GC.KeepAlive(x);
        GC.KeepAlive(g);
        inputGrads[0] = dx;
        if (dw is not null) inputGrads[1] = Tensor.FromArray(dw).To(next[1]!.outputDType);
        if (db is not null) inputGrads[2] = Tensor.FromArray(db).To(next[2]!.outputDType);
    }

    internal override void ReleaseSaved()
    {
        input.Release();
        if (hasWeight) weight.Release();
    }
}
