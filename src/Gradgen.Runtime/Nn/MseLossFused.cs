using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// The mean (or summed) squared error as one reduction and one graph node, <c>MseLossBackward</c> (PyTorch's
/// <c>MseLossBackward0</c>): forward is one pass that sums (x − t)², backward one pass that writes
/// g·2(x − t)/N for the input and its negation for the target. The op-by-op form (a difference, a square and a
/// mean: three results and three nodes) made the loss cost more than the compiled seed perceptron it trains.
/// </summary>
internal static class MseLossFused
{
    /// <summary>Whether the fused path applies: a reduction, equal dtypes, CPU (the shapes were checked equal).</summary>
    public static bool Applies(Tensor input, Tensor target, Reduction reduction) =>
        reduction != Reduction.None && input.DType == target.DType && input.DType.IsFloating()
        && input.Device == Device.Cpu && target.Device == Device.Cpu;

    public static Tensor Forward(Tensor input, Tensor target, Reduction reduction)
    {
        var x = input.Detach().ContiguousData();
        var t = target.Detach().ContiguousData();
        double sum = x.DType == DType.Float32
            ? SumOfSquaredErrors<float>(x.Elements<float>(), t.Elements<float>())
            : SumOfSquaredErrors<double>(x.Elements<double>(), t.Elements<double>());
        GC.KeepAlive(x);
        GC.KeepAlive(t);
        double value = reduction == Reduction.Mean ? sum / Math.Max(x.NumElements, 1) : sum;
        if (reduction == Reduction.Mean && x.NumElements == 0)
        {
            value = double.NaN;                              // PyTorch: the mean of no elements is NaN
        }

        var loss = Tensor.Full([], value, x.DType);
        if (Autograd.Recording(input, target))
        {
            loss.WithHistory(new MseLossBackward(input, target, x, t, reduction));
        }

        return loss;
    }

    /// <summary>Σ (x − t)², each block of 4,096 elements summed in vectors and the blocks in float64.</summary>
    internal static double SumOfSquaredErrors<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        return Elementwise.VectorBits switch
        {
            >= 512 => SumOfSquaredErrors<T, Vector512<T>, Simd512<T>>(x, t),
            >= 256 => SumOfSquaredErrors<T, Vector256<T>, Simd256<T>>(x, t),
            >= 128 => SumOfSquaredErrors<T, Vector128<T>, Simd128<T>>(x, t),
            _ => SumOfSquaredErrors<T, T, Scalar<T>>(x, t),
        };
    }

    /// <summary>gx = scale·(x − t) and gt = −gx, either may be empty.</summary>
    internal static void Gradients<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, T scale, Span<T> gx, Span<T> gt)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (Elementwise.VectorBits)
        {
            case >= 512: Gradients<T, Vector512<T>, Simd512<T>>(x, t, scale, gx, gt); break;
            case >= 256: Gradients<T, Vector256<T>, Simd256<T>>(x, t, scale, gx, gt); break;
            case >= 128: Gradients<T, Vector128<T>, Simd128<T>>(x, t, scale, gx, gt); break;
            default: Gradients<T, T, Scalar<T>>(x, t, scale, gx, gt); break;
        }
    }

    private const int Block = 4096;

    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private static double SumOfSquaredErrors<T, TVec, TSimd>(ReadOnlySpan<T> x, ReadOnlySpan<T> t)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TSimd : ISimd<TVec, T>
    {
        double total = 0;
        Span<T> lanes = stackalloc T[TSimd.Count];
        int n = x.Length, i = 0;
        while (n - i >= TSimd.Count)
        {
            // Two accumulators so that consecutive multiply-adds do not wait on each other.
            TVec a = TSimd.Constant(0), b = TSimd.Constant(0);
            int end = Math.Min(n, i + Block) - TSimd.Count;
            for (; i <= end - TSimd.Count; i += 2 * TSimd.Count)
            {
                TVec d0 = TSimd.Subtract(TSimd.Load(x, i), TSimd.Load(t, i));
                TVec d1 = TSimd.Subtract(TSimd.Load(x, i + TSimd.Count), TSimd.Load(t, i + TSimd.Count));
                a = TSimd.FusedMultiplyAdd(d0, d0, a);
                b = TSimd.FusedMultiplyAdd(d1, d1, b);
            }

            for (; i <= end; i += TSimd.Count)
            {
                TVec d = TSimd.Subtract(TSimd.Load(x, i), TSimd.Load(t, i));
                a = TSimd.FusedMultiplyAdd(d, d, a);
            }

            TSimd.Store(TSimd.Add(a, b), lanes, 0);
            foreach (T lane in lanes)
            {
                total += double.CreateTruncating(lane);
            }
        }

        for (; i < n; i++)
        {
            double d = double.CreateTruncating(x[i] - t[i]);
            total += d * d;
        }

        return total;
    }

    // Also the narrow compiled model's gradient loop (SquaredErrorGradient.WriteRows): compiled optimised at once, as
    // the model's other loops are, so that a profile of chunked calls cannot make it slow.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Gradients<T, TVec, TSimd>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, T scale, Span<T> gx, Span<T> gt)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TSimd : ISimd<TVec, T>
    {
        TVec s = TSimd.Create(scale), minus = TSimd.Create(-scale);
        int n = x.Length, i = 0;
        for (; i <= n - TSimd.Count; i += TSimd.Count)
        {
            TVec d = TSimd.Subtract(TSimd.Load(x, i), TSimd.Load(t, i));
            if (!gx.IsEmpty)
            {
                TSimd.Store(TSimd.Multiply(s, d), gx, i);
            }

            if (!gt.IsEmpty)
            {
                TSimd.Store(TSimd.Multiply(minus, d), gt, i);
            }
        }

        for (; i < n; i++)
        {
            T d = x[i] - t[i];
            if (!gx.IsEmpty)
            {
                gx[i] = scale * d;
            }

            if (!gt.IsEmpty)
            {
                gt[i] = -scale * d;
            }
        }
    }
}

/// <summary>The graph node of <see cref="MseLossFused"/>.</summary>
internal sealed class MseLossBackward : GradFn
{
    private readonly int[] inputShape, targetShape;
    private readonly Reduction reduction;
    private SavedTensor input, target;

    public MseLossBackward(Tensor originalInput, Tensor originalTarget, Tensor input, Tensor target, Reduction reduction)
    {
        inputShape = originalInput.Shape.ToArray();
        targetShape = originalTarget.Shape.ToArray();
        this.reduction = reduction;
        this.input = Save(input);
        this.target = Save(target);
        SetInputs([originalInput, originalTarget]);
    }

    public override string Name => "MseLossBackward";

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var x = input.Get(this);
        var t = target.Get(this);
        double g = grad.DType == DType.Float64 ? grad.Item<double>() : grad.ToDTypeData(DType.Float64).Item<double>();
        double scale = 2 * g / (reduction == Reduction.Mean ? Math.Max(x.NumElements, 1) : 1);
        if (Needs(0) && !Needs(1) && x.DType == DType.Float32 && x.Shape.Equals(t.Shape)
            && ClosedFormGradient.Offer(this, new SquaredErrorGradient(x, t, (float)scale), inputGrads))
        {
            return;     // the producer computes scale·(x − t) in its own backward pass
        }

        var gx = Needs(0) ? Tensor.Empty(x.DType, inputShape) : null;
        var gt = Needs(1) ? Tensor.Empty(x.DType, targetShape) : null;
        if (x.DType == DType.Float32)
        {
            MseLossFused.Gradients(x.Elements<float>(), t.Elements<float>(), (float)scale, gx is null ? default : gx.Elements<float>(), gt is null ? default : gt.Elements<float>());
        }
        else
        {
            MseLossFused.Gradients(x.Elements<double>(), t.Elements<double>(), scale, gx is null ? default : gx.Elements<double>(), gt is null ? default : gt.Elements<double>());
        }

        GC.KeepAlive(x);
        GC.KeepAlive(t);
        inputGrads[0] = gx;
        inputGrads[1] = gt;
    }

    internal override void ReleaseSaved()
    {
        input.Release();
        target.Release();
    }
}

/// <summary>The squared error's gradient scale·(x − t) in closed form (<see cref="ClosedFormGradient"/>).</summary>
internal sealed class SquaredErrorGradient(Tensor output, Tensor target, float scale) : ClosedFormGradient(output)
{
    public override void WriteRows(int start, int end, Span<float> gradient)
    {
        int from = start * Width, count = (end - start) * Width;
        MseLossFused.Gradients<float>(Output.Elements<float>().Slice(from, count), target.Elements<float>().Slice(from, count), scale,
            gradient.Slice(from, count), default);
        GC.KeepAlive(Output);
        GC.KeepAlive(target);
    }
}
