namespace Gradgen;

public partial class Tensor
{
    /// <summary>
    /// This tensor on <paramref name="device"/> (PyTorch's <c>to(device)</c>): itself if it is already there, else a
    /// contiguous copy, recorded as <c>ToCopyBackward</c> so that gradients flow back to the original device.
    /// </summary>
    /// <param name="device">The target device.</param>
    /// <exception cref="NotSupportedException">No backend is registered for a CUDA device (reference Gradgen.Cuda and call <c>Cuda.Register()</c>).</exception>
    public Tensor To(Device device)
    {
        var from = Device;
        if (device == from)
        {
            return this;
        }

        var copy = device.Type == DeviceType.Cpu ? ToHostCopy() : CopyToDevice(device);
        if (Autograd.Recording(this))
        {
            copy.WithHistory(new LambdaBackward("ToCopyBackward", this, g => g.To(from)));
        }

        return copy;
    }

    /// <summary>A contiguous CPU copy of the data, without autograd history.</summary>
    internal Tensor ToHostCopy()
    {
        if (storage is not DeviceStorage device)
        {
            return ContiguousData();
        }

        if (numel == 0)
        {
            return Empty(DType, shape);
        }

        if (!DeviceData.IsWhole(this) && !IsContiguous)
        {
            // A strided view on the device: made contiguous there first, then copied over in one piece.
            return DeviceData.Copy(this, DType).ToHostCopy();
        }

        var host = Empty(DType, shape);
        switch (DType)
        {
            case DType.Float32: CopyToHost(device, host.StorageSpan<float>()); break;
            case DType.Float64: CopyToHost(device, host.StorageSpan<double>()); break;
            case DType.Int32: CopyToHost(device, host.StorageSpan<int>()); break;
            case DType.Int64: CopyToHost(device, host.StorageSpan<long>()); break;
            default: CopyToHost(device, host.StorageSpan<bool>()); break;
        }

        return host;
    }

    private void CopyToHost<T>(DeviceStorage device, Span<T> destination)
        where T : unmanaged
    {
        if (offset == 0 && numel == device.Length)
        {
            device.Backend.CopyToHost(device.Buffer, destination);
            return;
        }

        var all = new T[device.Length];
        device.Backend.CopyToHost<T>(device.Buffer, all);
        all.AsSpan(offset, numel).CopyTo(destination);
    }

    private Tensor CopyToDevice(Device device)
    {
        var backend = DeviceBackends.For(device, "To");
        var host = storage is DeviceStorage ? ToHostCopy() : ContiguousData();
        var result = EmptyOn(device, DType, shape);
        var buffer = ((DeviceStorage)result.storage).Buffer;
        switch (DType)
        {
            case DType.Float32: backend.CopyFromHost<float>(host.StorageSpan<float>().Slice(host.offset, numel), buffer); break;
            case DType.Float64: backend.CopyFromHost<double>(host.StorageSpan<double>().Slice(host.offset, numel), buffer); break;
            case DType.Int32: backend.CopyFromHost<int>(host.StorageSpan<int>().Slice(host.offset, numel), buffer); break;
            case DType.Int64: backend.CopyFromHost<long>(host.StorageSpan<long>().Slice(host.offset, numel), buffer); break;
            default: backend.CopyFromHost<bool>(host.StorageSpan<bool>().Slice(host.offset, numel), buffer); break;
        }

        return result;
    }

    /// <summary>
    /// Moves a leaf's elements (and its gradient) to <paramref name="device"/> in place, keeping the object, its shape
    /// and requires-grad: what Module.To does to each parameter (PyTorch's <c>param.data = param.data.to(device)</c>).
    /// </summary>
    internal void MoveTo(Device device)
    {
        if (Device == device)
        {
            return;
        }

        if (!IsLeaf)
        {
            throw new InvalidOperationException($"To({device}): only leaf tensors (parameters) move in place; this one was computed by {GradFn!.Name}.");
        }

        var moved = Detach().To(device);
        storage = moved.storage;
        strides = moved.strides;
        offset = moved.offset;
        grad = grad?.Detach().To(device);
    }

    /// <summary>
    /// Converts a leaf's elements (and its gradient) to <paramref name="dtype"/> in place, keeping the object, its
    /// shape, device and requires-grad: what Module.To(dtype) does to each floating parameter and buffer.
    /// </summary>
    internal void ConvertTo(DType dtype)
    {
        if (DType == dtype)
        {
            return;
        }

        if (!IsLeaf)
        {
            throw new InvalidOperationException($"To({dtype}): only leaf tensors (parameters and buffers) convert in place; this one was computed by {GradFn!.Name}.");
        }

        var converted = Detach().To(dtype);
        storage = converted.storage;
        strides = converted.strides;
        offset = converted.offset;
        grad = grad?.Detach().To(dtype);
    }

    /// <summary>A new contiguous, uninitialised tensor on an accelerator.</summary>
    internal static Tensor EmptyOn(Device device, DType dtype, int[] shape)
    {
        var backend = DeviceBackends.For(device, "Empty");
        int count = 1;
        foreach (int d in shape)
        {
            count *= d;
        }

        return new Tensor(new DeviceStorage(backend, backend.Allocate(device, dtype, count), dtype), (int[])shape.Clone());
    }

    /// <summary>A new tensor on an accelerator with every element <paramref name="value"/>.</summary>
    internal static Tensor FullOn(Device device, DType dtype, int[] shape, double value)
    {
        var result = EmptyOn(device, dtype, shape);
        var storage = (DeviceStorage)result.storage;
        if (result.numel > 0)
        {
            storage.Backend.Fill(storage.Buffer, dtype, value);
        }

        return result;
    }

    /// <summary>The device buffer of a contiguous tensor on an accelerator (the kernels see whole buffers).</summary>
    internal IDeviceBuffer DeviceBuffer(string operation)
    {
        if (storage is not DeviceStorage device)
        {
            throw new InvalidOperationException($"{operation}: the tensor is on the CPU.");
        }

        if (!DeviceData.IsWhole(this))
        {
            throw new NotSupportedException($"{operation}: views of tensors on {Device} are not supported yet; the tensor must own its whole, contiguous buffer.");
        }

        return device.Buffer;
    }

    /// <summary>The one device of the tensors of an operation, or an error naming the devices that differ.</summary>
    internal static Device CommonDevice(string operation, ReadOnlySpan<Tensor> tensors)
    {
        // A C# scalar wrapped as a CPU number (2 - x) goes with any device: the first other tensor sets it.
        var device = tensors[0].Device;
        foreach (var t in tensors)
        {
            if (!(t.isWrappedNumber && t.Device.Type == DeviceType.Cpu))
            {
                device = t.Device;
                break;
            }
        }

        foreach (var t in tensors)
        {
            if (t.Device != device && !(t.isWrappedNumber && t.Device.Type == DeviceType.Cpu))
            {
                throw new InvalidOperationException(
                    $"{operation}: expected all tensors on the same device, but found {device} and {t.Device}; move them with To(device) first.");
            }
        }

        return device;
    }
}
