using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Gradgen.Cuda;

/// <summary>
/// Remembers what NVRTC compiled, keyed by a SHA-256 of the NVRTC version, the program name, the architecture, the
/// options and the source: in memory, and, where a folder is given, on disk, so that a second process with the same
/// folder compiles nothing. Only successful compilations are cached. The disk cache is best-effort: a file that
/// cannot be read or written is ignored (and <see cref="LastDiskError"/> says why), never an error.
/// </summary>
public sealed class NvrtcCompileCache
{
    /// <summary>The environment variable that names the folder of <see cref="Default"/>'s disk cache.</summary>
    public const string DirectoryVariable = "GRADGEN_CUDA_CACHE_DIR";

    const string FileExtension = ".gradgen-nvrtc";
    static readonly byte[] Magic = "GGNVRTC1"u8.ToArray();

    readonly ConcurrentDictionary<string, CompiledProgram> memory = new(StringComparer.Ordinal);
    long memoryHits;
    long diskHits;
    long compilations;

    /// <summary>Creates a cache, on disk under <paramref name="directory"/> as well where it is not null or empty.</summary>
    /// <param name="directory">The folder for cached programs (created when needed), or <see langword="null"/>.</param>
    public NvrtcCompileCache(string? directory = null)
    {
        Directory = string.IsNullOrWhiteSpace(directory) ? null : Path.GetFullPath(directory);
    }

    /// <summary>The process-wide cache <see cref="Nvrtc.Compile"/> uses, on disk where <c>GRADGEN_CUDA_CACHE_DIR</c> is set.</summary>
    public static NvrtcCompileCache Default { get; } = new(Environment.GetEnvironmentVariable(DirectoryVariable));

    /// <summary>The disk cache's folder, or <see langword="null"/> for a memory-only cache.</summary>
    public string? Directory { get; }

    /// <summary>How many compilations the memory cache answered.</summary>
    public long MemoryHits => Interlocked.Read(ref memoryHits);

    /// <summary>How many compilations the disk cache answered.</summary>
    public long DiskHits => Interlocked.Read(ref diskHits);

    /// <summary>How many compilations this cache asked NVRTC for.</summary>
    public long Compilations => Interlocked.Read(ref compilations);

    /// <summary>Why the disk cache last failed to read or write a file, or <see langword="null"/>.</summary>
    public string? LastDiskError { get; private set; }

    /// <summary>Compiles <paramref name="source"/>, or returns the cached result of an identical earlier compilation.</summary>
    /// <param name="source">One self-contained CUDA C translation unit.</param>
    /// <param name="name">The program's name (appears in NVRTC's messages and in exceptions).</param>
    /// <param name="architecture"><c>compute_XY</c> for PTX, <c>sm_XY</c> for a CUBIN.</param>
    /// <param name="options">Further NVRTC options.</param>
    /// <returns>The compiled program; <see cref="CompiledProgram.Origin"/> says whether a cache supplied it.</returns>
    /// <exception cref="NvrtcCompilationException">NVRTC rejected the source.</exception>
    public CompiledProgram Compile(string source, string name, string architecture = "compute_80", params string[] options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(name);
        string[] all = Nvrtc.AllOptions(architecture, options);
        Nvrtc.ThrowIfUnavailable(name);
        string key = ComputeKey(source, name, architecture, all);

        if (memory.TryGetValue(key, out CompiledProgram? cached))
        {
            Interlocked.Increment(ref memoryHits);
            return cached.Origin == CompileOrigin.MemoryCache ? cached : cached.WithOrigin(CompileOrigin.MemoryCache);
        }

        if (TryReadDisk(key) is { } fromDisk)
        {
            Interlocked.Increment(ref diskHits);
            memory[key] = fromDisk.WithOrigin(CompileOrigin.MemoryCache);
            return fromDisk;
        }

        CompiledProgram compiled = Nvrtc.CompileCore(source, name, architecture, all, key);
        Interlocked.Increment(ref compilations);
        memory[key] = compiled.WithOrigin(CompileOrigin.MemoryCache);
        TryWriteDisk(compiled);
        return compiled;
    }

    /// <summary>Forgets the in-memory entries (the disk cache stays), as a new process would start.</summary>
    public void ClearMemory() => memory.Clear();

    /// <summary>
    /// The cache key: a hexadecimal SHA-256 over the NVRTC version, <paramref name="name"/>,
    /// <paramref name="architecture"/>, every option and <paramref name="source"/>. The NVRTC version is part of it so
    /// that a newer compiler never gets an older compiler's output; the name because it appears in the log.
    /// </summary>
    /// <param name="source">The CUDA source.</param>
    /// <param name="name">The program name.</param>
    /// <param name="architecture">The target architecture.</param>
    /// <param name="allOptions">Every option, the architecture option included.</param>
    /// <returns>64 lowercase hexadecimal digits.</returns>
    public static string ComputeKey(string source, string name, string architecture, IReadOnlyList<string> allOptions)
    {
        var text = new StringBuilder();
        text.Append("gradgen-nvrtc-v1\0").Append(Nvrtc.Version?.ToString() ?? "?").Append('\0')
            .Append(name).Append('\0').Append(architecture).Append('\0').Append(allOptions.Count).Append('\0');
        foreach (string option in allOptions)
        {
            text.Append(option).Append('\0');
        }

        text.Append(source);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    string? PathFor(string key) => Directory is null ? null : Path.Combine(Directory, key + FileExtension);

    CompiledProgram? TryReadDisk(string key)
    {
        if (PathFor(key) is not { } path || !File.Exists(path))
        {
            return null;
        }

        try
        {
            using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadString() != key)
            {
                LastDiskError = $"{path} is not a cache file for its key";
                return null;
            }

            string name = reader.ReadString();
            string architecture = reader.ReadString();
            var options = new string[reader.ReadInt32()];
            for (int i = 0; i < options.Length; i++)
            {
                options[i] = reader.ReadString();
            }

            string log = reader.ReadString();
            string? ptx = reader.ReadBoolean() ? reader.ReadString() : null;
            int cubinLength = reader.ReadInt32();
            byte[]? cubin = cubinLength < 0 ? null : reader.ReadBytes(cubinLength);
            if (cubin is not null && cubin.Length != cubinLength)
            {
                LastDiskError = $"{path} is truncated";
                return null;
            }

            return new CompiledProgram(name, architecture, options, key, ptx, cubin, log, CompileOrigin.DiskCache);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EndOfStreamException or FormatException)
        {
            LastDiskError = $"{path}: {e.Message}";
            return null;
        }
    }

    void TryWriteDisk(CompiledProgram program)
    {
        if (PathFor(program.Key) is not { } path)
        {
            return;
        }

        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory!);
            using (var writer = new BinaryWriter(File.Create(temporary), Encoding.UTF8))
            {
                writer.Write(Magic);
                writer.Write(program.Key);
                writer.Write(program.Name);
                writer.Write(program.Architecture);
                writer.Write(program.Options.Count);
                foreach (string option in program.Options)
                {
                    writer.Write(option);
                }

                writer.Write(program.Log);
                writer.Write(program.Ptx is not null);
                if (program.Ptx is not null)
                {
                    writer.Write(program.Ptx);
                }

                writer.Write(program.Cubin?.Length ?? -1);
                if (program.Cubin is not null)
                {
                    writer.Write(program.Cubin);
                }
            }

            File.Move(temporary, path, overwrite: true); // atomic: readers see the old file or the whole new one
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LastDiskError = $"{path}: {e.Message}";
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Nothing more to do: the cache is best-effort.
            }
        }
    }
}
