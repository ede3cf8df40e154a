using System.Numerics;

namespace Gradgen.Nn;

/// <summary>
/// Cross-entropy of <c>[N, C]</c> logits against Int64 class indices, with a reduction, as one pass and one graph
/// node (<c>CrossEntropyLossBackward</c>): per row the log-sum-exp (max-shifted, so stable) minus the target's logit;
/// backward writes g·(softmax − onehot)/N from the saved log-sum-exps, the softmax recomputed in the same pass. The
/// op-by-op form (log-softmax, gather, negate, mean) made four results and four nodes.
/// </summary>
internal static class CrossEntropyFused
{
    /// <summary>Whether the fused path applies (the caller has validated the targets' range and shape).</summary>
    public static bool Applies(Tensor input, Reduction reduction) =>
        reduction != Reduction.None && input.Ndim == 2 && input.Device == Device.Cpu && input.NumElements > 0;

    public static Tensor Forward(Tensor input, long[] classes, Reduction reduction)
    {
        var x = input.Detach().ContiguousData();
        int rows = x.Shape[0], columns = x.Shape[1];
        double total;
        Array logSumExps;
        if (x.DType == DType.Float32)
        {
            var lse = new float[rows];
            total = Forward<float>(x.Elements<float>(), classes, lse, columns);
            logSumExps = lse;
        }
        else
        {
            var lse = new double[rows];
            total = Forward<double>(x.Elements<double>(), classes, lse, columns);
            logSumExps = lse;
        }

        GC.KeepAlive(x);
        var loss = Tensor.Full([], reduction == Reduction.Mean ? total / rows : total, x.DType);
        if (Autograd.Recording(input))
        {
            loss.WithHistory(new CrossEntropyLossBackward(input, x, classes, logSumExps, reduction));
        }

        return loss;
    }

    private static double Forward<T>(ReadOnlySpan<T> x, long[] classes, Span<T> logSumExps, int columns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int i = 0; i < logSumExps.Length; i++)
        {
            var row = x.Slice(i * columns, columns);
            T max = T.NegativeInfinity;
            foreach (T v in row)
            {
                max = T.Max(max, v);
            }

            T sum = T.Zero;
            foreach (T v in row)
            {
                sum += T.Exp(v - max);
            }

            T lse = max + T.Log(sum);
            logSumExps[i] = lse;
            total += double.CreateTruncating(lse - row[(int)classes[i]]);
        }

        return total;
    }

    internal static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<long> classes, ReadOnlySpan<T> logSumExps, T scale, Span<T> gx, int columns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < logSumExps.Length; i++)
        {
            var row = x.Slice(i * columns, columns);
            var grad = gx.Slice(i * columns, columns);
            T lse = logSumExps[i];
            for (int c = 0; c < columns; c++)
            {
                grad[c] = scale * T.Exp(row[c] - lse);
            }

            grad[(int)classes[i]] -= scale;
        }
    }
}

/// <summary>The graph node of <see cref="CrossEntropyFused"/>.</summary>
internal sealed class CrossEntropyLossBackward : GradFn
{
    private readonly long[] classes;
    private readonly Reduction reduction;
    private Array? logSumExps;
    private SavedTensor input;

    public CrossEntropyLossBackward(Tensor original, Tensor input, long[] classes, Array logSumExps, Reduction reduction)
    {
        this.classes = classes;
        this.reduction = reduction;
        this.logSumExps = logSumExps;
        this.input = Save(input);
        SetInputs(original);
    }

    public override string Name => "CrossEntropyLossBackward";

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var x = input.Get(this);
        var lse = logSumExps ?? throw FreedError();
        int rows = x.Shape[0], columns = x.Shape[1];
        double g = grad.DType == DType.Float64 ? grad.Item<double>() : grad.ToDTypeData(DType.Float64).Item<double>();
        double scale = reduction == Reduction.Mean ? g / rows : g;
        if (x.DType == DType.Float32 && ClosedFormGradient.Offer(this, new CrossEntropyGradient(x, classes, (float[])lse, (float)scale), inputGrads))
        {
            return;     // the producer computes scale·(softmax(x) − onehot) in its own backward pass
        }

        var gx = Tensor.Empty(x.DType, [rows, columns]);
        if (x.DType == DType.Float32)
        {
            CrossEntropyFused.Backward(x.Elements<float>(), classes, (float[])lse, (float)scale, gx.Elements<float>(), columns);
        }
        else
        {
            CrossEntropyFused.Backward(x.Elements<double>(), classes, (double[])lse, scale, gx.Elements<double>(), columns);
        }

        GC.KeepAlive(x);
        inputGrads[0] = gx;
    }

    internal override void ReleaseSaved()
    {
        input.Release();
        logSumExps = null;
    }
}

/// <summary>Cross-entropy's gradient scale·(softmax(x) − onehot(class)) in closed form (<see cref="ClosedFormGradient"/>), from the forward's log-sum-exps.</summary>
internal sealed class CrossEntropyGradient(Tensor output, long[] classes, float[] logSumExps, float scale) : ClosedFormGradient(output)
{
    public override void WriteRows(int start, int end, Span<float> gradient)
    {
        int from = start * Width, count = (end - start) * Width;
        CrossEntropyFused.Backward<float>(Output.Elements<float>().Slice(from, count), classes.AsSpan(start, end - start),
            logSumExps.AsSpan(start, end - start), scale, gradient.Slice(from, count), Width);
        GC.KeepAlive(Output);
    }
}
