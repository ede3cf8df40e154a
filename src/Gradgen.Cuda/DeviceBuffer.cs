using Gradgen.Cuda.Native;

namespace Gradgen.Cuda;

/// <summary>
/// Device memory for <see cref="Length"/> elements of <typeparamref name="T"/>, rented from the context's
/// <see cref="CudaCachingAllocator"/>; <see cref="Dispose"/> gives it back. Copies are synchronous with respect to
/// the host. Converts implicitly to a <see cref="KernelArg"/> (its device pointer).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    readonly long bucket;
    ulong pointer;
    bool disposed;

    internal DeviceBuffer(CudaContext context, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Context = context;
        Length = length;
        pointer = context.Allocator.Rent(checked(length * sizeof(T)), out bucket);
    }

    /// <summary>The context the memory belongs to.</summary>
    public CudaContext Context { get; }

    /// <summary>The number of elements.</summary>
    public long Length { get; }

    /// <summary>The number of bytes the elements take.</summary>
    public long SizeInBytes => Length * sizeof(T);

    /// <summary>The <c>CUdeviceptr</c> (0 for an empty buffer).</summary>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public ulong DevicePointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return pointer;
        }
    }

    /// <summary>The buffer's device pointer as a kernel argument.</summary>
    /// <param name="buffer">The buffer.</param>
    public static implicit operator KernelArg(DeviceBuffer<T> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return KernelArg.Pointer(buffer.DevicePointer);
    }

    /// <summary>Copies <paramref name="source"/> into the elements from <paramref name="destinationIndex"/> on.</summary>
    /// <param name="source">The host data.</param>
    /// <param name="destinationIndex">The first element to write.</param>
    public void CopyFromHost(ReadOnlySpan<T> source, long destinationIndex = 0)
    {
        CheckRange(destinationIndex, source.Length, "destination");
        if (source.IsEmpty)
        {
            return;
        }

        Context.MakeCurrent();
        fixed (T* s = source)
        {
            CudaException.Check(
                CudaDriverNative.cuMemcpyHtoD_v2(pointer + (ulong)(destinationIndex * sizeof(T)), s, (nuint)(source.Length * (long)sizeof(T))),
                "cuMemcpyHtoD_v2");
        }
    }

    /// <summary>Copies the elements from <paramref name="sourceIndex"/> on into <paramref name="destination"/>.</summary>
    /// <param name="destination">The host memory to fill; its length says how many elements to copy.</param>
    /// <param name="sourceIndex">The first element to read.</param>
    public void CopyToHost(Span<T> destination, long sourceIndex = 0)
    {
        CheckRange(sourceIndex, destination.Length, "source");
        if (destination.IsEmpty)
        {
            return;
        }

        Context.MakeCurrent();
        fixed (T* d = destination)
        {
            CudaException.Check(
                CudaDriverNative.cuMemcpyDtoH_v2(d, pointer + (ulong)(sourceIndex * sizeof(T)), (nuint)(destination.Length * (long)sizeof(T))),
                "cuMemcpyDtoH_v2");
        }
    }

    /// <summary>Copies all of <paramref name="source"/> (device to device); the lengths must be equal.</summary>
    /// <param name="source">A buffer of the same length in the same context.</param>
    public void CopyFrom(DeviceBuffer<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ObjectDisposedException.ThrowIf(disposed, this);
        if (source.Length != Length)
        {
            throw new ArgumentException(
                $"cannot copy a device buffer of {source.Length} elements into one of {Length} elements", nameof(source));
        }

        if (Length == 0)
        {
            return;
        }

        Context.MakeCurrent();
        CudaException.Check(CudaDriverNative.cuMemcpyDtoD_v2(pointer, source.DevicePointer, (nuint)SizeInBytes), "cuMemcpyDtoD_v2");
    }

    /// <summary>Sets every byte of the buffer to zero.</summary>
    public void Clear()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Length == 0)
        {
            return;
        }

        Context.MakeCurrent();
        CudaException.Check(CudaDriverNative.cuMemsetD8_v2(pointer, 0, (nuint)SizeInBytes), "cuMemsetD8_v2");
    }

    /// <summary>Copies the whole buffer into a new array.</summary>
    /// <returns>The elements.</returns>
    public T[] ToArray()
    {
        if (Length > Array.MaxLength)
        {
            throw new InvalidOperationException($"a buffer of {Length} elements does not fit in an array");
        }

        var result = new T[Length];
        CopyToHost(result);
        return result;
    }

    /// <summary>Gives the memory back to the context's allocator.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        Context.Allocator.Return(pointer, bucket);
        pointer = 0;
    }

    void CheckRange(long index, int count, string what)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (index < 0 || index > Length || count > Length - index)
        {
            throw new ArgumentOutOfRangeException(what + "Index",
                $"{count} elements from index {index} do not fit in a device buffer of {Length} elements");
        }
    }
}
