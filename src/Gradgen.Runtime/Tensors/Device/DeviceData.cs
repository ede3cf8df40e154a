namespace Gradgen;

/// <summary>
/// The plumbing every device operation shares: the backend of a tensor, contiguous copies, writes into views,
/// and kernel operands of a dtype. Nothing here records autograd history except
/// <see cref="Operand"/>, whose conversions and broadcasts are recorded so that gradients flow back through them.
/// </summary>
internal static class DeviceData
{
    /// <summary>Whether a tensor lives on an accelerator.</summary>
    public static bool OnDevice(Tensor t) => t.storage is DeviceStorage;

    /// <summary>The backend that owns a device tensor's memory.</summary>
    public static IDeviceBackend Backend(Tensor t) => ((DeviceStorage)t.storage).Backend;

    /// <summary>The buffer of a device tensor, whole or not (for callers that pass offsets themselves).</summary>
    public static IDeviceBuffer Storage(Tensor t) => ((DeviceStorage)t.storage).Buffer;

    /// <summary>
    /// Whether the kernels can take the tensor's buffer as it is: contiguous, starting at element 0, all of it. An
    /// empty tensor always can (no kernel reads it), whatever its strides say.
    /// </summary>
    public static bool IsWhole(Tensor t) =>
        t.storage is DeviceStorage d && (t.numel == 0 || (t.IsContiguous && t.offset == 0 && t.numel == d.Length));

    /// <summary>The buffer of a tensor that <see cref="IsWhole"/>; copies it into a new one first otherwise (not recorded).</summary>
    public static IDeviceBuffer Buffer(ref Tensor t)
    {
        if (!IsWhole(t))
        {
            t = Copy(t, t.DType);
        }

        return Storage(t);
    }

    /// <summary>The whole buffer of <paramref name="t"/> in <paramref name="dtype"/>, for a kernel argument: converted or copied first where needed, never recorded.</summary>
    public static IDeviceBuffer Buffer(Tensor t, DType dtype)
    {
        if (t.DType != dtype)
        {
            t = Copy(t, dtype);
        }

        return Buffer(ref t);
    }

    /// <summary>A new contiguous device tensor with the elements of <paramref name="source"/> in <paramref name="dtype"/> (not recorded).</summary>
    public static Tensor Copy(Tensor source, DType dtype)
    {
        var result = Tensor.EmptyOn(source.Device, dtype, source.shape);
        DeviceCopy.Run(source, result);
        return result;
    }

    /// <summary>
    /// <see cref="Copy(Tensor, DType)"/> for callers that name their operation (the compiled models' device path); no
    /// copy can fail for a reason the name would explain, so it is not used.
    /// </summary>
    public static Tensor Copy(Tensor source, DType dtype, string op)
    {
        _ = op;
        return Copy(source, dtype);
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
        DeviceCopy.Run(s, destination);
    }

    /// <summary>Sets every element of a device tensor (any view) to <paramref name="value"/>.</summary>
    public static void Fill(Tensor t, double value)
    {
        if (IsWhole(t))
        {
            if (t.numel > 0)
            {
                Backend(t).Fill(Storage(t), t.DType, value);
            }

            return;
        }

        CopyInto(Tensor.FullOn(t.Device, t.DType, [], value), t);
    }

    /// <summary>Zeros of <paramref name="shape"/> on the device (and of the dtype) of <paramref name="like"/>; CPU zeros for a CPU tensor.</summary>
    public static Tensor ZerosAs(Tensor like, int[] shape) =>
        OnDevice(like) ? Tensor.FullOn(like.Device, like.DType, shape, 0) : Tensor.Empty(like.DType, shape, zeroed: true);

    /// <summary>
    /// An operand of an elementwise kernel: converted to <paramref name="dtype"/> (recorded, so gradients flow back),
    /// broadcast to <paramref name="shape"/> and made contiguous (both recorded: the broadcast gradient is summed back
    /// on the device). A C# scalar (a wrapped zero-dimensional CPU tensor) becomes a filled device tensor.
    /// </summary>
    public static Tensor Operand(Tensor t, int[] shape, Device device, DType dtype)
    {
        if (!OnDevice(t))
        {
            t = Tensor.FullOn(device, dtype, [], t.ToHostCopy().GetAsDouble(0));
        }

        if (t.DType != dtype)
        {
            t = t.To(dtype);
        }

        if (!t.shape.AsSpan().SequenceEqual(shape))
        {
            t = t.Expand(shape);
        }

        return IsWhole(t) ? t : t.Clone();
    }
}
