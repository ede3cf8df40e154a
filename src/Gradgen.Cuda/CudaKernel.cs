using Gradgen.Cuda.Native;

namespace Gradgen.Cuda;

/// <summary>One kernel (<c>CUfunction</c>) of a <see cref="CudaModule"/>, launched with <c>cuLaunchKernel</c>.</summary>
public sealed unsafe class CudaKernel
{
    /// <summary>The most arguments one launch takes.</summary>
    public const int MaxArguments = 64;

    internal CudaKernel(CudaModule module, string name, IntPtr handle)
    {
        Module = module;
        Name = name;
        Handle = handle;
    }

    /// <summary>The module the kernel belongs to.</summary>
    public CudaModule Module { get; }

    /// <summary>The kernel's entry name.</summary>
    public string Name { get; }

    /// <summary>The driver's <c>CUfunction</c>.</summary>
    public IntPtr Handle { get; }

    /// <summary>Launches the kernel on the default stream; it runs asynchronously.</summary>
    /// <param name="grid">Blocks in the grid.</param>
    /// <param name="block">Threads in a block.</param>
    /// <param name="arguments">The kernel's parameters in order; each must have the C parameter's type.</param>
    /// <exception cref="CudaException">The driver refused the launch (errors of the kernel itself surface at the next synchronization).</exception>
    public void Launch(Dim3 grid, Dim3 block, params ReadOnlySpan<KernelArg> arguments) =>
        Launch(new LaunchShape(grid, block), arguments);

    /// <summary>Launches the kernel on the default stream; it runs asynchronously.</summary>
    /// <param name="shape">Grid, block and dynamic shared memory.</param>
    /// <param name="arguments">The kernel's parameters in order; each must have the C parameter's type.</param>
    /// <exception cref="CudaException">The driver refused the launch.</exception>
    public void Launch(LaunchShape shape, params ReadOnlySpan<KernelArg> arguments)
    {
        Dim3 grid = shape.Grid, block = shape.Block;
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0 || block.X == 0 || block.Y == 0 || block.Z == 0)
        {
            throw new ArgumentException($"kernel '{Name}': grid {grid} and block {block} must have no zero dimension", nameof(shape));
        }

        int maxThreads = Module.Context.Device.MaxThreadsPerBlock;
        if (block.Total > (ulong)maxThreads)
        {
            throw new ArgumentException(
                $"kernel '{Name}': block {block} has {block.Total} threads, more than the device's {maxThreads}", nameof(shape));
        }

        if (arguments.Length > MaxArguments)
        {
            throw new ArgumentException($"kernel '{Name}': {arguments.Length} arguments, more than {MaxArguments}", nameof(arguments));
        }

        int count = Math.Max(1, arguments.Length);
        ulong* values = stackalloc ulong[count];
        void** parameters = stackalloc void*[count];
        for (int i = 0; i < arguments.Length; i++)
        {
            values[i] = arguments[i].Bits;
            parameters[i] = values + i;
        }

        Module.Context.MakeCurrent();
        int result = CudaDriverNative.cuLaunchKernel(
            Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, shape.SharedMemoryBytes, IntPtr.Zero,
            arguments.IsEmpty ? null : parameters, null);
        CudaException.Check(result, "cuLaunchKernel", Name, $"grid {grid}, block {block}, {arguments.Length} arguments");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Module.Name})";
}
