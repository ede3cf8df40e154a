using System.Runtime.CompilerServices;

namespace Gradgen;

public partial class Tensor
{
    /// <summary>Copies <paramref name="src"/> (broadcast to <paramref name="dst"/>'s shape) into <paramref name="dst"/>, converting elements.</summary>
    internal static void CopyInto(Tensor src, Tensor dst)
    {
        if (src.storage is DeviceStorage || dst.storage is DeviceStorage)
        {
            DeviceData.CopyInto(src, dst);
            return;
        }

        switch (src.DType)
        {
            case DType.Float32: CopyFrom<float>(src, dst); break;
            case DType.Float64: CopyFrom<double>(src, dst); break;
            case DType.Int32: CopyFrom<int>(src, dst); break;
            case DType.Int64: CopyFrom<long>(src, dst); break;
            default: CopyFrom<bool>(src, dst); break;
        }
    }

    static void CopyFrom<TIn>(Tensor src, Tensor dst) where TIn : unmanaged
    {
        if (typeof(TIn) == dst.DType.ClrType() && src.IsContiguous && dst.IsContiguous && src.shape.AsSpan().SequenceEqual(dst.shape))
        {
            var s = src.StorageSpan<TIn>().Slice(src.offset, src.numel);
            s.CopyTo(dst.StorageSpan<TIn>().Slice(dst.offset, dst.numel));
            GC.KeepAlive(src);
            return;
        }
        switch (dst.DType)
        {
            case DType.Float32: Map.Run<TIn, float, Convert<TIn, float>>(src, dst, default); break;
            case DType.Float64: Map.Run<TIn, double, Convert<TIn, double>>(src, dst, default); break;
            case DType.Int32: Map.Run<TIn, int, Convert<TIn, int>>(src, dst, default); break;
            case DType.Int64: Map.Run<TIn, long, Convert<TIn, long>>(src, dst, default); break;
            default: Map.Run<TIn, bool, Convert<TIn, bool>>(src, dst, default); break;
        }
    }

    /// <summary>A contiguous copy in <paramref name="dtype"/>, not recorded by autograd.</summary>
    internal Tensor ToDTypeData(DType dtype)
    {
        if (storage is DeviceStorage) return DeviceData.Copy(this, dtype);
        var r = Empty(dtype, shape);
        CopyInto(this, r);
        return r;
    }

    /// <summary>A contiguous copy, not recorded by autograd.</summary>
    internal Tensor CloneData() => ToDTypeData(DType);

    /// <summary>This tensor if contiguous, else a contiguous copy; not recorded by autograd.</summary>
    internal Tensor ContiguousData() => IsContiguous ? this : CloneData();

    /// <summary>Sets every element to <paramref name="value"/> without checks or version bump.</summary>
    internal void FillUnchecked(double value)
    {
        if (storage is DeviceStorage)
        {
            DeviceData.Fill(this, value);
            return;
        }
        if (numel == 0) return;
        if (IsContiguous)
        {
            switch (DType)
            {
                case DType.Float32: StorageSpan<float>().Slice(offset, numel).Fill((float)value); return;
                case DType.Float64: StorageSpan<double>().Slice(offset, numel).Fill(value); return;
                case DType.Int32: StorageSpan<int>().Slice(offset, numel).Fill((int)value); return;
                case DType.Int64: StorageSpan<long>().Slice(offset, numel).Fill((long)value); return;
                default: StorageSpan<bool>().Slice(offset, numel).Fill(value != 0); return;
            }
        }
        var s = new Tensor(new Storage<double>(new[] { value }), []);
        CopyInto(s, this);
    }

    /// <summary>this += other (broadcast), in place, bumping the version; no autograd checks.</summary>
    internal void AddInPlaceUnchecked(Tensor other)
    {
        if (storage is DeviceStorage)
        {
            using (Autograd.Pause()) CopyInto(this + other, this);
            storage.Version++;
            return;
        }
        var o = other.DType == DType ? other : other.ToDTypeData(DType);
        if (VectorArithmetic.TryForward<AddOp>(this, o, this))
        {
            storage.Version++;
            return;
        }

        switch (DType)
        {
            case DType.Float32: Map.Run<float, float, float, BinaryForward<float, AddOp>>(this, o, this, default); break;
            case DType.Float64: Map.Run<double, double, double, BinaryForward<double, AddOp>>(this, o, this, default); break;
            case DType.Int32: Map.Run<int, int, int, BinaryForward<int, AddOp>>(this, o, this, default); break;
            case DType.Int64: Map.Run<long, long, long, BinaryForward<long, AddOp>>(this, o, this, default); break;
            default: throw new NotSupportedException("AddInPlace: Bool tensors cannot be added to.");
        }
        storage.Version++;
    }

    /// <summary>The element at row-major position <paramref name="flatIndex"/>, as a double.</summary>
    internal double GetAsDouble(int flatIndex)
    {
        if (storage is DeviceStorage) return ToHostCopy().GetAsDouble(flatIndex);
        int pos = offset;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int i = flatIndex % shape[d];
            flatIndex /= shape[d];
            pos += i * strides[d];
        }
        return DType switch
        {
            DType.Float32 => StorageSpan<float>()[pos],
            DType.Float64 => StorageSpan<double>()[pos],
            DType.Int32 => StorageSpan<int>()[pos],
            DType.Int64 => StorageSpan<long>()[pos],
            _ => StorageSpan<bool>()[pos] ? 1 : 0,
        };
    }

    /// <summary>
    /// The elements in row-major order, converted to <typeparamref name="T"/> (float, double, int, long or bool) as
    /// <see cref="To(DType)"/> would (PyTorch's <c>numpy()</c> / <c>tolist()</c> for any shape).
    /// </summary>
    /// <typeparam name="T">The element type of the array.</typeparam>
    public T[] ToArray<T>() where T : unmanaged
    {
        var d = DTypes.Of<T>();
        if (storage is DeviceStorage) return ToHostCopy().ToArray<T>();
        var c = d == DType && IsContiguous ? this : ToDTypeData(d);
        var r = c.StorageSpan<T>().Slice(c.offset, c.numel).ToArray();
        GC.KeepAlive(c); // a converted copy is read through a span: its pooled array stays in use until here
        return r;
    }

    /// <summary>The elements of a 2-D tensor as a <c>T[rows, columns]</c> array, converted to <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The element type of the array.</typeparam>
    /// <exception cref="InvalidOperationException">The tensor is not 2-D.</exception>
    public T[,] ToArray2D<T>() where T : unmanaged
    {
        if (shape.Length != 2) throw new InvalidOperationException($"ToArray2D: the tensor has shape {ShapeString}; it must be 2-D. Use Reshape or ToArray.");
        var flat = ToArray<T>();
        var r = new T[shape[0], shape[1]];
        flat.AsSpan().CopyTo(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(r)), r.Length));
        return r;
    }

    /// <summary>The value of a one-element tensor, converted to <typeparamref name="T"/> (PyTorch's <c>item()</c>).</summary>
    /// <typeparam name="T">float, double, int, long or bool.</typeparam>
    /// <exception cref="InvalidOperationException">The tensor has more or fewer than one element.</exception>
    public T Item<T>() where T : unmanaged
    {
        DTypes.Of<T>();
        if (numel != 1)
            throw new InvalidOperationException($"Item: a tensor with {numel} elements (shape {ShapeString}) cannot be converted to a scalar; it must have exactly one element.");
        if (storage is DeviceStorage) return ToHostCopy().Item<T>();
        return DType switch
        {
            DType.Float32 => Elem.Cast<float, T>(StorageSpan<float>()[offset]),
            DType.Float64 => Elem.Cast<double, T>(StorageSpan<double>()[offset]),
            DType.Int32 => Elem.Cast<int, T>(StorageSpan<int>()[offset]),
            DType.Int64 => Elem.Cast<long, T>(StorageSpan<long>()[offset]),
            _ => Elem.Cast<bool, T>(StorageSpan<bool>()[offset]),
        };
    }

    /// <summary>
    /// The elements of a contiguous CPU tensor as a span over its storage, without copying: writes through it change
    /// the tensor (they bypass autograd's version checks).
    /// </summary>
    /// <remarks>
    /// Once a large tensor's memory has been exposed this way (outside the kernels the runtime calls), it is never
    /// reused by the storage cache: the span could still be in use when the tensor is no longer reachable.
    /// </remarks>
    /// <typeparam name="T">The CLR type of the tensor's dtype (float for Float32, …).</typeparam>
    /// <exception cref="InvalidOperationException">The tensor is not contiguous, or <typeparamref name="T"/> does not match its dtype.</exception>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        var d = DTypes.Of<T>();
        if (d != DType)
            throw new InvalidOperationException($"AsSpan<{typeof(T).Name}>: the tensor has dtype {DType}; use AsSpan<{DType.ClrType().Name}>() or convert with To(DType.{d}) first.");
        if (!IsContiguous)
            throw new InvalidOperationException($"AsSpan: the tensor (shape {ShapeString}, strides {Shape.Format(strides)}) is not contiguous; call Contiguous() first.");
        if (storage.IsReturnable && !KernelScope.Covers(storage)) storage.MarkExposed();
        return numel == 0 ? default : StorageSpan<T>().Slice(offset, numel);
    }

    /// <summary>
    /// The elements of a contiguous CPU tensor, for the runtime's own loops: unlike <see cref="AsSpan{T}"/> this does
    /// not mark the storage as exposed, so the caller must keep the tensor reachable (GC.KeepAlive) for as long as it
    /// uses the span — a cached array goes back to the storage cache once no tensor can reach its storage.
    /// </summary>
    // A view without elements may start past its storage's end (row 1 of a [3, 0] tensor): it has no elements to show.
    internal Span<T> Elements<T>() where T : unmanaged => numel == 0 ? default : StorageSpan<T>().Slice(offset, numel);
}
