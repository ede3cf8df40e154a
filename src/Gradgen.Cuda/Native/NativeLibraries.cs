using System.Reflection;
using System.Runtime.InteropServices;

namespace Gradgen.Cuda.Native;

/// <summary>
/// Finds NVRTC and the CUDA driver. The bindings import two logical names, <see cref="Nvrtc"/> and
/// <see cref="Driver"/>; one <see cref="NativeLibrary.SetDllImportResolver"/> maps them to the first library that loads
/// from the candidates of CUDA 13, 12 and 11 (or from the path in an environment variable), and remembers why none did.
/// </summary>
internal static class NativeLibraries
{
    /// <summary>Logical library name of NVRTC in the <c>LibraryImport</c> attributes.</summary>
    internal const string Nvrtc = "gradgen-nvrtc";

    /// <summary>Logical library name of the CUDA driver in the <c>LibraryImport</c> attributes.</summary>
    internal const string Driver = "gradgen-cuda-driver";

    /// <summary>Environment variable naming the NVRTC library file to load instead of searching.</summary>
    internal const string NvrtcPathVariable = "GRADGEN_NVRTC_PATH";

    /// <summary>Environment variable naming the CUDA driver library file to load instead of searching.</summary>
    internal const string DriverPathVariable = "GRADGEN_CUDA_DRIVER_PATH";

    static readonly Lazy<LoadedLibrary> nvrtc = new(() => Load("NVRTC", NvrtcPathVariable, NvrtcCandidates()));
    static readonly Lazy<LoadedLibrary> driver = new(() => Load("the CUDA driver", DriverPathVariable, DriverCandidates()));
    static int registered;

    /// <summary>NVRTC, loaded on first use.</summary>
    internal static LoadedLibrary NvrtcLibrary
    {
        get
        {
            EnsureResolver();
            return nvrtc.Value;
        }
    }

    /// <summary>The CUDA driver, loaded on first use.</summary>
    internal static LoadedLibrary DriverLibrary
    {
        get
        {
            EnsureResolver();
            return driver.Value;
        }
    }

    /// <summary>Registers the resolver for this assembly once; later calls do nothing.</summary>
    internal static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
        }
    }

    static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) => libraryName switch
    {
        Nvrtc => nvrtc.Value.Handle,
        Driver => driver.Value.Handle,
        _ => IntPtr.Zero,
    };

    /// <summary>The NVRTC file names to try, newest CUDA first, then the same in the usual toolkit folders.</summary>
    internal static IReadOnlyList<string> NvrtcCandidates()
    {
        string[] names = OperatingSystem.IsWindows()
            ? ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"]
            : ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"];
        var candidates = new List<string>(names);
        foreach (string folder in ToolkitLibraryFolders())
        {
            foreach (string name in names)
            {
                candidates.Add(Path.Combine(folder, name));
            }
        }

        return candidates;
    }

    /// <summary>The CUDA driver file names to try.</summary>
    internal static IReadOnlyList<string> DriverCandidates() =>
        OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];

    static IEnumerable<string> ToolkitLibraryFolders()
    {
        foreach (string variable in new[] { "CUDA_PATH", "CUDA_HOME" })
        {
            string? root = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(root))
            {
                yield return Path.Combine(root, OperatingSystem.IsWindows() ? "bin" : "lib64");
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            yield return "/usr/local/cuda/lib64";
        }
    }

    static LoadedLibrary Load(string what, string pathVariable, IReadOnlyList<string> candidates)
    {
        string? explicitPath = Environment.GetEnvironmentVariable(pathVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            // An explicit path is used alone: falling back to another library would hide the mistake.
            try
            {
                return new LoadedLibrary(NativeLibrary.Load(explicitPath), explicitPath, null);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                return new LoadedLibrary(IntPtr.Zero, null,
                    $"{what} could not be loaded from {pathVariable}={explicitPath}: {e.Message}");
            }
        }

        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle))
            {
                return new LoadedLibrary(handle, candidate, null);
            }
        }

        return new LoadedLibrary(IntPtr.Zero, null,
            $"{what} was not found (tried {string.Join(", ", candidates)}); set {pathVariable} to the library's path");
    }
}

/// <summary>A native library that loaded (<see cref="Handle"/> and <see cref="Path"/>) or did not (<see cref="Error"/>).</summary>
internal sealed record LoadedLibrary(IntPtr Handle, string? Path, string? Error)
{
    /// <summary>Whether the library loaded.</summary>
    public bool IsLoaded => Handle != IntPtr.Zero;
}
