using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Gradgen.Nn;

/// <summary>One tensor of a safetensors header: its name, dtype, shape and byte range in the data after the header.</summary>
internal sealed record SafetensorsEntry(string Name, SafetensorsDType DType, int[] Shape, long Begin, long End);

/// <summary>
/// Reads and checks the JSON header of a safetensors file as the format's reference implementation does, so that a
/// file it refuses is refused here too, always with an <see cref="InvalidDataException"/> that says what is wrong.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>
    /// The entries of <paramref name="header"/>, in the order of their data, after checking that their byte ranges
    /// tile the <paramref name="dataLength"/> bytes after the header with no gap, overlap or trailing byte.
    /// </summary>
    /// <exception cref="InvalidDataException">The header is malformed; the message names the problem and the values.</exception>
    public static List<SafetensorsEntry> Parse(ReadOnlySpan<byte> header, long dataLength, out Dictionary<string, string> metadata)
    {
        if (header.Length == 0 || header[0] != (byte)'{') throw new InvalidDataException("Safetensors: the header does not start with '{'; the file is corrupt or not safetensors.");
        // JsonDocument checks the JSON's syntax but not the UTF-8 inside its strings (GetString would throw an
        // InvalidOperationException later), so the encoding is checked first, as the reference reader does.
        if (!Utf8.IsValid(header))
            throw new InvalidDataException($"Safetensors: the header is not valid UTF-8 (byte {FirstInvalidUtf8(header)} starts an invalid sequence).");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Safetensors: the header is not valid JSON: {e.Message}", e);
        }

        var entries = new List<SafetensorsEntry>();
        metadata = [];
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("Safetensors: the header is not a JSON object.");
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                string name = NameOf(prop, "a tensor name");
                if (!names.Add(name)) throw new InvalidDataException($"Safetensors: the header names '{name}' twice.");
                if (name == "__metadata__") ReadMetadata(prop.Value, metadata);
                else entries.Add(ReadEntry(name, prop.Value));
            }
        }
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        CheckTiling(entries, dataLength);
        return entries;
    }

    static void ReadMetadata(JsonElement e, Dictionary<string, string> metadata)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException("Safetensors: '__metadata__' must be an object of strings.");
        foreach (var m in e.EnumerateObject())
        {
            string key = NameOf(m, "a metadata key");
            // The format forbids duplicate keys anywhere in the header; JsonDocument keeps them, so they are counted here.
            if (metadata.ContainsKey(key)) throw new InvalidDataException($"Safetensors: '__metadata__' names '{key}' twice.");
            if (m.Value.ValueKind != JsonValueKind.String) throw new InvalidDataException($"Safetensors: metadata '{key}' is not a string.");
            metadata[key] = StringOf(m.Value, $"the value of metadata '{key}'");
        }
    }

    static SafetensorsEntry ReadEntry(string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"Safetensors: the entry of tensor '{name}' is not a JSON object.");
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in e.EnumerateObject())
        {
            string f = NameOf(field, $"a field of tensor '{name}'");
            if (!fields.Add(f)) throw new InvalidDataException($"Safetensors: the entry of tensor '{name}' names '{f}' twice.");
        }
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"Safetensors: tensor '{name}' has no string 'dtype'.");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"Safetensors: tensor '{name}' has no 'shape' array.");
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new InvalidDataException($"Safetensors: tensor '{name}' has no 'data_offsets' array of two numbers.");

        string dtypeName = StringOf(dt, $"the dtype of tensor '{name}'");
        var dtype = SafetensorsDTypes.Parse(dtypeName)
            ?? throw new InvalidDataException($"Safetensors: tensor '{name}' has dtype '{dtypeName}', which Gradgen does not read ({SafetensorsDTypes.Supported} are read).");
        var shape = new int[sh.GetArrayLength()];
        int k = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int v) || v < 0)
                throw new InvalidDataException($"Safetensors: tensor '{name}' has an invalid dimension {d.GetRawText()} in its shape.");
            shape[k++] = v;
        }
        long numel = ElementCount(shape, name);

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
                $"Safetensors: tensor '{name}' of dtype {dtypeName} and shape {Shape.Format(shape)} needs {bytes} bytes but its data_offsets [{o[0]}, {o[1]}] span {o[1] - o[0]}."));
        return new SafetensorsEntry(name, dtype, shape, o[0], o[1]);
    }

    /// <summary>The number of elements of <paramref name="shape"/>, which must fit in one tensor.</summary>
    static long ElementCount(int[] shape, string name)
    {
        // A dimension of 0 makes the tensor empty however large the others are (PyTorch and the reference reader
        // accept [2147483647, 2147483647, 0]), so the product is only formed, and bounded, when no dimension is 0.
        if (Array.IndexOf(shape, 0) >= 0) return 0;
        long numel = 1;
        foreach (int d in shape)
        {
            numel *= d;
            if (numel > Array.MaxLength)
                throw new InvalidDataException($"Safetensors: tensor '{name}' has shape {Shape.Format(shape)}, more elements than one tensor can hold ({Array.MaxLength}).");
        }
        return numel;
    }

    /// <summary>The byte ranges must tile the data exactly, as the reference implementation requires.</summary>
    static void CheckTiling(List<SafetensorsEntry> sorted, long dataLength)
    {
        long expected = 0;
        foreach (var e in sorted)
        {
            if (e.Begin != expected)
                throw new InvalidDataException(e.Begin > expected
                    ? $"Safetensors: tensor '{e.Name}' starts at byte {e.Begin} but the previous tensor ends at {expected}; the data has a gap."
                    : $"Safetensors: tensor '{e.Name}' starts at byte {e.Begin}, inside the previous tensor (which ends at {expected}).");
            expected = e.End;
        }
        if (expected != dataLength)
            throw new InvalidDataException($"Safetensors: the tensors cover {expected} bytes of data but the file has {dataLength} bytes after the header; the file is truncated or corrupt.");
    }

    // JsonProperty.Name and JsonElement.GetString throw InvalidOperationException for a string that is not valid
    // Unicode, which after the UTF-8 check can only be an escaped lone surrogate ("\ud800"); the reference reader
    // refuses those strings, and so does this one, with the loader's exception.
    static string NameOf(JsonProperty p, string what)
    {
        try
        {
            return p.Name;
        }
        catch (InvalidOperationException e)
        {
            throw LoneSurrogate(what, e);
        }
    }

    static string StringOf(JsonElement e, string what)
    {
        try
        {
            return e.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw LoneSurrogate(what, ex);
        }
    }

    static InvalidDataException LoneSurrogate(string what, InvalidOperationException e) =>
        new($"Safetensors: {what} in the header is not valid Unicode (it escapes a lone surrogate such as \\ud800).", e);

    static int FirstInvalidUtf8(ReadOnlySpan<byte> text)
    {
        int i = 0;
        while (i < text.Length && Rune.DecodeFromUtf8(text[i..], out _, out int length) == OperationStatus.Done) i += length;
        return i;
    }
}
