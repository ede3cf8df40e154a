using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Gradgen.Cuda;

/// <summary>
/// The CUDA backend of Gradgen's tensors: device memory from the caching allocator, copies, and launches of the
/// generator's elementwise kernels (compiled once per source with NVRTC and cached). The tensor kernels and the GEMM
/// of src/Gradgen.Cuda/Kernels are launched in CudaTensorBackend.Kernels.cs. Registered by <see cref="Cuda.Register"/>.
/// </summary>
internal sealed partial class CudaTensorBackend : IDeviceBackend
{
    private const int ThreadsPerBlock = 256;

    private readonly ConcurrentDictionary<string, CudaModule> modules = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Source, string Entry), CudaKernel> kernels = new();
    private readonly CudaContext context;

    public CudaTensorBackend(CudaContext context) => this.context = context;

    public DeviceType Type => DeviceType.Cuda;

    public IDeviceBuffer Allocate(Device device, DType dtype, int length)
    {
        if (device.Index != context.Device.Ordinal)
        {
            throw new NotSupportedException($"Only the default CUDA device ({context.Device.Ordinal}) holds tensors so far, not {device}.");
        }

        context.MakeCurrent();
        long bytes = Math.Max(1, (long)length * ElementSize(dtype));
        DeviceBuffer<byte> memory;
        try
        {
            memory = context.Allocate<byte>(bytes);
        }
        catch (CudaException e) when (e.ErrorName == "CUDA_ERROR_OUT_OF_MEMORY")
        {
            // Tensors give their memory back when the GC finalizes them: collect, then try once more.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            memory = context.Allocate<byte>(bytes);
        }

        return new CudaTensorBuffer(device, memory, length);
    }

    public void CopyFromHost<T>(ReadOnlySpan<T> source, IDeviceBuffer destination)
        where T : unmanaged
    {
        context.MakeCurrent();
        Bytes(destination).CopyFromHost(MemoryMarshal.AsBytes(source));
    }

    public void CopyToHost<T>(IDeviceBuffer source, Span<T> destination)
        where T : unmanaged
    {
        context.MakeCurrent();
        Bytes(source).CopyToHost(MemoryMarshal.AsBytes(destination));
    }

    public void Fill(IDeviceBuffer buffer, DType dtype, double value) =>
        Builtin(KernelSources.Entry("gg_fill", dtype)).Launch(Shape(buffer.Length), Bytes(buffer), value, buffer.Length);

    public void Sum(DType dtype, IDeviceBuffer source, IDeviceBuffer destination)
    {
        Fill(destination, dtype, 0);
        Builtin(KernelSources.Entry("gg_sum", dtype)).Launch(Shape(source.Length), Bytes(source), Bytes(destination), source.Length);
    }

    public void LaunchElementwise(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, int count) =>
        LaunchElementwise(source, entry, buffers, [], count);

    public void LaunchElementwise(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, ReadOnlySpan<double> scalars, int count)
    {
        Span<KernelArg> arguments = stackalloc KernelArg[buffers.Length + scalars.Length + 1];
        for (int i = 0; i < buffers.Length; i++)
        {
            arguments[i] = Bytes(buffers[i]);
        }

        for (int k = 0; k < scalars.Length; k++)
        {
            arguments[buffers.Length + k] = scalars[k];
        }

        arguments[^1] = count;
        Kernel(source, entry).Launch(Shape(count), arguments);
    }

    public void LaunchRows(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, ReadOnlySpan<long> ints, long capacity, int rows, int first, int count)
    {
        // One thread per row (a row's loops run in order in it); the kernel loops over rows beyond the grid.
        Span<KernelArg> arguments = stackalloc KernelArg[buffers.Length + ints.Length + 4];
        for (int i = 0; i < buffers.Length; i++)
        {
            arguments[i] = Bytes(buffers[i]);
        }

        for (int k = 0; k < ints.Length; k++)
        {
            arguments[buffers.Length + k] = ints[k];
        }

        arguments[^4] = capacity;
        arguments[^3] = rows;
        arguments[^2] = first;
        arguments[^1] = count;
        Kernel(source, entry).Launch(Shape(count), arguments);
    }

    private LaunchShape Shape(int count) => LaunchShape.ForElements(Math.Max(1, count), context.Device, ThreadsPerBlock);

    private CudaKernel Kernel(string source, string entry)
    {
        context.MakeCurrent();
        return kernels.GetOrAdd((source, entry), key =>
        {
            var module = modules.GetOrAdd(key.Source, s => context.LoadModule(s, "gradgen_" + (uint)StringComparer.Ordinal.GetHashCode(s)));
            return module.GetKernel(key.Entry);
        });
    }

    private static DeviceBuffer<byte> Bytes(IDeviceBuffer buffer) =>
        buffer is CudaTensorBuffer cuda ? cuda.Memory : throw new ArgumentException($"The buffer on {buffer.Device} was not made by the CUDA backend.");

    private static int ElementSize(DType dtype) => dtype switch
    {
        DType.Float64 or DType.Int64 => 8,
        DType.Float32 or DType.Int32 => 4,
        _ => 1,
    };
}

/// <summary>A tensor's device memory; returned to the caching allocator when the tensor is collected.</summary>
internal sealed class CudaTensorBuffer : IDeviceBuffer
{
    public CudaTensorBuffer(Device device, DeviceBuffer<byte> memory, int length)
    {
        (Device, Memory, Length) = (device, memory, length);

        // The GC sees only a small object; telling it about the device bytes makes it collect (and so return memory
        // to the caching allocator) about as often as the device memory turns over, not only when host memory does.
        GC.AddMemoryPressure(memory.SizeInBytes);
    }

    ~CudaTensorBuffer()
    {
        GC.RemoveMemoryPressure(Memory.SizeInBytes);
        Memory.Dispose();
    }

    public Device Device { get; }

    public int Length { get; }

    public DeviceBuffer<byte> Memory { get; }
}
