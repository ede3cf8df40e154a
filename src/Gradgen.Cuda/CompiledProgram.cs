namespace Gradgen.Cuda;

/// <summary>Where a <see cref="CompiledProgram"/> came from.</summary>
public enum CompileOrigin
{
    /// <summary>NVRTC compiled it in this call.</summary>
    Compiled,

    /// <summary>The in-memory compile cache had it.</summary>
    MemoryCache,

    /// <summary>The on-disk compile cache had it (compiled by this or an earlier process).</summary>
    DiskCache,
}

/// <summary>
/// What NVRTC made of one CUDA source: PTX for a virtual architecture (<c>compute_80</c>), or a CUBIN (and PTX where
/// NVRTC gives it) for a real one (<c>sm_90</c>), with NVRTC's log and the warnings found in it.
/// </summary>
public sealed class CompiledProgram
{
    internal CompiledProgram(
        string name, string architecture, IReadOnlyList<string> options, string key, string? ptx, byte[]? cubin,
        string log, CompileOrigin origin)
    {
        Name = name;
        Architecture = architecture;
        Options = options;
        Key = key;
        Ptx = ptx;
        Cubin = cubin;
        Log = log;
        Origin = origin;
        Warnings = Nvrtc.FindWarnings(log);
        EntryNames = ptx is null ? [] : FindEntries(ptx);
    }

    /// <summary>The program name given to NVRTC (it appears in the log's messages).</summary>
    public string Name { get; }

    /// <summary>The target architecture, such as <c>compute_80</c> or <c>sm_90</c>.</summary>
    public string Architecture { get; }

    /// <summary>Every option passed to NVRTC, the architecture option first.</summary>
    public IReadOnlyList<string> Options { get; }

    /// <summary>The hexadecimal SHA-256 this program is cached under.</summary>
    public string Key { get; }

    /// <summary>The PTX text, or <see langword="null"/> where NVRTC produced only a CUBIN.</summary>
    public string? Ptx { get; }

    /// <summary>The CUBIN for a real architecture (<c>sm_XY</c>), or <see langword="null"/> for a virtual one.</summary>
    public byte[]? Cubin { get; }

    /// <summary>NVRTC's log; empty when it had nothing to say.</summary>
    public string Log { get; }

    /// <summary>The warning lines of <see cref="Log"/>.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The kernels (<c>.entry</c> names) the PTX defines; empty where there is no PTX.</summary>
    public IReadOnlyList<string> EntryNames { get; }

    /// <summary>Whether NVRTC compiled it in this call or a cache supplied it.</summary>
    public CompileOrigin Origin { get; }

    internal CompiledProgram WithOrigin(CompileOrigin origin) =>
        new(Name, Architecture, Options, Key, Ptx, Cubin, Log, origin);

    static string[] FindEntries(string ptx)
    {
        var entries = new List<string>();
        foreach (string rawLine in ptx.Split('\n'))
        {
            string line = rawLine.Trim();
            int at = line.IndexOf(".entry ", StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            string rest = line[(at + ".entry ".Length)..].TrimStart();
            int end = 0;
            while (end < rest.Length && (char.IsLetterOrDigit(rest[end]) || rest[end] is '_' or '$'))
            {
                end++;
            }

            if (end > 0)
            {
                entries.Add(rest[..end]);
            }
        }

        return [.. entries];
    }
}
