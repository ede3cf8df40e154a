using System.Text;
using Gradgen.Cuda.Native;

namespace Gradgen.Cuda;

/// <summary>A loaded module (<c>cuModuleLoadDataEx</c>) from PTX or a CUBIN, and the kernels found in it.</summary>
public sealed unsafe class CudaModule : IDisposable
{
    const int JitLogBytes = 16 * 1024;
    readonly Dictionary<string, CudaKernel> kernels = new(StringComparer.Ordinal);
    IntPtr handle;

    CudaModule(CudaContext context, string name, IntPtr handle)
    {
        Context = context;
        Name = name;
        this.handle = handle;
    }

    /// <summary>The context the module is loaded in.</summary>
    public CudaContext Context { get; }

    /// <summary>The program name the module was compiled under.</summary>
    public string Name { get; }

    /// <summary>The driver's <c>CUmodule</c>.</summary>
    public IntPtr Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle == IntPtr.Zero, this);
            return handle;
        }
    }

    /// <summary>Loads a compiled program: its CUBIN where it has one, else its PTX.</summary>
    /// <param name="context">The context to load into.</param>
    /// <param name="program">What <see cref="Nvrtc.Compile"/> returned.</param>
    /// <returns>The module.</returns>
    /// <exception cref="CudaException">The driver refused the image; the message has the JIT log.</exception>
    public static CudaModule Load(CudaContext context, CompiledProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (program.Cubin is { } cubin)
        {
            return LoadImage(context, cubin, program.Name);
        }

        return LoadPtx(context, program.Ptx ?? throw new ArgumentException($"'{program.Name}' has neither PTX nor a CUBIN", nameof(program)), program.Name);
    }

    /// <summary>Loads PTX text; the driver compiles it for the device.</summary>
    /// <param name="context">The context to load into.</param>
    /// <param name="ptx">The PTX.</param>
    /// <param name="name">A name for messages.</param>
    /// <returns>The module.</returns>
    public static CudaModule LoadPtx(CudaContext context, string ptx, string name)
    {
        ArgumentNullException.ThrowIfNull(ptx);
        var image = new byte[Encoding.UTF8.GetByteCount(ptx) + 1]; // the driver reads PTX up to its terminating zero
        Encoding.UTF8.GetBytes(ptx, image);
        return LoadImage(context, image, name);
    }

    /// <summary>Loads a module image: a CUBIN, a fatbin, or zero-terminated PTX.</summary>
    /// <param name="context">The context to load into.</param>
    /// <param name="image">The image bytes.</param>
    /// <param name="name">A name for messages.</param>
    /// <returns>The module.</returns>
    public static CudaModule LoadImage(CudaContext context, ReadOnlySpan<byte> image, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (image.IsEmpty)
        {
            throw new ArgumentException($"the image of module '{name}' is empty", nameof(image));
        }

        context.MakeCurrent();
        var errorLog = new byte[JitLogBytes];
        IntPtr module = IntPtr.Zero;
        int result;
        fixed (byte* i = image)
        fixed (byte* log = errorLog)
        {
            int* options = stackalloc int[] { CudaDriverNative.JitErrorLogBuffer, CudaDriverNative.JitErrorLogBufferSizeBytes };
            void** values = stackalloc void*[2];
            values[0] = log;
            values[1] = (void*)(nuint)errorLog.Length;
            result = CudaDriverNative.cuModuleLoadDataEx(&module, i, 2, options, values);
        }

        if (result != CudaDriverNative.Success)
        {
            int length = Array.IndexOf(errorLog, (byte)0);
            string jitLog = Encoding.UTF8.GetString(errorLog, 0, length < 0 ? errorLog.Length : length).Trim();
            throw CudaException.Create(result, "cuModuleLoadDataEx", name,
                $"{context.Device.Name} ({context.Device.RealArchitecture}) could not load the module" +
                (jitLog.Length == 0 ? "" : ":" + Environment.NewLine + jitLog));
        }

        return new CudaModule(context, name, module);
    }

    /// <summary>The kernel <paramref name="entryName"/> (an <c>extern "C" __global__</c> function).</summary>
    /// <param name="entryName">The kernel's name, such as <c>Bump_with_gradient</c>.</param>
    /// <returns>The kernel, the same object on every call.</returns>
    /// <exception cref="CudaException">The module has no such kernel (<c>CUDA_ERROR_NOT_FOUND</c>).</exception>
    public CudaKernel GetKernel(string entryName)
    {
        ArgumentException.ThrowIfNullOrEmpty(entryName);
        lock (kernels)
        {
            if (kernels.TryGetValue(entryName, out CudaKernel? kernel))
            {
                return kernel;
            }

            Context.MakeCurrent();
            IntPtr function = IntPtr.Zero;
            var nameBytes = new byte[Encoding.UTF8.GetByteCount(entryName) + 1];
            Encoding.UTF8.GetBytes(entryName, nameBytes);
            fixed (byte* n = nameBytes)
            {
                CudaException.Check(CudaDriverNative.cuModuleGetFunction(&function, Handle, n), "cuModuleGetFunction", entryName,
                    $"module '{Name}' has no kernel of that name");
            }

            kernel = new CudaKernel(this, entryName, function);
            kernels[entryName] = kernel;
            return kernel;
        }
    }

    /// <summary>Unloads the module (<c>cuModuleUnload</c>); its kernels can no longer be launched.</summary>
    public void Dispose()
    {
        if (handle == IntPtr.Zero)
        {
            return;
        }

        Context.MakeCurrent();
        CudaDriverNative.cuModuleUnload(handle);
        handle = IntPtr.Zero;
    }
}
