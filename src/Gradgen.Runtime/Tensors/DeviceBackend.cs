namespace Gradgen;

/// <summary>Memory on an accelerator, owned by a <see cref="IDeviceBackend"/>.</summary>
internal interface IDeviceBuffer
{
    /// <summary>The device the memory is on.</summary>
    Device Device { get; }

    /// <summary>Number of elements.</summary>
    int Length { get; }
}

/// <summary>
/// What the runtime needs from an accelerator: memory, copies, and launches of elementwise kernels given as source
/// (the generator's <c>FCudaSource</c> constants, launched by entry name). Gradgen.Cuda implements it and registers it
/// with <see cref="DeviceBackends.Register"/>; the runtime never references Gradgen.Cuda (DESIGN.md 2).
/// </summary>
internal interface IDeviceBackend
{
    /// <summary>The kind of device it serves.</summary>
    DeviceType Type { get; }

    /// <summary>New uninitialised memory for <paramref name="length"/> elements of <paramref name="dtype"/>.</summary>
    IDeviceBuffer Allocate(Device device, DType dtype, int length);

    /// <summary>Copies host elements into device memory.</summary>
    void CopyFromHost<T>(ReadOnlySpan<T> source, IDeviceBuffer destination)
        where T : unmanaged;

    /// <summary>Copies device memory to the host.</summary>
    void CopyToHost<T>(IDeviceBuffer source, Span<T> destination)
        where T : unmanaged;

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    void Fill(IDeviceBuffer buffer, float value);

    /// <summary>Writes the sum of <paramref name="source"/>'s elements into the one element of <paramref name="destination"/>.</summary>
    void Sum(IDeviceBuffer source, IDeviceBuffer destination);

    /// <summary>
    /// Launches the grid-stride elementwise kernel <paramref name="entry"/> of <paramref name="source"/> (compiled once
    /// and cached) with the buffers as its pointer arguments, in order, followed by the element count.
    /// </summary>
    void LaunchElementwise(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, int count);
}

/// <summary>The registered accelerator backends.</summary>
internal static class DeviceBackends
{
    private static IDeviceBackend? cuda;

    /// <summary>Registers the backend of its device type (Gradgen.Cuda calls this); null unregisters (for tests).</summary>
    public static void Register(IDeviceBackend? backend) => cuda = backend;

    /// <summary>The backend for <paramref name="device"/>, or a clear error when none is registered.</summary>
    public static IDeviceBackend For(Device device, string operation) =>
        device.Type == DeviceType.Cuda && cuda is not null
            ? cuda
            : throw new NotSupportedException(
                $"{operation}: no backend for device {device} is registered. Reference Gradgen.Cuda and call Gradgen.Cuda.Cuda.Register() " +
                "(Cuda.IsAvailable tells whether a GPU and its driver are present).");
}

/// <summary>The storage of a tensor that lives on an accelerator.</summary>
internal sealed class DeviceStorage : Storage
{
    public DeviceStorage(IDeviceBackend backend, IDeviceBuffer buffer, DType dtype)
    {
        Backend = backend;
        Buffer = buffer;
        this.dtype = dtype;
    }

    private readonly DType dtype;

    public IDeviceBackend Backend { get; }

    public IDeviceBuffer Buffer { get; }

    public Device Device => Buffer.Device;

    public override DType DType => dtype;

    public override int Length => Buffer.Length;
}
