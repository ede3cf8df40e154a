namespace Gradgen;

public partial class Tensor
{
    /// <summary>Validates an in-place operation before any memory is touched.</summary>
    void CheckInPlace(string op, Tensor? other)
    {
        if (Autograd.IsGradEnabled)
        {
            if (requiresGrad && gradFn is null)
                throw new InvalidOperationException(
                    $"{op}: a leaf tensor that requires grad is being used in an in-place operation. Do it inside using (Autograd.NoGrad()) {{ … }} (as optimizers do), or on a Detach()ed tensor.");
            if (requiresGrad || (other is not null && other.requiresGrad))
                throw new NotSupportedException(
                    $"{op}: in-place operations on tensors that require grad are not recorded by autograd; use the out-of-place form (y = y + z), or run inside Autograd.NoGrad().");
        }
        for (int i = 0; i < shape.Length; i++)
            if (strides[i] == 0 && shape[i] > 1)
                throw new InvalidOperationException(
                    $"{op}: more than one element of the tensor (shape {ShapeString}, strides {Shape.Format(strides)}) refers to the same memory location, as after Expand; call Clone() first.");
        if (other is null) return;
        if (PartlyOverlaps(other))
            throw new InvalidOperationException(
                $"{op}: some elements of the operand (shape {other.ShapeString}) and of the tensor written to (shape {ShapeString}) are the same memory (one is a view of the other); Clone() the operand first.");
        var bs = ElementwiseOp.BroadcastShapes(shape, other.shape, op);
        if (!bs.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"{op}: the operand of shape {other.ShapeString} cannot be broadcast to the tensor's shape {ShapeString} (an in-place result keeps the tensor's shape).");
        if (!DType.IsFloating() && other.DType.IsFloating())
            throw new ArgumentException($"{op}: the result of a {DType} tensor and a {other.DType} operand is floating-point and cannot be stored in the {DType} tensor; use the out-of-place form.");
        if (DType == DType.Bool && op != "CopyFrom")
            throw new ArgumentException($"{op}: Bool tensors do not support arithmetic.");
    }

    /// <summary>
    /// Whether <paramref name="other"/> shares memory with this tensor without being exactly its elements (PyTorch's
    /// partial-overlap check of in-place operations: x.add_(x) is fine, x.add_(x.T) is refused, since the result
    /// would depend on the order in which elements are written).
    /// </summary>
    bool PartlyOverlaps(Tensor other)
    {
        if (!ReferenceEquals(other.storage, storage) || numel == 0 || other.numel == 0) return false;
        if (other.offset == offset && other.shape.AsSpan().SequenceEqual(shape) && other.strides.AsSpan().SequenceEqual(strides)) return false;
        static (long Lo, long Hi) Extent(Tensor t)
        {
            long lo = t.offset, hi = t.offset;
            for (int i = 0; i < t.shape.Length; i++)
            {
                long span = (long)(t.shape[i] - 1) * t.strides[i];
                if (span < 0) lo += span;
                else hi += span;
            }
            return (lo, hi);
        }
        var (a0, a1) = Extent(this);
        var (b0, b1) = Extent(other);
        return a0 <= b1 && b0 <= a1;
    }

    Tensor InPlace<TOp>(Tensor other, TOp op, string name) where TOp : struct, IBinaryOp
    {
        Checked(other);
        CheckInPlace(name, other);
        if (storage is DeviceStorage || other.storage is DeviceStorage)
        {
            // On a device: the out-of-place kernel, then a copy into this tensor's elements.
            using (Autograd.Pause()) CopyInto(ElementwiseOp.Binary(this, other, op), this);
            storage.Version++;
            return this;
        }
        var o = other.DType == DType ? other : other.ToDTypeData(DType);
        switch (DType)
        {
            case DType.Float32: Map.Run<float, float, float, BinaryForward<float, TOp>>(this, o, this, new() { Op = op }); break;
            case DType.Float64: Map.Run<double, double, double, BinaryForward<double, TOp>>(this, o, this, new() { Op = op }); break;
            case DType.Int32: Map.Run<int, int, int, BinaryForward<int, TOp>>(this, o, this, new() { Op = op }); break;
            default: Map.Run<long, long, long, BinaryForward<long, TOp>>(this, o, this, new() { Op = op }); break;
        }
        storage.Version++;
        return this;
    }

    Tensor ScalarOperand(double value) => WrapScalar(value, !DType.IsFloating() && value == Math.Floor(value), this);

    /// <summary>this += other (broadcast to this tensor's shape), in place (PyTorch's <c>add_</c>); returns this tensor.</summary>
    /// <param name="other">The operand.</param>
    /// <exception cref="InvalidOperationException">This is a leaf that requires grad and gradient recording is on.</exception>
    public Tensor AddInPlace(Tensor other) => InPlace(other, new AddOp(), "AddInPlace");

    /// <summary>this += other · <paramref name="alpha"/>, in place (PyTorch's <c>add_(other, alpha=…)</c>, as optimizers use it).</summary>
    /// <param name="other">The operand.</param>
    /// <param name="alpha">The factor applied to <paramref name="other"/>.</param>
    public Tensor AddInPlace(Tensor other, double alpha)
    {
        Checked(other);
        CheckInPlace("AddInPlace", other);
        Tensor scaled;
        using (Autograd.Pause()) scaled = other * alpha;
        return InPlace(scaled, new AddOp(), "AddInPlace");
    }

    /// <summary>this += value, in place.</summary>
    /// <param name="value">The scalar.</param>
    public Tensor AddInPlace(double value) => InPlace(ScalarOperand(value), new AddOp(), "AddInPlace");

    /// <summary>this −= other (broadcast), in place (PyTorch's <c>sub_</c>).</summary>
    /// <param name="other">The operand.</param>
    public Tensor SubInPlace(Tensor other) => InPlace(other, new SubOp(), "SubInPlace");

    /// <summary>this ·= other (broadcast), in place (PyTorch's <c>mul_</c>).</summary>
    /// <param name="other">The operand.</param>
    public Tensor MulInPlace(Tensor other) => InPlace(other, new MulOp(), "MulInPlace");

    /// <summary>this ·= value, in place.</summary>
    /// <param name="value">The scalar.</param>
    public Tensor MulInPlace(double value) => InPlace(ScalarOperand(value), new MulOp(), "MulInPlace");

    /// <summary>this /= other (broadcast), in place (floating dtypes).</summary>
    /// <param name="other">The operand.</param>
    public Tensor DivInPlace(Tensor other)
    {
        if (!DType.IsFloating()) throw new ArgumentException($"DivInPlace: the tensor has dtype {DType}; true division needs Float32 or Float64.");
        return InPlace(other, new DivOp(), "DivInPlace");
    }

    /// <summary>Sets every element to <paramref name="value"/> (PyTorch's <c>fill_</c>); returns this tensor.</summary>
    /// <param name="value">The value.</param>
    public Tensor Fill(double value)
    {
        if (Autograd.IsGradEnabled && requiresGrad) CheckInPlace("Fill", null);
        FillUnchecked(value);
        storage.Version++;
        return this;
    }

    /// <summary>Sets every element to zero (PyTorch's <c>zero_</c>, as in <c>p.Grad.Zero()</c>); returns this tensor.</summary>
    public Tensor Zero() => Fill(0);

    /// <summary>Copies <paramref name="source"/> (broadcast, converted) into this tensor (PyTorch's <c>copy_</c>); returns this tensor.</summary>
    /// <param name="source">The values.</param>
    public Tensor CopyFrom(Tensor source)
    {
        Checked(source);
        if (Autograd.IsGradEnabled && (requiresGrad || source.requiresGrad))
            CheckInPlace("CopyFrom", null);
        for (int i = 0; i < shape.Length; i++)
            if (strides[i] == 0 && shape[i] > 1)
                throw new InvalidOperationException($"CopyFrom: more than one element of the tensor (shape {ShapeString}) refers to the same memory location, as after Expand; call Clone() first.");
        var bs = ElementwiseOp.BroadcastShapes(shape, source.shape, "CopyFrom");
        if (!bs.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"CopyFrom: the source of shape {source.ShapeString} cannot be broadcast to the tensor's shape {ShapeString}.");
        CopyInto(source, this);
        storage.Version++;
        return this;
    }
}
