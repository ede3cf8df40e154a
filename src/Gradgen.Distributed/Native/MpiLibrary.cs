using System.Reflection;
using System.Runtime.InteropServices;

namespace Gradgen.Distributed.Native;

/// <summary>
/// Finds the MPI library. The bindings import one logical name, <see cref="Name"/>; the resolver maps it to the first
/// library that loads: the file named by <see cref="PathVariable"/>, else MPICH's <c>libmpi.so.12</c> (Debian and
/// Ubuntu ship it as <c>libmpich.so.12</c>), then Open MPI's <c>libmpi.so.40</c>, then MS-MPI's <c>msmpi.dll</c> on
/// Windows. Which implementation it is decides the handle values (<see cref="MpiAbi"/>).
/// </summary>
internal static class MpiLibrary
{
    /// <summary>Logical library name of MPI in the <c>LibraryImport</c> attributes.</summary>
    internal const string Name = "gradgen-mpi";

    /// <summary>Environment variable naming the MPI library file to load instead of searching.</summary>
    internal const string PathVariable = "GRADGEN_MPI_PATH";

    static readonly Lazy<LoadedMpi> loaded = new(Load);
    static int registered;

    /// <summary>The MPI library, loaded on first use (or why it could not be).</summary>
    internal static LoadedMpi Library
    {
        get
        {
            EnsureResolver();
            return loaded.Value;
        }
    }

    /// <summary>Registers the resolver for this assembly once; later calls do nothing.</summary>
    internal static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(MpiLibrary).Assembly, Resolve);
        }
    }

    static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Name ? loaded.Value.Handle : IntPtr.Zero;

    /// <summary>The file names to try, MPICH first.</summary>
    internal static IReadOnlyList<string> Candidates() => OperatingSystem.IsWindows()
        ? ["msmpi.dll"]
        : ["libmpi.so.12", "libmpich.so.12", "libmpi.so.40", "libmpi.so"];

    static LoadedMpi Load()
    {
        string? explicitPath = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            // An explicit path is used alone: falling back to another library would hide the mistake.
            try
            {
                return Loaded(NativeLibrary.Load(explicitPath), explicitPath);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                return new LoadedMpi(IntPtr.Zero, null, null, $"MPI could not be loaded from {PathVariable}={explicitPath}: {e.Message}");
            }
        }

        var candidates = Candidates();
        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out IntPtr handle)) return Loaded(handle, candidate);
        }

        return new LoadedMpi(IntPtr.Zero, null, null,
            $"no MPI library was found (tried {string.Join(", ", candidates)}); install MPICH (Debian/Ubuntu: apt-get install mpich) " +
            $"or Open MPI, or set {PathVariable} to the library's path");
    }

    static LoadedMpi Loaded(IntPtr handle, string path)
    {
        if (!NativeLibrary.TryGetExport(handle, MpiAbi.OpenMpiMarker, out _)) return new LoadedMpi(handle, path, MpiAbi.Mpich, null);
        try
        {
            return new LoadedMpi(handle, path, MpiAbi.OpenMpi(symbol => NativeLibrary.GetExport(handle, symbol)), null);
        }
        catch (EntryPointNotFoundException e)
        {
            return new LoadedMpi(IntPtr.Zero, path, null, $"{path} looks like Open MPI but lacks a predefined handle: {e.Message}");
        }
    }
}

/// <summary>The MPI library that loaded (<see cref="Handle"/>, <see cref="Path"/>, its <see cref="Abi"/>) or why none did (<see cref="Error"/>).</summary>
internal sealed record LoadedMpi(IntPtr Handle, string? Path, MpiAbi? Abi, string? Error)
{
    /// <summary>Whether the library loaded.</summary>
    public bool IsLoaded => Handle != IntPtr.Zero && Abi is not null;
}
