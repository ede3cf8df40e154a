namespace Gradgen.Cuda;

/// <summary>
/// One kernel argument, by value: a device pointer, an integer or a floating-point number, kept in 8 bytes.
/// <see cref="CudaKernel.Launch(Dim3, Dim3, ReadOnlySpan{KernelArg})"/> builds the <c>void**</c> array of pointers to
/// these values that <c>cuLaunchKernel</c> takes (on a little-endian host a 4-byte value is the low half).
/// </summary>
public readonly struct KernelArg
{
    KernelArg(ulong bits, int size)
    {
        Bits = bits;
        Size = size;
    }

    /// <summary>The value's bytes, in the low <see cref="Size"/> bytes.</summary>
    public ulong Bits { get; }

    /// <summary>The size of the C parameter in bytes (4 or 8).</summary>
    public int Size { get; }

    /// <summary>A <c>CUdeviceptr</c> argument (a <c>T*</c> parameter).</summary>
    /// <param name="devicePointer">The device address.</param>
    /// <returns>The argument.</returns>
    public static KernelArg Pointer(ulong devicePointer) => new(devicePointer, sizeof(ulong));

    /// <summary>An <c>int</c> argument.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator KernelArg(int value) => new((uint)value, sizeof(int));

    /// <summary>An <c>unsigned int</c> argument.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator KernelArg(uint value) => new(value, sizeof(uint));

    /// <summary>A <c>long long</c> argument.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator KernelArg(long value) => new((ulong)value, sizeof(long));

    /// <summary>A <c>float</c> argument.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator KernelArg(float value) => new(BitConverter.SingleToUInt32Bits(value), sizeof(float));

    /// <summary>A <c>double</c> argument.</summary>
    /// <param name="value">The value.</param>
    public static implicit operator KernelArg(double value) => new(BitConverter.DoubleToUInt64Bits(value), sizeof(double));
}

/// <summary>Grid or block dimensions of a kernel launch.</summary>
/// <param name="X">The x dimension (at least 1).</param>
/// <param name="Y">The y dimension (at least 1).</param>
/// <param name="Z">The z dimension (at least 1).</param>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    /// <summary>The product of the dimensions.</summary>
    public ulong Total => (ulong)X * Y * Z;

    /// <summary>A one-dimensional shape.</summary>
    /// <param name="x">The x dimension.</param>
    public static implicit operator Dim3(uint x) => new(x);

    /// <summary>A one-dimensional shape.</summary>
    /// <param name="x">The x dimension (positive).</param>
    public static implicit operator Dim3(int x)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(x);
        return new((uint)x);
    }

    /// <inheritdoc/>
    public override string ToString() => Y == 1 && Z == 1 ? $"({X})" : $"({X}, {Y}, {Z})";
}

/// <summary>The grid, block and dynamic shared memory of one launch.</summary>
/// <param name="Grid">Blocks in the grid.</param>
/// <param name="Block">Threads in a block.</param>
/// <param name="SharedMemoryBytes">Dynamic shared memory per block.</param>
public readonly record struct LaunchShape(Dim3 Grid, Dim3 Block, uint SharedMemoryBytes = 0)
{
    /// <summary>Threads per block of <see cref="ForElements(long, CudaDevice, int, int)"/> unless told otherwise.</summary>
    public const int DefaultThreadsPerBlock = 256;

    /// <summary>
    /// The shape for a grid-stride elementwise kernel over <paramref name="count"/> elements: one thread per element
    /// up to <paramref name="blocksPerMultiprocessor"/> blocks per SM, beyond which each thread loops.
    /// </summary>
    /// <param name="count">The number of elements (0 or more).</param>
    /// <param name="device">The device, for its number of SMs.</param>
    /// <param name="threadsPerBlock">Threads per block.</param>
    /// <param name="blocksPerMultiprocessor">The most blocks per SM; 0 for no limit (one thread per element).</param>
    /// <returns>The shape (at least one block).</returns>
    public static LaunchShape ForElements(long count, CudaDevice device, int threadsPerBlock = DefaultThreadsPerBlock, int blocksPerMultiprocessor = 32)
    {
        ArgumentNullException.ThrowIfNull(device);
        return ForElements(count, device.MultiprocessorCount, threadsPerBlock, blocksPerMultiprocessor);
    }

    /// <summary>As <see cref="ForElements(long, CudaDevice, int, int)"/>, with the number of SMs given.</summary>
    /// <param name="count">The number of elements (0 or more).</param>
    /// <param name="multiprocessors">The device's number of SMs.</param>
    /// <param name="threadsPerBlock">Threads per block.</param>
    /// <param name="blocksPerMultiprocessor">The most blocks per SM; 0 for no limit.</param>
    /// <returns>The shape (at least one block).</returns>
    public static LaunchShape ForElements(long count, int multiprocessors, int threadsPerBlock = DefaultThreadsPerBlock, int blocksPerMultiprocessor = 32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threadsPerBlock);
        ArgumentOutOfRangeException.ThrowIfNegative(blocksPerMultiprocessor);
        long blocks = Math.Max(1, (count + threadsPerBlock - 1) / threadsPerBlock);
        if (blocksPerMultiprocessor > 0)
        {
            blocks = Math.Min(blocks, (long)Math.Max(1, multiprocessors) * blocksPerMultiprocessor);
        }

        return new LaunchShape(new Dim3((uint)Math.Min(blocks, int.MaxValue)), new Dim3((uint)threadsPerBlock));
    }
}
