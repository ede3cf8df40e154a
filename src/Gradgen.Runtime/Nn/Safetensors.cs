using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Gradgen.Nn;

/// <summary>
/// Reads and writes tensors in the safetensors format (https://github.com/huggingface/safetensors), which PyTorch
/// reads and writes with <c>safetensors.torch.load_file</c>/<c>save_file</c>: an 8-byte little-endian header length
/// N, N bytes of UTF-8 JSON (<c>{"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},…}</c> with an optional
/// <c>"__metadata__"</c> object of strings), padded with spaces to a multiple of 8 as the reference implementation
/// does, then the tensors' bytes, contiguous and little-endian, at offsets relative to the end of the header.
/// Written: <c>F32</c>, <c>F64</c>, <c>I32</c>, <c>I64</c>, <c>BOOL</c> (the runtime's dtypes). Read: those and the
/// half-precision and small integer dtypes of downloaded checkpoints, <c>F16</c>, <c>BF16</c>, <c>I16</c>, <c>I8</c>,
/// <c>U8</c>, each into the runtime dtype that holds its values exactly (see <see cref="Load(string, DType?)"/>).
/// </summary>
/// <remarks>
/// The JSON is written with <see cref="Utf8JsonWriter"/> and read with <see cref="JsonDocument"/>: no reflection,
/// so this works under trimming and NativeAOT. A file is read and validated completely (UTF-8 and JSON syntax of the
/// header, duplicate names, dtypes, shapes against byte ranges, ranges that cover the data without gaps or overlaps)
/// before any tensor is returned, and every malformed file throws <see cref="InvalidDataException"/>.
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
                w.WriteString("dtype", SafetensorsDTypes.Of(t.DType).ToString());
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

    /// <summary>
    /// Reads the tensors of a safetensors file, in the order of their data in the file. Each tensor gets the dtype that
    /// holds its values exactly: F32 and F64 their own, F16 and BF16 Float32, I64 Int64, I32, I16, I8 and U8 Int32,
    /// BOOL Bool; <paramref name="floatingDType"/> converts every floating-point tensor to one dtype instead.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="floatingDType">
    /// Null (the default) for the dtypes above, or Float32 or Float64 for every F64, F32, F16 and BF16 tensor, as
    /// transformers' <c>torch_dtype</c> or PyTorch's <c>t.to(dtype)</c> after loading (F64 to Float32 rounds to nearest;
    /// every other conversion is exact). Integer and BOOL tensors keep the dtype above.
    /// </param>
    /// <exception cref="InvalidDataException">The file is not valid safetensors; the message names the file and what is wrong.</exception>
    /// <exception cref="ArgumentException"><paramref name="floatingDType"/> is not a floating-point dtype.</exception>
    public static Dictionary<string, Tensor> Load(string path, DType? floatingDType = null) => Load(path, out _, floatingDType);

    /// <summary>Reads the tensors and the <c>__metadata__</c> of a safetensors file, as <see cref="Load(string, DType?)"/> does.</summary>
    /// <param name="path">The file.</param>
    /// <param name="metadata">The metadata pairs (empty when the file has none).</param>
    /// <param name="floatingDType">Null, or the dtype of every floating-point tensor (see <see cref="Load(string, DType?)"/>).</param>
    /// <exception cref="InvalidDataException">The file is not valid safetensors; the message names the file and what is wrong.</exception>
    /// <exception cref="ArgumentException"><paramref name="floatingDType"/> is not a floating-point dtype.</exception>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata, DType? floatingDType = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckFloatingDType(floatingDType);
        try
        {
            return Deserialize(File.ReadAllBytes(path), out metadata, floatingDType);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{e.Message} (file '{path}')", e);
        }
    }

    /// <summary>Reads the tensors of a safetensors file held in memory, as <see cref="Load(string, DType?)"/> does; the tensors are copies.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="metadata">The metadata pairs (empty when the file has none).</param>
    /// <param name="floatingDType">Null, or the dtype of every floating-point tensor (see <see cref="Load(string, DType?)"/>).</param>
    /// <exception cref="InvalidDataException">The bytes are not valid safetensors; the message says what is wrong.</exception>
    /// <exception cref="ArgumentException"><paramref name="floatingDType"/> is not a floating-point dtype.</exception>
    public static Dictionary<string, Tensor> Deserialize(ReadOnlySpan<byte> bytes, out Dictionary<string, string> metadata, DType? floatingDType = null)
    {
        CheckFloatingDType(floatingDType);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Safetensors: big-endian machines are not supported.");
        if (bytes.Length < 8) throw new InvalidDataException($"Safetensors: the data is {bytes.Length} bytes long, too short for the 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeaderSize) throw new InvalidDataException($"Safetensors: the header length {n} is larger than the limit of {MaxHeaderSize} bytes; the file is corrupt or not safetensors.");
        if ((ulong)bytes.Length - 8 < n) throw new InvalidDataException($"Safetensors: the header length is {n} bytes but only {bytes.Length - 8} bytes follow; the file is truncated or corrupt.");
        var data = bytes[(8 + (int)n)..];
        var entries = SafetensorsHeader.Parse(bytes.Slice(8, (int)n), data.Length, out metadata);

        var result = new Dictionary<string, Tensor>(entries.Count);
        foreach (var e in entries)
        {
            var t = e.DType.Read(data[(int)e.Begin..(int)e.End], e.Shape, e.Name);
            result[e.Name] = floatingDType is { } f && e.DType.IsFloating() ? t.To(f) : t;
        }
        return result;
    }

    static void CheckFloatingDType(DType? floatingDType)
    {
        if (floatingDType is { } f && !f.IsFloating())
            throw new ArgumentException($"Safetensors: floatingDType must be Float32, Float64 or null (each tensor's own), not {f}.", nameof(floatingDType));
    }
}
