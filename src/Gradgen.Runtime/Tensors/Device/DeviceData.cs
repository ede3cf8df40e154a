namespace Gradgen;

/// <summary>
/// The plumbing every device operation shares: the backend of a tensor, kernel views of its memory, contiguous
/// copies, writes into views and the Float32 rule. Nothing here records autograd history; the operations built on it
/// record their own nodes.
/// </summary>
internal static class DeviceData
{
    /// <summary>Whether a tensor lives on an accelerator.</summary>
    public static bool OnDevice(Tensor t) => t.storage is DeviceStorage;

    /// <summary>The backend that owns a device tensor's memory.</summary>
    public static IDeviceBackend Backend(Tensor t) => ((DeviceStorage)t.storage).Backend;

    /// <summary>
    /// Whether the kernels can take the tensor's buffer as it is: contiguous, starting at element 0, all of it. An
    /// empty tensor always can (no kernel reads it), whatever its strides say.
    /// </summary>
    public static bool IsWhole(Tensor t) =>
        t.storage is DeviceStorage d && (t.numel == 0 || (t.IsContiguous && t.offset == 0 && t.numel == d.Length));

    /// <summary>The tensor's geometry over its device buffer, for the strided kernels.</summary>
    public static DeviceView View(Tensor t, string op)
    {
        if (t.shape.Length > DeviceView.MaxDims)
        {
            throw new NotSupportedException(
                $"{op}: a strided view of {t.shape.Length} dimensions (shape {t.ShapeString}) on {t.Device} is beyond the device kernels' {DeviceView.MaxDims}; reshape it first.");
        }

        return new DeviceView(((DeviceStorage)t.storage).Buffer, t.DType, t.shape, t.strides, t.offset);
    }

    /// <summary>The buffer of a tensor that <see cref="IsWhole"/>; copies it into a new one first otherwise (not recorded).</summary>
    public static IDeviceBuffer Buffer(ref Tensor t, string op)
    {
        if (!IsWhole(t))
        {
            t = Copy(t, t.DType, op);
        }

        return ((DeviceStorage)t.storage).Buffer;
    }

    /// <summary>A new contiguous device tensor with the elements of <paramref name="source"/> in <paramref name="dtype"/> (not recorded).</summary>
    public static Tensor Copy(Tensor source, DType dtype, string op)
    {
        var result = Tensor.EmptyOn(source.Device, dtype, source.shape);
        if (source.numel > 0)
        {
            Backend(source).Copy(View(source, op), View(result, op));
        }

        return result;
    }

    /// <summary>
    /// Writes <paramref name="source"/>, broadcast to the shape of <paramref name="destination"/>, into it (any strides,
    /// converting dtypes). Either side may be on the CPU: that side is moved over first.
    /// </summary>
    public static void CopyInto(Tensor source, Tensor destination)
    {
        if (!OnDevice(destination))
        {
            Tensor.CopyInto(source.ToHostCopy(), destination);
            return;
        }

        if (source.Device != destination.Device)
        {
            source = source.Detach().To(destination.Device);
        }

        var s = source.shape.AsSpan().SequenceEqual(destination.shape) ? source : source.Detach().Expand(destination.shape);
        if (destination.numel > 0)
        {
            Backend(destination).Copy(View(s, "CopyFrom"), View(destination, "CopyFrom"));
        }
    }

    /// <summary>Sets every element of a device tensor (any view) to <paramref name="value"/>.</summary>
    public static void Fill(Tensor t, double value)
    {
        if (t.DType == DType.Float32 && IsWhole(t))
        {
            Backend(t).Fill(((DeviceStorage)t.storage).Buffer, (float)value);
            return;
        }

        CopyInto(Tensor.FullOn(t.Device, t.DType, [], value), t);
    }

    /// <summary>Zeros of <paramref name="shape"/> on the device (and of the dtype) of <paramref name="like"/>; CPU zeros for a CPU tensor.</summary>
    public static Tensor ZerosAs(Tensor like, int[] shape) =>
        OnDevice(like) ? Tensor.FullOn(like.Device, like.DType, shape, 0) : Tensor.Empty(like.DType, shape, zeroed: true);

    /// <summary>
    /// The device kernels compute in Float32: integer and Bool operands are promoted to it as PyTorch promotes them
    /// against a float; a Float64 result, or an integer result, has no device kernel and says so.
    /// </summary>
    public static void RequireFloat32(DType result, string op, Device device)
    {
        if (result != DType.Float32)
        {
            throw new NotSupportedException(
                $"{op}: on {device} the kernels compute in Float32, but this operation's result dtype is {result}; " +
                "convert the operands with To(DType.Float32), or run it on the CPU (To(Device.Cpu)).");
        }
    }

    /// <summary>
    /// An operand of a Float32 elementwise kernel: converted to Float32 (recorded, so gradients flow back), broadcast
    /// to <paramref name="shape"/> and made contiguous (both recorded: the broadcast gradient is summed back on the device).
    /// </summary>
    public static Tensor Operand(Tensor t, int[] shape, Device device, string op)
    {
        if (!OnDevice(t))
        {
            // A C# scalar wrapped as a zero-dimensional CPU tensor (x + 5): a filled tensor on the device.
            t = Tensor.FullOn(device, DType.Float32, [], t.ToHostCopy().GetAsDouble(0));
        }

        if (t.DType == DType.Float64)
        {
            throw new NotSupportedException($"{op}: Float64 tensors have no kernels on {device} yet; convert with To(DType.Float32) or run on the CPU.");
        }

        if (t.DType != DType.Float32)
        {
            t = t.To(DType.Float32);
        }

        if (!t.shape.AsSpan().SequenceEqual(shape))
        {
            t = t.Expand(shape);
        }

        return IsWhole(t) ? t : t.Clone();
    }

    /// <summary>The buffer of a Float32 tensor for a kernel argument: copied whole first where needed, never recorded.</summary>
    public static IDeviceBuffer Float32Buffer(Tensor t, string op)
    {
        if (t.DType != DType.Float32)
        {
            RequireFloat32(t.DType, op, t.Device);
        }

        return Buffer(ref t, op);
    }
}
