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

    /// <summary>Sets every element of a buffer of <paramref name="dtype"/> to <paramref name="value"/>, converted as <see cref="Tensor.To(DType)"/> converts.</summary>
    void Fill(IDeviceBuffer buffer, DType dtype, double value);

    /// <summary>
    /// Writes the sum of <paramref name="source"/>'s elements into the one element of <paramref name="destination"/>,
    /// both of <paramref name="dtype"/>: Float32, Float64 or Int64 (integer sums come as Int64).
    /// </summary>
    void Sum(DType dtype, IDeviceBuffer source, IDeviceBuffer destination);

    /// <summary>
    /// Launches the grid-stride elementwise kernel <paramref name="entry"/> of <paramref name="source"/> (compiled once
    /// and cached) with the buffers as its pointer arguments, in order, followed by the element count.
    /// </summary>
    void LaunchElementwise(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, int count);

    /// <summary>
    /// As <see cref="LaunchElementwise(string, string, ReadOnlySpan{IDeviceBuffer}, int)"/>, with <paramref name="scalars"/>
    /// as <c>double</c> arguments between the buffers and the element count: an optimizer's update, whose learning
    /// rate and bias corrections change every step while its compiled kernel does not.
    /// </summary>
    void LaunchElementwise(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, ReadOnlySpan<double> scalars, int count);

    /// <summary>
    /// Launches the row kernel <paramref name="entry"/> of <paramref name="source"/> (a generator's <c>FRowsCudaSource</c>,
    /// compiled once and cached) over the <paramref name="count"/> rows from <paramref name="first"/> of the
    /// <paramref name="rows"/> rows of its tensors, one thread per row: the buffers as its pointer arguments, in order
    /// (the tensors, the output or gradients, then the tape, of <paramref name="capacity"/> words for each of the
    /// <paramref name="count"/> rows, and its overflow word), then <paramref name="ints"/> as <c>long long</c>, the
    /// capacity, <paramref name="rows"/>, <paramref name="first"/> and <paramref name="count"/>. One launch: the caller
    /// reads the overflow word and relaunches with more tape, and launches the rows in chunks whose tape fits one
    /// buffer (DeviceRows).
    /// </summary>
    void LaunchRows(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, ReadOnlySpan<long> ints, long capacity, int rows, int first, int count);

    /// <summary>
    /// Copies the elements of <paramref name="source"/> into <paramref name="destination"/> (same shape, any strides,
    /// converting the dtype as <see cref="Tensor.To(DType)"/> does): Contiguous, broadcasts made real, dtype changes
    /// and writes into views all come down to this.
    /// </summary>
    void Copy(DeviceView source, DeviceView destination);

    /// <summary>
    /// <paramref name="output"/>[i] = <paramref name="op"/>(inputs[0][i], inputs[1][i], inputs[2][i]; alpha, beta) for i
    /// below <paramref name="count"/>: contiguous buffers of <paramref name="dtype"/> (Float32, Float64, Int32 or Int64;
    /// alpha and beta are converted to it first); unused inputs may be absent; the output may be an input.
    /// </summary>
    void Map(DeviceMapOp op, DType dtype, ReadOnlySpan<IDeviceBuffer> inputs, IDeviceBuffer output, int count, double alpha, double beta);

    /// <summary><paramref name="output"/>[i] = <paramref name="op"/>(a[i], b[i]): contiguous inputs of <paramref name="dtype"/> (not Bool), a Bool output.</summary>
    void Compare(DeviceCompareOp op, DType dtype, IDeviceBuffer a, IDeviceBuffer b, IDeviceBuffer output, int count);

    /// <summary><paramref name="output"/>[i] = condition[i] ? x[i] : y[i]: a contiguous Bool condition, values and output of <paramref name="dtype"/> (any).</summary>
    void Where(DType dtype, IDeviceBuffer condition, IDeviceBuffer x, IDeviceBuffer y, IDeviceBuffer output, int count);

    /// <summary>
    /// Reduces the middle dimension of the contiguous block <paramref name="source"/> of shape [outer, length, inner]
    /// into <paramref name="values"/> [outer, inner], both of <paramref name="dtype"/> (not Bool; integer sums come as
    /// Int64); Max and Min also write the first index of the extreme value into <paramref name="indices"/> (Int64)
    /// when it is given.
    /// </summary>
    void Reduce(DeviceReduceOp op, DType dtype, IDeviceBuffer source, int outer, int length, int inner, IDeviceBuffer values, IDeviceBuffer? indices);

    /// <summary>A matrix product with its epilogue (see <see cref="DeviceGemm"/>).</summary>
    void Gemm(in DeviceGemm gemm);

    /// <summary>
    /// Gathers along the middle dimension: output[o, j, i] = source[o, index[o, j, i], i] for a contiguous source
    /// [outer, length, inner] of <paramref name="dtype"/> and a contiguous Int64 index [outer, count, inner] of valid
    /// positions; with <paramref name="scatterAdd"/> (Float32 and Float64 only) it runs backwards instead:
    /// source[o, index[o, j, i], i] += output[o, j, i] (atomically, so repeated positions add up).
    /// </summary>
    void Gather(DType dtype, IDeviceBuffer source, IDeviceBuffer index, IDeviceBuffer output, int outer, int length, int count, int inner, bool scatterAdd);
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
