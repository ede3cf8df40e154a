using System.IO.Compression;
using Gradgen.Data;

namespace Gradgen.Tests.Data;

/// <summary>The IDX reader on files written here (raw and gzip) and on corrupted ones: each corruption a clear error naming the file.</summary>
public sealed class IdxFileTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("gradgen-idx-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>An IDX file: magic 0x0000, type, dimension count, big-endian sizes, then <paramref name="data"/>.</summary>
    internal static byte[] Idx(byte type, int[] shape, byte[] data)
    {
        var bytes = new List<byte> { 0, 0, type, (byte)shape.Length };
        foreach (int d in shape)
            bytes.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        bytes.AddRange(data);
        return [.. bytes];
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            gzip.Write(data);
        return output.ToArray();
    }

    string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Reads_raw_and_gzip_unsigned_bytes()
    {
        byte[] data = [1, 2, 3, 4, 5, 250];
        var file = Idx(0x08, [2, 3], data);
        foreach (var path in new[] { Write("raw", file), Write("zipped.gz", Gzip(file)) })
        {
            var (shape, bytes) = IdxFile.ReadBytes(path);
            Assert.Equal([2, 3], shape);
            Assert.Equal(data, bytes);
            var t = IdxFile.Read(path);
            Assert.Equal(DType.Int32, t.DType);
            Assert.Equal([1, 2, 3, 4, 5, 250], t.ToArray<int>());
        }
    }

    [Fact]
    public void Reads_other_types_big_endian()
    {
        var floats = IdxFile.Read(Write("f", Idx(0x0D, [2], [0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0])));
        Assert.Equal([1f, -2f], floats.ToArray<float>());
        var shorts = IdxFile.Read(Write("s", Idx(0x0B, [2], [0xFF, 0xFE, 0x01, 0x00])));
        Assert.Equal([-2, 256], shorts.ToArray<int>());
        var signed = IdxFile.Read(Write("b", Idx(0x09, [1], [0xFF])));
        Assert.Equal([-1], signed.ToArray<int>());
    }

    [Fact]
    public void Wrong_magic_number()
    {
        var bytes = Idx(0x08, [2], [1, 2]);
        bytes[0] = 0x1A;
        var path = Write("bad-magic", bytes);
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadBytes(path)).Message;
        Assert.Contains(path, error);
        Assert.Contains("wrong magic number 0x1A000801", error);
        Assert.Contains("wrong magic number", Assert.Throws<InvalidDataException>(() => IdxFile.Read(Write("bad-type", Idx(0x07, [1], [1])))).Message);
    }

    [Fact]
    public void Truncated_data_header_and_gzip()
    {
        var path = Write("short", Idx(0x08, [2, 3], [1, 2, 3, 4, 5]));
        var error = Assert.Throws<InvalidDataException>(() => IdxFile.ReadBytes(path)).Message;
        Assert.Contains(path, error);
        Assert.Contains("truncated", error);
        Assert.Contains("shape [2, 3]", error);
        Assert.Contains("6 bytes of data, but the file has 5", error);

        Assert.Contains("truncated header", Assert.Throws<InvalidDataException>(() => IdxFile.ReadBytes(Write("header", Idx(0x08, [2, 3], [])[..9]))).Message);
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => IdxFile.ReadBytes(Write("tiny", [0, 0]))).Message);

        var zipped = Gzip(Idx(0x08, [100], new byte[100]));
        var cut = Write("cut.gz", zipped[..(zipped.Length / 2)]);
        var gzipError = Assert.Throws<InvalidDataException>(() => IdxFile.ReadBytes(cut)).Message;
        Assert.Contains(cut, gzipError);
    }

    [Fact]
    public void Too_long_and_wrong_type()
    {
        Assert.Contains("longer than its header says", Assert.Throws<InvalidDataException>(() => IdxFile.ReadBytes(Write("long", Idx(0x08, [2], [1, 2, 3])))).Message);
        Assert.Contains("unsigned bytes (0x08) were expected", Assert.Throws<InvalidDataException>(() => IdxFile.ReadBytes(Write("int", Idx(0x0C, [1], [0, 0, 0, 1])))).Message);
        Assert.Throws<FileNotFoundException>(() => IdxFile.ReadBytes(Path.Combine(directory, "absent")));
    }
}
