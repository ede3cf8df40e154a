using System.Buffers.Binary;
using System.Text;
using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

public sealed class SafetensorsTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "gradgen-safetensors-" + Guid.NewGuid().ToString("N"));

    public SafetensorsTests()
    {
        Directory.CreateDirectory(dir);
        RandomGenerator.ManualSeed(5);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string PathOf(string name) => Path.Combine(dir, name);

    [Fact]
    public void Header_and_bytes_follow_the_spec()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["w"] = Tensor.FromArray(new float[,] { { 1, -2 }, { 0.5f, 3 } }),
            ["i"] = Tensor.FromArray(new long[] { 7, -1 }),
            ["m"] = Tensor.FromArray(new[] { true, false, true }),
        };
        var path = PathOf("a.safetensors");
        Safetensors.Save(tensors, path, new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = File.ReadAllBytes(path);

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        const string json = "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}," +
            "\"i\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]}," +
            "\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[32,35]}}";
        Assert.Equal(0UL, n % 8);
        Assert.Equal(json + new string(' ', (int)n - json.Length), header);
        Assert.True((int)n - json.Length < 8);

        var data = bytes.AsSpan(8 + (int)n);
        Assert.Equal(35, data.Length);
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(data));
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(data[4..]));
        Assert.Equal(0.5f, BinaryPrimitives.ReadSingleLittleEndian(data[8..]));
        Assert.Equal(3f, BinaryPrimitives.ReadSingleLittleEndian(data[12..]));
        Assert.Equal(7L, BinaryPrimitives.ReadInt64LittleEndian(data[16..]));
        Assert.Equal(-1L, BinaryPrimitives.ReadInt64LittleEndian(data[24..]));
        Assert.Equal(new byte[] { 1, 0, 1 }, data[32..].ToArray());
    }

    [Fact]
    public void Round_trip_keeps_names_dtypes_shapes_values_and_metadata()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["a.weight"] = Tensor.Randn(3, 4),
            ["b"] = Tensor.Randn([2, 1, 2], DType.Float64),
            ["c"] = Tensor.FromArray(new[] { 1, 2, 3 }),
            ["empty"] = Tensor.Zeros(0, 3),
            ["scalar"] = Tensor.Scalar(2.5),
            ["strided"] = Tensor.Arange(6).Reshape(2, 3).T,
        };
        var path = PathOf("b.safetensors");
        Safetensors.Save(tensors, path, new Dictionary<string, string> { ["k"] = "v" });
        var back = Safetensors.Load(path, out var meta);
        Assert.Equal("v", meta["k"]);
        Assert.Equal(tensors.Keys, back.Keys);
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.DType, back[name].DType);
            Assert.Equal(t.Shape, back[name].Shape);
            Assert.Equal(t.ToArray<double>(), back[name].ToArray<double>());
        }
    }

    [Fact]
    public void Module_save_and_load_round_trip()
    {
        var a = new MultiLayerPerceptron(2, 3, 1);
        var b = new MultiLayerPerceptron(2, 3, 1);
        var path = PathOf("mlp.safetensors");
        a.Save(path);
        b.Load(path);
        var x = Tensor.Rand(6, 2);
        Assert.Equal(a.Call(x).ToArray<float>(), b.Call(x).ToArray<float>());
        Assert.Equal(["hidden.weight", "hidden.bias", "output.weight", "output.bias"], Safetensors.Load(path).Keys);
    }

    /// <summary>A file with the header <paramref name="json"/> (UTF-8) and <paramref name="data"/>.</summary>
    internal static byte[] Make(string json, byte[] data) => Make(Encoding.UTF8.GetBytes(json), data);

    /// <summary>A file with the header bytes <paramref name="h"/> (not necessarily UTF-8) and <paramref name="data"/>.</summary>
    static byte[] Make(byte[] h, byte[] data)
    {
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    static string Error(byte[] bytes) => Assert.Throws<InvalidDataException>(() => Safetensors.Deserialize(bytes, out _)).Message;

    [Fact]
    public void Corrupt_files_get_clear_errors()
    {
        Assert.Contains("too short", Error([1, 2, 3]));
        Assert.Contains("only 2 bytes follow", Error([100, 0, 0, 0, 0, 0, 0, 0, 1, 2]));
        Assert.Contains("larger than the limit", Error([0, 0, 0, 0, 0, 0, 0, 1, 1, 2]));
        Assert.Contains("does not start with '{'", Error(Make("[1,2]   ", [])));
        Assert.Contains("not valid JSON", Error(Make("{\"a\":", [])));
        Assert.Contains("dtype 'F8_E4M3', which Gradgen does not read", Error(Make("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1])));
        Assert.Contains("dtype 'f32'", Error(Make("{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])));
        Assert.Contains("needs 8 bytes", Error(Make("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4])));
        Assert.Contains("truncated", Error(Make("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4])));
        Assert.Contains("gap", Error(Make("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8])));
        Assert.Contains("inside the previous tensor", Error(Make(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8])));
        Assert.Contains("no 'shape'", Error(Make("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4])));
        Assert.Contains("invalid dimension", Error(Make("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4])));
        Assert.Contains("booleans must be 0 or 1", Error(Make("{\"a\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]}}", [7])));
    }

    [Fact]
    public void A_corrupt_or_mismatched_file_leaves_the_model_unchanged()
    {
        var m = new MultiLayerPerceptron(2, 2, 1);
        var before = m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());

        var other = new MultiLayerPerceptron(2, 3, 1);
        var path = PathOf("other.safetensors");
        other.Save(path);
        var e = Assert.Throws<ArgumentException>(() => m.Load(path));
        Assert.Contains("hidden.weight", e.Message);

        var good = PathOf("good.safetensors");
        new MultiLayerPerceptron(2, 2, 1).Save(good);
        var bytes = System.IO.File.ReadAllBytes(good);
        var truncated = PathOf("truncated.safetensors");
        System.IO.File.WriteAllBytes(truncated, bytes[..^4]);
        var e2 = Assert.Throws<InvalidDataException>(() => m.Load(truncated));
        Assert.Contains("truncated.safetensors", e2.Message);

        foreach (var (name, t) in m.StateDict()) Assert.Equal(before[name].ToArray<float>(), t.ToArray<float>());
    }

    [Fact]
    public void A_header_that_is_not_valid_UTF8_is_refused_naming_the_byte_and_the_file()
    {
        // After `{"a` (bytes 0-2): 0xFF never occurs in UTF-8; ED A0 80 would encode the surrogate U+D800; C0 AF is an overlong '/'.
        foreach (byte[] bad in new byte[][] { [0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF] })
        {
            byte[] header = [.. "{\"a"u8, .. bad, .. "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"u8];
            Assert.Contains("not valid UTF-8 (byte 3 starts an invalid sequence)", Error(Make(header, new byte[4])));
            var path = PathOf("bad-utf8.safetensors");
            File.WriteAllBytes(path, Make(header, new byte[4]));
            var e = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
            Assert.Contains("not valid UTF-8", e.Message);
            Assert.Contains(path, e.Message);
        }
    }

    [Theory]
    [InlineData("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "a tensor name")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"\\udfff\":1}}", "a field of tensor 'a'")]
    [InlineData("{\"a\":{\"dtype\":\"F3\\ud8002\",\"shape\":[1],\"data_offsets\":[0,4]}}", "the dtype of tensor 'a'")]
    [InlineData("{\"__metadata__\":{\"\\udc00x\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "a metadata key")]
    [InlineData("{\"__metadata__\":{\"k\":\"x\\ud83d\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "the value of metadata 'k'")]
    public void A_lone_surrogate_escape_is_refused_naming_where_it_is(string json, string where)
    {
        string message = Error(Make(json, new byte[4]));
        Assert.Contains(where, message);
        Assert.Contains("not valid Unicode", message);
    }

    [Fact]
    public void A_surrogate_pair_escape_is_one_character()
    {
        var back = Safetensors.Deserialize(Make("{\"\\ud83d\\ude00\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), out _);
        Assert.Equal(["\U0001F600"], back.Keys);
    }

    [Fact]
    public void Duplicate_keys_are_refused_in_the_metadata_and_in_an_entry_as_in_the_header()
    {
        Assert.Contains("'__metadata__' names 'k' twice", Error(Make(
            "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])));
        // The same key written with an escape is the same key.
        Assert.Contains("'__metadata__' names 'k' twice", Error(Make(
            "{\"__metadata__\":{\"k\":\"1\",\"\\u006b\":\"2\"}}", [])));
        Assert.Contains("the entry of tensor 'a' names 'dtype' twice", Error(Make(
            "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])));
        Assert.Contains("the header names 'a' twice", Error(Make(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8])));
    }

    [Theory]
    [InlineData("[2147483647,2147483647,0]")]
    [InlineData("[0,2147483647,2147483647]")]
    [InlineData("[65536,0,65536,65536]")]
    public void An_empty_tensor_is_accepted_however_large_its_other_dimensions(string shape)
    {
        var t = Safetensors.Deserialize(Make($"{{\"e\":{{\"dtype\":\"F16\",\"shape\":{shape},\"data_offsets\":[0,0]}}}}", []), out _)["e"];
        Assert.Equal(shape, "[" + string.Join(',', t.Shape.ToArray()) + "]");
        Assert.Equal(0, t.NumElements);
        Assert.Empty(t.Clone().ToArray<float>());
    }

    [Fact]
    public void A_tensor_with_more_elements_than_an_array_holds_is_refused()
    {
        Assert.Contains("shape [65536, 65536], more elements than one tensor can hold", Error(Make(
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[65536,65536],\"data_offsets\":[0,4294967296]}}", [])));
    }

    [Fact]
    public void Every_corruption_of_a_file_reads_or_throws_InvalidDataException()
    {
        // Seeded random edits of a valid file with every float dtype and a small integer: bytes of JSON syntax, of
        // escapes and numbers and of invalid UTF-8 written over or inserted into the header, bytes deleted anywhere
        // and appended. Each edited file must read (the edit kept it valid) or throw the loader's one exception.
        var valid = SafetensorsDTypeTests.MixedFile();
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        byte[] interesting = [.. "{}[]\":,\\u0123456789abcdef-+.eE _"u8, 0xFF, 0xC0, 0xED, 0xA0, 0x80, 0x00];
        var random = new Random(14);
        for (int trial = 0; trial < 5000; trial++)
        {
            var bytes = new List<byte>(valid);
            for (int edit = random.Next(1, 4); edit > 0; edit--)
            {
                switch (random.Next(4))
                {
                    case 0: bytes[random.Next(8, headerEnd)] = interesting[random.Next(interesting.Length)]; break;
                    case 1: bytes.Insert(random.Next(8, headerEnd), interesting[random.Next(interesting.Length)]); break;
                    case 2: bytes.RemoveAt(random.Next(bytes.Count)); break;
                    default: bytes.Add((byte)random.Next(256)); break;
                }
            }
            try
            {
                Safetensors.Deserialize(bytes.ToArray(), out _);
            }
            catch (Exception e) when (e is not InvalidDataException)
            {
                Assert.Fail($"Edit {trial} threw {e.GetType().Name} ({e.Message}) for the header {Encoding.Latin1.GetString([.. bytes.Skip(8).Take(headerEnd - 8)])}");
            }
            catch (InvalidDataException)
            {
                // Refused with the loader's exception, as it must be.
            }
        }
    }
}
