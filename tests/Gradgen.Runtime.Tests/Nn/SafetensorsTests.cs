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

    static byte[] Make(string json, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(json);
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
        Assert.Contains("dtype 'F16'", Error(Make("{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[2])));
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
}
