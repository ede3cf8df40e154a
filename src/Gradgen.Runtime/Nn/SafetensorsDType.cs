using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Gradgen.Nn;

/// <summary>The element types of a safetensors file that Gradgen reads, under the format's names.</summary>
internal enum SafetensorsDType
{
    F64,
    F32,
    F16,
    BF16,
    I64,
    I32,
    I16,
    I8,
    U8,
    BOOL,
}

/// <summary>
/// What each <see cref="SafetensorsDType"/> is: its name in a header, its size, the runtime dtype that holds its
/// values exactly, and how its little-endian bytes become a tensor of that dtype.
/// </summary>
internal static class SafetensorsDTypes
{
    /// <summary>The names <see cref="Parse"/> accepts, for error messages.</summary>
    public const string Supported = "F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL";

    /// <summary>The dtype a header names, or null for a name that is not one of <see cref="Supported"/> (the format's names are case-sensitive).</summary>
    public static SafetensorsDType? Parse(string name) => name switch
    {
        "F64" => SafetensorsDType.F64,
        "F32" => SafetensorsDType.F32,
        "F16" => SafetensorsDType.F16,
        "BF16" => SafetensorsDType.BF16,
        "I64" => SafetensorsDType.I64,
        "I32" => SafetensorsDType.I32,
        "I16" => SafetensorsDType.I16,
        "I8" => SafetensorsDType.I8,
        "U8" => SafetensorsDType.U8,
        "BOOL" => SafetensorsDType.BOOL,
        _ => null,
    };

    /// <summary>The file dtype a runtime tensor is written as.</summary>
    public static SafetensorsDType Of(DType dtype) => dtype switch
    {
        DType.Float32 => SafetensorsDType.F32,
        DType.Float64 => SafetensorsDType.F64,
        DType.Int32 => SafetensorsDType.I32,
        DType.Int64 => SafetensorsDType.I64,
        _ => SafetensorsDType.BOOL,
    };

    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.I16 => 2,
        _ => 1,
    };

    public static bool IsFloating(this SafetensorsDType dtype) =>
        dtype is SafetensorsDType.F64 or SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16;

    /// <summary>
    /// The runtime dtype that holds every value of <paramref name="dtype"/> exactly: half precision widens to Float32
    /// (every F16 and BF16 value, subnormals included, is a Float32 value), the small integers to Int32.
    /// </summary>
    public static DType Holding(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 => DType.Float64,
        SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16 => DType.Float32,
        SafetensorsDType.I64 => DType.Int64,
        SafetensorsDType.I32 or SafetensorsDType.I16 or SafetensorsDType.I8 or SafetensorsDType.U8 => DType.Int32,
        _ => DType.Bool,
    };

    /// <summary>
    /// A new tensor of dtype <see cref="Holding"/> and shape <paramref name="shape"/> with the values of
    /// <paramref name="bytes"/>, which hold exactly that many elements of <paramref name="dtype"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A BOOL byte is neither 0 nor 1.</exception>
    public static Tensor Read(this SafetensorsDType dtype, ReadOnlySpan<byte> bytes, int[] shape, string name)
    {
        var t = Tensor.Empty(dtype.Holding(), shape);
        switch (dtype)
        {
            case SafetensorsDType.F64: bytes.CopyTo(MemoryMarshal.AsBytes(t.StorageSpan<double>())); break;
            case SafetensorsDType.F32: bytes.CopyTo(MemoryMarshal.AsBytes(t.StorageSpan<float>())); break;
            case SafetensorsDType.F16: ReadHalf(bytes, t.StorageSpan<float>()); break;
            case SafetensorsDType.BF16: ReadBFloat16(bytes, t.StorageSpan<float>()); break;
            case SafetensorsDType.I64: bytes.CopyTo(MemoryMarshal.AsBytes(t.StorageSpan<long>())); break;
            case SafetensorsDType.I32: bytes.CopyTo(MemoryMarshal.AsBytes(t.StorageSpan<int>())); break;
            case SafetensorsDType.I16: ReadInt16(bytes, t.StorageSpan<int>()); break;
            case SafetensorsDType.I8: ReadInt8(bytes, t.StorageSpan<int>()); break;
            case SafetensorsDType.U8: ReadUInt8(bytes, t.StorageSpan<int>()); break;
            default: ReadBool(bytes, t.StorageSpan<bool>(), name); break;
        }
        return t;
    }

    static void ReadHalf(ReadOnlySpan<byte> bytes, Span<float> values)
    {
        // The bytes may start at any offset, so they are copied to an aligned array of Half first. Half to float is
        // exact: every finite Half (subnormals and -0 included) is a float, infinities stay infinite and NaN stays
        // NaN with its sign (SafetensorsDTypeTests checks all 65,536 patterns).
        var half = new Half[values.Length];
        bytes.CopyTo(MemoryMarshal.AsBytes(half.AsSpan()));
        TensorPrimitives.ConvertToSingle(half, values);
    }

    static void ReadBFloat16(ReadOnlySpan<byte> bytes, Span<float> values)
    {
        // A bfloat16 is the upper half of a float32's bits, so appending 16 zero bits gives its value exactly.
        for (int i = 0; i < values.Length; i++)
            values[i] = BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16);
    }

    static void ReadInt16(ReadOnlySpan<byte> bytes, Span<int> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]);
    }

    static void ReadInt8(ReadOnlySpan<byte> bytes, Span<int> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (sbyte)bytes[i];
    }

    static void ReadUInt8(ReadOnlySpan<byte> bytes, Span<int> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = bytes[i];
    }

    static void ReadBool(ReadOnlySpan<byte> bytes, Span<bool> values, string name)
    {
        // Any other byte would make a bool that is neither true nor false to the JIT's comparisons.
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i] > 1) throw new InvalidDataException($"Safetensors: BOOL tensor '{name}' holds the byte {bytes[i]} at element {i}; booleans must be 0 or 1.");
        bytes.CopyTo(MemoryMarshal.AsBytes(values));
    }
}
