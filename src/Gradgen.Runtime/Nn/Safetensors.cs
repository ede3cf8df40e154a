using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Gradgen.Nn;

/// <summary>
/// Reads and writes tensors in the safetensors format (https://github.com/huggingface/safetensors), which PyTorch
/// reads and writes with <c>safetensors.torch.load_file</c>/<c>save_file</c>: an 8-byte little-endian header length
/// N, N bytes of UTF-8 JSON (<c>{"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},…}</c> with an optional
/// <c>"__metadata__"</c> object of strings), padded with spaces to a multiple of 8 as the reference implementation
/// does, then the tensors' bytes, contiguous and little-endian, at offsets relative to the end of the header.
/// Dtypes: <c>F32</c>, <c>F64</c>, <c>I32</c>, <c>I64</c>, <c>BOOL</c>.
/// </summary>
/// <remarks>
/// The JSON is written with <see cref="Utf8JsonWriter"/> and read with <see cref="JsonDocument"/>: no reflection,
/// so this works under trimming and NativeAOT. A file is read and validated completely (header syntax, dtypes,
/// shapes against byte ranges, ranges that cover the data without gaps or overlaps) before any tensor is returned.
/// </remarks>
public static class Safetensors
{
    const long MaxHeaderSize = 100_000_000;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> in dictionary order.</summary>
    /// <param name="tensors">The tensors by name (e.g. a <see cref="Module.StateDict"/>).</param>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="metadata">Optional free-form string pairs stored as <c>__metadata__</c>.</param>
    public static void Save(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = Serialize(tensors, metadata);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The bytes of a safetensors file holding <paramref name="tensors"/> in dictionary order.</summary>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Optional string pairs stored as <c>__metadata__</c>.</param>
    /// <exception cref="ArgumentException">A name is empty or <c>__metadata__</c>, or a tensor is null.</exception>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<(string Name, Tensor Data)>();
        foreach (var (name, t) in tensors)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("Safetensors: a tensor name is empty.", nameof(tensors));
            if (name == "__metadata__") throw new ArgumentException("Safetensors: '__metadata__' is reserved and cannot name a tensor.", nameof(tensors));
            if (t is null) throw new ArgumentException($"Safetensors: the tensor '{name}' is null.", nameof(tensors));
            entries.Add((name, t.ToHostCopy())); // device tensors are copied to the host, as PyTorch's safetensors does
        }
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Safetensors: big-endian machines are not supported.");

        var json = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Indented = false, SkipValidation = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is not null)
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in entries)
            {
                long size = (long)t.NumElements * t.DType.ElementSize();
                w.WriteStartObject(name);
                w.WriteString("dtype", DTypeName(t.DType));
                w.WriteStartArray("shape");
                foreach (int d in t.shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + size);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += size;
            }
            w.WriteEndObject();
        }
        int headerLength = json.WrittenCount;
        int padded = (headerLength + 7) / 8 * 8;
        long dataLength = 0;
        foreach (var (_, t) in entries) dataLength += (long)t.NumElements * t.DType.ElementSize();
        long total = 8 + padded + dataLength;
        if (total > Array.MaxLength) throw new ArgumentException($"Safetensors: {total} bytes do not fit in one array; the tensors are too large to serialise at once.", nameof(tensors));
        var bytes = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        json.WrittenSpan.CopyTo(bytes.AsSpan(8));
        bytes.AsSpan(8 + headerLength, padded - headerLength).Fill((byte)' ');
        int pos = 8 + padded;
        foreach (var (_, t) in entries)
        {
            var src = TensorBytes(t);
            src.CopyTo(bytes.AsSpan(pos));
            pos += src.Length;
        }
        return bytes;
    }

    static ReadOnlySpan<byte> TensorBytes(Tensor t) => t.DType switch
    {
        DType.Float32 => MemoryMarshal.AsBytes(t.StorageSpan<float>().Slice(t.offset, t.numel)),
        DType.Float64 => MemoryMarshal.AsBytes(t.StorageSpan<double>().Slice(t.offset, t.numel)),
        DType.Int32 => MemoryMarshal.AsBytes(t.StorageSpan<int>().Slice(t.offset, t.numel)),
        DType.Int64 => MemoryMarshal.AsBytes(t.StorageSpan<long>().Slice(t.offset, t.numel)),
        _ => MemoryMarshal.AsBytes(t.StorageSpan<bool>().Slice(t.offset, t.numel)),
    };

    static string DTypeName(DType d) => d switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int32 => "I32",
        DType.Int64 => "I64",
        _ => "BOOL",
    };

    static DType ParseDType(string name, string tensor) => name switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I32" => DType.Int32,
        "I64" => DType.Int64,
        "BOOL" => DType.Bool,
        _ => throw new InvalidDataException($"Safetensors: tensor '{tensor}' has dtype '{name}', which Gradgen does not support (F32, F64, I32, I64 and BOOL are)."),
    };

    /// <summary>Reads the tensors of a safetensors file, in the order of their data in the file.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file is not valid safetensors; the message says what is wrong.</exception>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Reads the tensors and the <c>__metadata__</c> of a safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="metadata">The metadata pairs (empty when the file has none).</param>
    /// <exception cref="InvalidDataException">The file is not valid safetensors.</exception>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return Deserialize(File.ReadAllBytes(path), out metadata);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{e.Message} (file '{path}')", e);
        }
    }

    /// <summary>Reads the tensors of a safetensors file held in memory; the tensors are copies.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="metadata">The metadata pairs (empty when the file has none).</param>
    /// <exception cref="InvalidDataException">The bytes are not valid safetensors.</exception>
    public static Dictionary<string, Tensor> Deserialize(ReadOnlySpan<byte> bytes, out Dictionary<string, string> metadata)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Safetensors: big-endian machines are not supported.");
        if (bytes.Length < 8) throw new InvalidDataException($"Safetensors: the data is {bytes.Length} bytes long, too short for the 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeaderSize) throw new InvalidDataException($"Safetensors: the header length {n} is larger than the limit of {MaxHeaderSize} bytes; the file is corrupt or not safetensors.");
        if ((ulong)bytes.Length - 8 < n) throw new InvalidDataException($"Safetensors: the header length is {n} bytes but only {bytes.Length - 8} bytes follow; the file is truncated or corrupt.");
        var header = bytes.Slice(8, (int)n);
        var data = bytes[(8 + (int)n)..];
        if (header.Length == 0 || header[0] != (byte)'{') throw new InvalidDataException("Safetensors: the header does not start with '{'; the file is corrupt or not safetensors.");

        var infos = new List<(string Name, DType DType, int[] Shape, long Begin, long End)>();
        metadata = [];
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Safetensors: the header is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("Safetensors: the header is not a JSON object.");
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(prop.Name)) throw new InvalidDataException($"Safetensors: the header names '{prop.Name}' twice.");
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException("Safetensors: '__metadata__' must be an object of strings.");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw new InvalidDataException($"Safetensors: metadata '{m.Name}' is not a string.");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                infos.Add(ParseInfo(prop.Name, prop.Value));
            }
        }

        // The byte ranges must tile the data exactly, as the reference implementation requires.
        var sorted = infos.OrderBy(i => i.Begin).ThenBy(i => i.End).ToList();
        long expected = 0;
        foreach (var i in sorted)
        {
            if (i.Begin != expected)
                throw new InvalidDataException(i.Begin > expected
                    ? $"Safetensors: tensor '{i.Name}' starts at byte {i.Begin} but the previous tensor ends at {expected}; the data has a gap."
                    : $"Safetensors: tensor '{i.Name}' starts at byte {i.Begin}, inside the previous tensor (which ends at {expected}).");
            expected = i.End;
        }
        if (expected != data.Length)
            throw new InvalidDataException($"Safetensors: the tensors cover {expected} bytes of data but the file has {data.Length} bytes after the header; the file is truncated or corrupt.");

        var result = new Dictionary<string, Tensor>(sorted.Count);
        foreach (var i in sorted)
        {
            var t = Tensor.Empty(i.DType, i.Shape, zeroed: true);
            var src = data.Slice((int)i.Begin, (int)(i.End - i.Begin));
            switch (i.DType)
            {
                case DType.Float32: src.CopyTo(MemoryMarshal.AsBytes(t.StorageSpan<float>())); break;
                case DType.Float64: src.CopyTo(MemoryMarshal.AsBytes(t.StorageSpan<double>())); break;
                case DType.Int32: src.CopyTo(MemoryMarshal.AsBytes(t.StorageSpan<int>())); break;
                case DType.Int64: src.CopyTo(MemoryMarshal.AsBytes(t.StorageSpan<long>())); break;
                default:
                    foreach (byte b in src)
                        if (b > 1) throw new InvalidDataException($"Safetensors: BOOL tensor '{i.Name}' holds the byte {b}; booleans must be 0 or 1.");
                    src.CopyTo(MemoryMarshal.AsBytes(t.StorageSpan<bool>()));
                    break;
            }
            result[i.Name] = t;
        }
        return result;
    }

    static (string Name, DType DType, int[] Shape, long Begin, long End) ParseInfo(string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"Safetensors: the entry of tensor '{name}' is not a JSON object.");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"Safetensors: tensor '{name}' has no string 'dtype'.");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"Safetensors: tensor '{name}' has no 'shape' array.");
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new InvalidDataException($"Safetensors: tensor '{name}' has no 'data_offsets' array of two numbers.");
        var dtype = ParseDType(dt.GetString()!, name);
        var shape = new int[sh.GetArrayLength()];
        long numel = 1;
        int k = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int v) || v < 0)
                throw new InvalidDataException($"Safetensors: tensor '{name}' has an invalid dimension {d.GetRawText()} in its shape.");
            shape[k++] = v;
            numel *= v;
            if (numel > Array.MaxLength) throw new InvalidDataException($"Safetensors: tensor '{name}' has more elements than one tensor can hold.");
        }
        long[] o = new long[2];
        k = 0;
        foreach (var d in off.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw new InvalidDataException($"Safetensors: tensor '{name}' has an invalid data offset {d.GetRawText()}.");
            o[k++] = v;
        }
        if (o[1] < o[0]) throw new InvalidDataException($"Safetensors: tensor '{name}' has data_offsets [{o[0]}, {o[1]}] that end before they begin.");
        long bytes = numel * dtype.ElementSize();
        if (o[1] - o[0] != bytes)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"Safetensors: tensor '{name}' of dtype {dt.GetString()} and shape {Shape.Format(shape)} needs {bytes} bytes but its data_offsets [{o[0]}, {o[1]}] span {o[1] - o[0]}."));
        return (name, dtype, shape, o[0], o[1]);
    }
}
