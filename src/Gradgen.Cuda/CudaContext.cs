using Gradgen.Cuda.Native;

namespace Gradgen.Cuda;

/// <summary>
/// The primary context of one device (retained on <see cref="Create"/>, released on <see cref="Dispose"/>): owns
/// the device's <see cref="CudaCachingAllocator"/> and the modules loaded through <see cref="LoadModule(string, string, string[])"/>.
/// Every operation makes the context current on the calling thread first, so any thread may use it.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    readonly Dictionary<string, CudaModule> modules = new(StringComparer.Ordinal);
    bool disposed;

    CudaContext(CudaDevice device, IntPtr handle)
    {
        Device = device;
        Handle = handle;
        Allocator = new CudaCachingAllocator(this);
    }

    /// <summary>The device.</summary>
    public CudaDevice Device { get; }

    /// <summary>The driver's <c>CUcontext</c>.</summary>
    public IntPtr Handle { get; }

    /// <summary>The caching allocator that <see cref="DeviceBuffer{T}"/> rents memory from.</summary>
    public CudaCachingAllocator Allocator { get; }

    /// <summary>
    /// The architecture <see cref="LoadModule(string, string, string[])"/> compiles for: the device's real architecture
    /// (<c>sm_90</c>, a CUBIN the driver loads without a JIT step) where NVRTC supports it, else the highest virtual
    /// architecture NVRTC supports that the device can run (PTX the driver compiles when loading).
    /// </summary>
    public string TargetArchitecture
    {
        get
        {
            int capability = Device.ComputeCapability.Major * 10 + Device.ComputeCapability.Minor;
            IReadOnlyList<int> supported = Nvrtc.SupportedArchitectures;
            if (supported.Count == 0 || supported.Contains(capability))
            {
                return supported.Count == 0 ? Device.VirtualArchitecture : Device.RealArchitecture;
            }

            int best = supported.Where(a => a <= capability).DefaultIfEmpty(supported[0]).Max();
            return $"compute_{best}";
        }
    }

    /// <summary>Retains the primary context of device <paramref name="ordinal"/>.</summary>
    /// <param name="ordinal">0 for the first device.</param>
    /// <returns>The context; dispose it to release it.</returns>
    /// <exception cref="CudaException">CUDA is unavailable or the driver refused.</exception>
    public static CudaContext Create(int ordinal = 0)
    {
        CudaDevice device = CudaDevice.Get(ordinal);
        IntPtr handle = IntPtr.Zero;
        CudaException.Check(CudaDriverNative.cuDevicePrimaryCtxRetain(&handle, device.Handle), "cuDevicePrimaryCtxRetain", device.Name);
        var context = new CudaContext(device, handle);
        context.MakeCurrent();
        return context;
    }

    /// <summary>Makes this context current on the calling thread (<c>cuCtxSetCurrent</c>).</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        CudaException.Check(CudaDriverNative.cuCtxSetCurrent(Handle), "cuCtxSetCurrent");
    }

    /// <summary>Waits for all work of this context (<c>cuCtxSynchronize</c>); a failed kernel's error appears here.</summary>
    /// <exception cref="CudaException">A kernel launched earlier failed.</exception>
    public void Synchronize()
    {
        MakeCurrent();
        CudaException.Check(CudaDriverNative.cuCtxSynchronize(), "cuCtxSynchronize");
    }

    /// <summary>Free and total device memory in bytes (<c>cuMemGetInfo</c>).</summary>
    /// <returns>The free and total bytes.</returns>
    public (long Free, long Total) GetMemoryInfo()
    {
        MakeCurrent();
        nuint free = 0, total = 0;
        CudaException.Check(CudaDriverNative.cuMemGetInfo_v2(&free, &total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }

    /// <summary>Rents an uninitialized buffer of <paramref name="length"/> elements from <see cref="Allocator"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="length">The number of elements (0 or more).</param>
    /// <returns>The buffer; dispose it to give the memory back to the allocator.</returns>
    public DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged => new(this, length);

    /// <summary>Rents a buffer and copies <paramref name="source"/> into it.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="source">The host data.</param>
    /// <returns>The buffer holding a copy of <paramref name="source"/>.</returns>
    public DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> source) where T : unmanaged
    {
        var buffer = new DeviceBuffer<T>(this, source.Length);
        buffer.CopyFromHost(source);
        return buffer;
    }

    /// <summary>
    /// Compiles <paramref name="source"/> for <see cref="TargetArchitecture"/> through the NVRTC compile cache and
    /// loads it, once per context: a second call with the same source and options returns the same module.
    /// </summary>
    /// <param name="source">One self-contained CUDA C translation unit.</param>
    /// <param name="name">The program's name, for messages.</param>
    /// <param name="options">Further NVRTC options.</param>
    /// <returns>The loaded module, owned by this context.</returns>
    public CudaModule LoadModule(string source, string name, params string[] options)
    {
        CompiledProgram program = Nvrtc.Compile(source, name, TargetArchitecture, options);
        lock (modules)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!modules.TryGetValue(program.Key, out CudaModule? module))
            {
                module = CudaModule.Load(this, program);
                modules[program.Key] = module;
            }

            return module;
        }
    }

    /// <summary>Frees the allocator's cached memory, unloads the modules of this context and releases the primary context.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        Allocator.EmptyCache();
        lock (modules)
        {
            foreach (CudaModule module in modules.Values)
            {
                module.Dispose();
            }

            modules.Clear();
            disposed = true;
        }

        CudaDriverNative.cuDevicePrimaryCtxRelease_v2(Device.Handle);
    }
}
