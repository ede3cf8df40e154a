using System.Buffers.Binary;
using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>
/// The dtypes of checkpoints as they are downloaded: F16 and BF16 read into Float32 exactly (every bit pattern, checked
/// against the formats' definitions), F32 and F64 as they are, the small integers into Int32, and a floating dtype the
/// caller asks for.
/// </summary>
public sealed class SafetensorsDTypeTests
{
    /// <summary>A file with one tensor 't' of <paramref name="dtype"/> and <paramref name="shape"/> holding <paramref name="data"/>.</summary>
    internal static byte[] OneTensor(string dtype, int[] shape, byte[] data) =>
        SafetensorsTests.Make($"{{\"t\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(',', shape)}],\"data_offsets\":[0,{data.Length}]}}}}", data);

    static Tensor Read(string dtype, int[] shape, byte[] data, DType? floatingDType = null) =>
        Safetensors.Deserialize(OneTensor(dtype, shape, data), out _, floatingDType)["t"];

    /// <summary>Every 16-bit pattern, in order, little-endian.</summary>
    static byte[] AllSixteenBitPatterns()
    {
        var bytes = new byte[2 * 65536];
        for (int bits = 0; bits < 65536; bits++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * bits), (ushort)bits);
        return bytes;
    }

    /// <summary>
    /// The value of a binary floating-point format with <paramref name="exponentBits"/> and
    /// <paramref name="mantissaBits"/> by its IEEE 754 definition (bias 2^(e−1) − 1, subnormals without the implicit 1),
    /// in double, where every F16 and BF16 value is exact; null for NaN.
    /// </summary>
    static double? Decode(int bits, int exponentBits, int mantissaBits)
    {
        int sign = bits >> (exponentBits + mantissaBits);
        int exponent = (bits >> mantissaBits) & ((1 << exponentBits) - 1);
        int mantissa = bits & ((1 << mantissaBits) - 1);
        int bias = (1 << (exponentBits - 1)) - 1;
        double magnitude;
        if (exponent == (1 << exponentBits) - 1)
        {
            if (mantissa != 0) return null;
            magnitude = double.PositiveInfinity;
        }
        else if (exponent == 0) magnitude = Math.ScaleB(mantissa, 1 - bias - mantissaBits);
        else magnitude = Math.ScaleB((1 << mantissaBits) + mantissa, exponent - bias - mantissaBits);
        return sign == 1 ? -magnitude : magnitude;
    }

    static void AssertEveryPatternDecodes(string dtype, int exponentBits, int mantissaBits)
    {
        var t = Read(dtype, [65536], AllSixteenBitPatterns());
        Assert.Equal(DType.Float32, t.DType);
        var values = t.ToArray<float>();
        for (int bits = 0; bits < 65536; bits++)
        {
            double? expected = Decode(bits, exponentBits, mantissaBits);
            bool negative = bits >> 15 == 1;
            if (expected is null)
            {
                Assert.True(float.IsNaN(values[bits]), $"{dtype} 0x{bits:X4} is NaN but read as {values[bits]}");
                Assert.Equal(negative, float.IsNegative(values[bits]));
            }
            else
            {
                // Bitwise, so that -0 must stay -0; the cast to float is exact because every such value is a float.
                Assert.True(BitConverter.SingleToInt32Bits((float)expected.Value) == BitConverter.SingleToInt32Bits(values[bits]),
                    $"{dtype} 0x{bits:X4} is {expected.Value:R} but read as {values[bits]:R}");
            }
        }
    }

    [Fact]
    public void Every_F16_bit_pattern_reads_as_its_exact_value_in_Float32() => AssertEveryPatternDecodes("F16", 5, 10);

    [Fact]
    public void Every_BF16_bit_pattern_reads_as_its_exact_value_in_Float32() => AssertEveryPatternDecodes("BF16", 8, 7);

    [Theory]
    [InlineData("F16", 0x0001, 5.9604644775390625E-08)]       // the smallest subnormal, 2^-24
    [InlineData("F16", 0x03FF, 6.0975551605224609E-05)]       // the largest subnormal, 1023·2^-24
    [InlineData("F16", 0x0400, 6.103515625E-05)]              // the smallest normal, 2^-14
    [InlineData("F16", 0x3C00, 1.0)]
    [InlineData("F16", 0xC000, -2.0)]
    [InlineData("F16", 0x7BFF, 65504.0)]                      // the largest finite value
    [InlineData("F16", 0x7C00, double.PositiveInfinity)]
    [InlineData("F16", 0xFC00, double.NegativeInfinity)]
    [InlineData("BF16", 0x0001, 9.1835496157991212E-41)]      // the smallest subnormal, 2^-133
    [InlineData("BF16", 0x0080, 1.1754943508222875E-38)]      // the smallest normal, 2^-126
    [InlineData("BF16", 0x3F80, 1.0)]
    [InlineData("BF16", 0xC040, -3.0)]
    [InlineData("BF16", 0x7F7F, 3.3895313892515355E+38)]      // the largest finite value
    [InlineData("BF16", 0xFF80, double.NegativeInfinity)]
    public void Known_half_precision_bit_patterns_read_as_their_values(string dtype, int bits, double value)
    {
        var t = Read(dtype, [1], BitConverter.GetBytes((ushort)bits));
        Assert.Equal((float)value, t.ToArray<float>()[0]);
    }

    [Theory]
    [InlineData("F16", 0x8000)]
    [InlineData("BF16", 0x8000)]
    public void Negative_zero_stays_negative(string dtype, int bits)
    {
        float v = Read(dtype, [1], BitConverter.GetBytes((ushort)bits)).ToArray<float>()[0];
        Assert.Equal(0f, v);
        Assert.True(float.IsNegative(v));
    }

    [Theory]
    [InlineData("F16", 0x7E00, false)]
    [InlineData("F16", 0xFE01, true)]
    [InlineData("F16", 0x7C01, false)]      // a signalling NaN: still NaN
    [InlineData("BF16", 0x7FC0, false)]
    [InlineData("BF16", 0xFF81, true)]
    public void NaN_stays_NaN_with_its_sign(string dtype, int bits, bool negative)
    {
        float v = Read(dtype, [1], BitConverter.GetBytes((ushort)bits)).ToArray<float>()[0];
        Assert.True(float.IsNaN(v));
        Assert.Equal(negative, float.IsNegative(v));
    }

    [Fact]
    public void Small_integers_read_into_Int32_with_every_value()
    {
        var bytes = new byte[256];
        for (int i = 0; i < 256; i++) bytes[i] = (byte)i;
        var u8 = Read("U8", [256], bytes);
        var i8 = Read("I8", [16, 16], bytes);
        var i16 = Read("I16", [65536], AllSixteenBitPatterns());
        Assert.Equal(DType.Int32, u8.DType);
        Assert.Equal(DType.Int32, i8.DType);
        Assert.Equal(DType.Int32, i16.DType);
        Assert.Equal([16, 16], i8.Shape.ToArray());
        Assert.Equal(Enumerable.Range(0, 256), u8.ToArray<int>());
        // Two's complement: a pattern with the top bit set is the pattern minus 2^bits.
        Assert.Equal(Enumerable.Range(0, 256).Select(b => b < 128 ? b : b - 256), i8.ToArray<int>());
        Assert.Equal(Enumerable.Range(0, 65536).Select(b => b < 32768 ? b : b - 65536), i16.ToArray<int>());
    }

    /// <summary>One tensor of each floating dtype holding 1/3 rounded to it, and an I8 tensor, in one file.</summary>
    internal static byte[] MixedFile()
    {
        var data = new List<byte>();
        data.AddRange(BitConverter.GetBytes(1.0 / 3));
        data.AddRange(BitConverter.GetBytes(1f / 3));
        data.AddRange(BitConverter.GetBytes((Half)(1f / 3)));
        data.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(1f / 3) >> 16)));
        data.Add(0xFF);
        return SafetensorsTests.Make(
            "{\"f64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
            "\"f32\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}," +
            "\"f16\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[12,14]}," +
            "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[14,16]}," +
            "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[16,17]}}", [.. data]);
    }

    [Fact]
    public void Each_float_dtype_reads_into_the_dtype_that_holds_it_unless_one_is_asked_for()
    {
        var bytes = MixedFile();
        var own = Safetensors.Deserialize(bytes, out _);
        Assert.Equal(DType.Float64, own["f64"].DType);
        Assert.Equal(DType.Float32, own["f32"].DType);
        Assert.Equal(DType.Float32, own["f16"].DType);
        Assert.Equal(DType.Float32, own["bf16"].DType);
        Assert.Equal(DType.Int32, own["i8"].DType);

        var wide = Safetensors.Deserialize(bytes, out _, DType.Float64);
        foreach (var name in new[] { "f64", "f32", "f16", "bf16" })
        {
            Assert.Equal(DType.Float64, wide[name].DType);
            Assert.Equal(own[name].ToArray<double>(), wide[name].ToArray<double>());    // widening is exact
        }
        Assert.Equal(DType.Int32, wide["i8"].DType);
        Assert.Equal(-1, wide["i8"].ToArray<int>()[0]);

        var narrow = Safetensors.Deserialize(bytes, out _, DType.Float32);
        Assert.Equal(DType.Float32, narrow["f64"].DType);
        Assert.Equal((float)(1.0 / 3), narrow["f64"].ToArray<float>()[0]);             // rounded to nearest
        Assert.Equal(own["f16"].ToArray<float>(), narrow["f16"].ToArray<float>());
    }

    [Fact]
    public void Asking_for_a_dtype_that_is_not_floating_is_refused_naming_it()
    {
        var e = Assert.Throws<ArgumentException>(() => Safetensors.Deserialize(MixedFile(), out _, DType.Int64));
        Assert.Contains("Int64", e.Message);
        Assert.Equal("floatingDType", e.ParamName);
    }

    [Fact]
    public void A_module_loads_a_half_precision_checkpoint_through_its_state_dict()
    {
        // Weights as a downloaded F16 checkpoint holds them; Module.Load converts them to the model's Float64.
        var weight = new Half[] { (Half)0.5f, (Half)(-1.25f), (Half)3f, (Half)0.1f };
        var bias = new Half[] { (Half)(-0.75f), (Half)2f };
        var data = new List<byte>();
        foreach (var h in weight.Concat(bias)) data.AddRange(BitConverter.GetBytes(h));
        var bytes = SafetensorsTests.Make(
            "{\"weight\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},\"bias\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]}}", [.. data]);
        var model = new Linear(2, 2, dtype: DType.Float64);
        model.LoadStateDict(Safetensors.Deserialize(bytes, out _));
        Assert.Equal(DType.Float64, model.Weight.DType);
        Assert.Equal(weight.Select(h => (double)h), model.Weight.ToArray<double>());
        Assert.Equal(bias.Select(h => (double)h), model.Bias!.ToArray<double>());
    }
}
