using System.Buffers.Binary;
using System.IO.Compression;

namespace Gradgen.Data;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST (big-endian): two zero bytes, a type code (0x08 unsigned byte, 0x09
/// signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, one 32-bit size per
/// dimension, then the elements. Files may be gzip-compressed (recognised by their first two bytes, 1F 8B).
/// Malformed files throw <see cref="InvalidDataException"/> naming the file and the problem.
/// </summary>
public static class IdxFile
{
    /// <summary>Reads an IDX file of unsigned bytes (type 0x08), as MNIST's images and labels are.</summary>
    /// <param name="path">The file, raw or gzip-compressed.</param>
    /// <returns>The shape and the elements in row-major order.</returns>
    /// <exception cref="InvalidDataException">The file is not an IDX file of unsigned bytes, or is truncated or too long.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static (int[] Shape, byte[] Data) ReadBytes(string path)
    {
        var (type, shape, data) = ReadRaw(path);
        if (type != 0x08)
        {
            throw new InvalidDataException($"{path}: IDX type code 0x{type:X2} ({TypeName(type)}), but unsigned bytes (0x08) were expected.");
        }

        return (shape, data);
    }

    /// <summary>Reads an IDX file of any type as a tensor: integer types as Int32, 0x0D as Float32, 0x0E as Float64.</summary>
    /// <param name="path">The file, raw or gzip-compressed.</param>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static Tensor Read(string path)
    {
        var (type, shape, data) = ReadRaw(path);
        int count = Count(shape);
        switch (type)
        {
            case 0x0D:
                {
                    var values = new float[count];
                    for (int i = 0; i < count; i++)
                    {
                        values[i] = BinaryPrimitives.ReadSingleBigEndian(data.AsSpan(i * 4));
                    }

                    return Tensor.FromArray(values).Reshape(shape);
                }

            case 0x0E:
                {
                    var values = new double[count];
                    for (int i = 0; i < count; i++)
                    {
                        values[i] = BinaryPrimitives.ReadDoubleBigEndian(data.AsSpan(i * 8));
                    }

                    return Tensor.FromArray(values).Reshape(shape);
                }

            default:
                {
                    var values = new int[count];
                    for (int i = 0; i < count; i++)
                    {
                        values[i] = type switch
                        {
                            0x08 => data[i],
                            0x09 => (sbyte)data[i],
                            0x0B => BinaryPrimitives.ReadInt16BigEndian(data.AsSpan(i * 2)),
                            _ => BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(i * 4)),
                        };
                    }

                    return Tensor.FromArray(values).Reshape(shape);
                }
        }
    }

    static int ElementSize(byte type) => type switch
    {
        0x08 or 0x09 => 1,
        0x0B => 2,
        0x0C or 0x0D => 4,
        0x0E => 8,
        _ => 0,
    };

    static string TypeName(byte type) => type switch
    {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown",
    };

    static int Count(int[] shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
        }

        return (int)count;
    }

    /// <summary>The type code, the shape and the element bytes (big-endian), checked against the header.</summary>
    static (byte Type, int[] Shape, byte[] Data) ReadRaw(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                gzip.CopyTo(plain);
                bytes = plain.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: the gzip stream is corrupt or truncated ({e.Message}).", e);
            }
        }

        if (bytes.Length < 4)
        {
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is too short for an IDX header (4 bytes of magic number, then the sizes).");
        }

        byte type = bytes[2];
        int dims = bytes[3];
        if (bytes[0] != 0 || bytes[1] != 0 || ElementSize(type) == 0)
        {
            throw new InvalidDataException($"{path}: wrong magic number 0x{bytes[0]:X2}{bytes[1]:X2}{bytes[2]:X2}{bytes[3]:X2}; an IDX file starts with 0x0000, a type code (08, 09, 0B, 0C, 0D or 0E) and the number of dimensions.");
        }

        int header = 4 + (4 * dims);
        if (bytes.Length < header)
        {
            throw new InvalidDataException($"{path}: truncated header: {dims} dimensions need {header} bytes of header, the file has {bytes.Length}.");
        }

        var shape = new int[dims];
        long count = 1;
        for (int d = 0; d < dims; d++)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + (4 * d)));
            if (size < 0)
            {
                throw new InvalidDataException($"{path}: dimension {d} has negative size {size}.");
            }

            shape[d] = size;
            count *= size;
        }

        long expected = count * ElementSize(type);
        long actual = bytes.Length - header;
        if (actual != expected)
        {
            string problem = actual < expected ? "truncated" : "longer than its header says";
            throw new InvalidDataException($"{path}: {problem}: the header gives shape [{string.Join(", ", shape)}] of {TypeName(type)}s, {expected} bytes of data, but the file has {actual}.");
        }

        return (type, shape, bytes.AsSpan(header).ToArray());
    }
}
