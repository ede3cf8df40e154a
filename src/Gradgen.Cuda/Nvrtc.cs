using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Gradgen.Cuda.Native;

namespace Gradgen.Cuda;

/// <summary>
/// NVRTC, the CUDA runtime compiler: turns the CUDA C source the generator emits into PTX (or a CUBIN) without a GPU.
/// Found through <c>libnvrtc.so.13</c>, <c>.12</c>, <c>.11.2</c> or <c>libnvrtc.so</c>, or the path in
/// <c>GRADGEN_NVRTC_PATH</c>. <see cref="Compile"/> goes through <see cref="NvrtcCompileCache.Default"/>.
/// </summary>
public static unsafe partial class Nvrtc
{
    static readonly Lazy<ProbeResult> probe = new(Probe);
    static readonly Lock compileLock = new();
    static long compilationCount;

    /// <summary>Whether NVRTC loaded and answered <c>nvrtcVersion</c>.</summary>
    public static bool IsAvailable => probe.Value.Reason is null;

    /// <summary>Why NVRTC is unavailable (for test skips and messages), or <see langword="null"/> when it is available.</summary>
    public static string? UnavailableReason => probe.Value.Reason;

    /// <summary>NVRTC's version (11.8, 12.6, 13.0, …), or <see langword="null"/> when it is unavailable.</summary>
    public static Version? Version => probe.Value.Version;

    /// <summary>The library file that was loaded, or <see langword="null"/>.</summary>
    public static string? LibraryPath => probe.Value.Path;

    /// <summary>The compute capabilities NVRTC can target, as numbers (<c>80</c> for 8.0), lowest first.</summary>
    public static IReadOnlyList<int> SupportedArchitectures => probe.Value.Architectures;

    /// <summary>How many times NVRTC compiled a program in this process (cache hits are not counted).</summary>
    public static long CompilationCount => Interlocked.Read(ref compilationCount);

    /// <summary>
    /// Compiles <paramref name="source"/> for <paramref name="architecture"/> through the default compile cache
    /// (in memory, and on disk where <c>GRADGEN_CUDA_CACHE_DIR</c> names a folder).
    /// </summary>
    /// <param name="source">One self-contained CUDA C translation unit (NVRTC here has no CUDA headers).</param>
    /// <param name="name">The program's name: it appears in NVRTC's messages and in exceptions.</param>
    /// <param name="architecture"><c>compute_XY</c> for PTX, <c>sm_XY</c> for a CUBIN.</param>
    /// <param name="options">Further NVRTC options, such as <c>-lineinfo</c>.</param>
    /// <returns>The PTX or CUBIN with NVRTC's log and warnings.</returns>
    /// <exception cref="NvrtcCompilationException">NVRTC rejected the source; the exception has the whole log.</exception>
    /// <exception cref="NvrtcException">NVRTC is unavailable or failed otherwise.</exception>
    public static CompiledProgram Compile(string source, string name, string architecture = "compute_80", params string[] options) =>
        NvrtcCompileCache.Default.Compile(source, name, architecture, options);

    /// <summary>Compiles without looking at or filling any cache. See <see cref="Compile"/> for the parameters.</summary>
    /// <param name="source">One self-contained CUDA C translation unit.</param>
    /// <param name="name">The program's name.</param>
    /// <param name="architecture"><c>compute_XY</c> for PTX, <c>sm_XY</c> for a CUBIN.</param>
    /// <param name="options">Further NVRTC options.</param>
    /// <returns>The PTX or CUBIN with NVRTC's log and warnings.</returns>
    public static CompiledProgram CompileUncached(string source, string name, string architecture = "compute_80", params string[] options)
    {
        string[] all = AllOptions(architecture, options);
        return CompileCore(source, name, architecture, all, NvrtcCompileCache.ComputeKey(source, name, architecture, all));
    }

    /// <summary>Throws an <see cref="NvrtcException"/> that says why when NVRTC is unavailable.</summary>
    /// <param name="programName">The program that needed NVRTC, for the message.</param>
    public static void ThrowIfUnavailable(string programName = "")
    {
        if (UnavailableReason is { } reason)
        {
            throw new NvrtcException("NVRTC_UNAVAILABLE", programName, $"NVRTC is unavailable: {reason}");
        }
    }

    /// <summary>Whether NVRTC can target compute capability <paramref name="major"/>.<paramref name="minor"/>.</summary>
    /// <param name="major">The major compute capability, such as 9.</param>
    /// <param name="minor">The minor compute capability, such as 0.</param>
    /// <returns><see langword="true"/> when the number is in <see cref="SupportedArchitectures"/>.</returns>
    public static bool Supports(int major, int minor) => SupportedArchitectures.Contains(major * 10 + minor);

    /// <summary>The warning lines of an NVRTC log.</summary>
    internal static IReadOnlyList<string> FindWarnings(string log) =>
        [.. log.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Contains("warning", StringComparison.OrdinalIgnoreCase))];

    /// <summary>The architecture option followed by <paramref name="options"/>, after checking the architecture.</summary>
    internal static string[] AllOptions(string architecture, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(options);
        if (!ArchitecturePattern().IsMatch(architecture))
        {
            throw new ArgumentException(
                $"architecture '{architecture}' is not of the form compute_XY (PTX) or sm_XY (CUBIN), such as compute_80",
                nameof(architecture));
        }

        return [$"--gpu-architecture={architecture}", .. options];
    }

    internal static CompiledProgram CompileCore(string source, string name, string architecture, string[] allOptions, string key)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ThrowIfUnavailable(name);

        byte[] sourceBytes = NullTerminatedUtf8(source);
        byte[] nameBytes = NullTerminatedUtf8(name);
        var optionPointers = new IntPtr[allOptions.Length];
        try
        {
            for (int i = 0; i < allOptions.Length; i++)
            {
                optionPointers[i] = Marshal.StringToCoTaskMemUTF8(allOptions[i]);
            }

            lock (compileLock)
            {
                IntPtr program = IntPtr.Zero;
                fixed (byte* src = sourceBytes)
                fixed (byte* programName = nameBytes)
                {
                    Check(NvrtcNative.nvrtcCreateProgram(&program, src, programName, 0, null, null), "nvrtcCreateProgram", name);
                }

                try
                {
                    NvrtcResult result;
                    fixed (IntPtr* opts = optionPointers)
                    {
                        result = NvrtcNative.nvrtcCompileProgram(program, allOptions.Length, (byte**)opts);
                    }

                    Interlocked.Increment(ref compilationCount);
                    string log = ReadLog(program, name);
                    if (result == NvrtcResult.Compilation)
                    {
                        throw new NvrtcCompilationException(name, architecture, allOptions, log);
                    }

                    Check(result, "nvrtcCompileProgram", name, log);
                    bool real = architecture.StartsWith("sm_", StringComparison.Ordinal);
                    string? ptx = real ? TryReadPtx(program) : ReadPtx(program, name);
                    byte[]? cubin = real ? ReadCubin(program, name) : null;
                    return new CompiledProgram(name, architecture, allOptions, key, ptx, cubin, log, CompileOrigin.Compiled);
                }
                finally
                {
                    NvrtcNative.nvrtcDestroyProgram(&program);
                }
            }
        }
        finally
        {
            foreach (IntPtr pointer in optionPointers)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    static string ReadLog(IntPtr program, string name)
    {
        nuint size = 0;
        Check(NvrtcNative.nvrtcGetProgramLogSize(program, &size), "nvrtcGetProgramLogSize", name);
        if (size <= 1)
        {
            return "";
        }

        var buffer = new byte[(int)size];
        fixed (byte* b = buffer)
        {
            Check(NvrtcNative.nvrtcGetProgramLog(program, b), "nvrtcGetProgramLog", name);
        }

        return Encoding.UTF8.GetString(buffer, 0, TextLength(buffer));
    }

    static string ReadPtx(IntPtr program, string name)
    {
        nuint size = 0;
        Check(NvrtcNative.nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize", name);
        var buffer = new byte[(int)size];
        fixed (byte* b = buffer)
        {
            Check(NvrtcNative.nvrtcGetPTX(program, b), "nvrtcGetPTX", name);
        }

        return Encoding.UTF8.GetString(buffer, 0, TextLength(buffer));
    }

    static string? TryReadPtx(IntPtr program)
    {
        nuint size = 0;
        if (NvrtcNative.nvrtcGetPTXSize(program, &size) != NvrtcResult.Success || size <= 1)
        {
            return null;
        }

        var buffer = new byte[(int)size];
        fixed (byte* b = buffer)
        {
            if (NvrtcNative.nvrtcGetPTX(program, b) != NvrtcResult.Success)
            {
                return null;
            }
        }

        return Encoding.UTF8.GetString(buffer, 0, TextLength(buffer));
    }

    static byte[] ReadCubin(IntPtr program, string name)
    {
        nuint size = 0;
        Check(NvrtcNative.nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize", name);
        var buffer = new byte[(int)size];
        fixed (byte* b = buffer)
        {
            Check(NvrtcNative.nvrtcGetCUBIN(program, b), "nvrtcGetCUBIN", name);
        }

        return buffer;
    }

    static int TextLength(byte[] buffer)
    {
        int zero = Array.IndexOf(buffer, (byte)0);
        return zero < 0 ? buffer.Length : zero;
    }

    static byte[] NullTerminatedUtf8(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    static void Check(NvrtcResult result, string operation, string name, string? log = null)
    {
        if (result != NvrtcResult.Success)
        {
            string error = NvrtcNative.ErrorString(result);
            throw new NvrtcException(error, name,
                $"{operation} failed with {error} for '{name}'" + (string.IsNullOrWhiteSpace(log) ? "" : ":" + Environment.NewLine + log.TrimEnd()));
        }
    }

    static ProbeResult Probe()
    {
        LoadedLibrary library = NativeLibraries.NvrtcLibrary;
        if (!library.IsLoaded)
        {
            return new ProbeResult(library.Error ?? "NVRTC was not found", null, null, []);
        }

        try
        {
            int major = 0, minor = 0;
            NvrtcResult result = NvrtcNative.nvrtcVersion(&major, &minor);
            if (result != NvrtcResult.Success)
            {
                return new ProbeResult($"nvrtcVersion failed with {NvrtcNative.ErrorString(result)} ({library.Path})", null, library.Path, []);
            }

            return new ProbeResult(null, new Version(major, minor), library.Path, ReadArchitectures());
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return new ProbeResult($"{library.Path} is not a usable NVRTC: {e.Message}", null, library.Path, []);
        }
    }

    static int[] ReadArchitectures()
    {
        try
        {
            int count = 0;
            if (NvrtcNative.nvrtcGetNumSupportedArchs(&count) != NvrtcResult.Success || count <= 0)
            {
                return [];
            }

            var architectures = new int[count];
            fixed (int* a = architectures)
            {
                if (NvrtcNative.nvrtcGetSupportedArchs(a) != NvrtcResult.Success)
                {
                    return [];
                }
            }

            Array.Sort(architectures);
            return architectures;
        }
        catch (EntryPointNotFoundException)
        {
            return []; // NVRTC before 11.2
        }
    }

    [GeneratedRegex("^(compute|sm)_[0-9]{2,3}[af]?$", RegexOptions.CultureInvariant)]
    private static partial Regex ArchitecturePattern();

    sealed record ProbeResult(string? Reason, Version? Version, string? Path, IReadOnlyList<int> Architectures);
}
