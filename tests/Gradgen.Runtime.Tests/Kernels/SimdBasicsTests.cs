using System.Runtime.Intrinsics;
using Gradgen.Kernels;

namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>
/// The correctly rounded operations (arithmetic, FMA, sqrt, rounding, min/max, sign) give bit-identical results at
/// every width, equal to the scalar ones (MathF/Math semantics: Min/Max propagate NaN and order −0 below +0, Round
/// ties to even, Sign is NaN for NaN); masks are all-ones or zero per lane and combine the same way at every width.
/// </summary>
public sealed class SimdBasicsTests
{
    private static readonly Fn[] Exact =
    [
        Fn.Negate, Fn.Abs, Fn.Sqrt, Fn.Floor, Fn.Ceiling, Fn.Round, Fn.Truncate, Fn.Sign,
        Fn.Add, Fn.Subtract, Fn.Multiply, Fn.Divide, Fn.Min, Fn.Max, Fn.FusedMultiplyAdd,
    ];

    private static readonly Fn[] Comparisons =
        [Fn.LessThan, Fn.LessThanOrEqual, Fn.GreaterThan, Fn.GreaterThanOrEqual, Fn.Equal, Fn.NotEqual];

    public static TheoryData<Width> Widths => new(Harness.AllWidths);

    [Theory]
    [MemberData(nameof(Widths))]
    public void Float_operations_match_scalar_bit_for_bit(Width width)
    {
        (float[] a, float[] b, float[] c) = FloatOperands();
        foreach (Fn fn in Exact)
        {
            float[] expected = Harness.Map(Width.Scalar, fn, a, b, c);
            float[] actual = Harness.Map(width, fn, a, b, c);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(
                    SameFloat(expected[i], actual[i]),
                    $"{fn}({a[i]:R}, {b[i]:R}, {c[i]:R}) at {width}: {actual[i]:R}, scalar {expected[i]:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Double_operations_match_scalar_bit_for_bit(Width width)
    {
        (float[] fa, float[] fb, float[] fc) = FloatOperands();
        double[] a = [.. fa.Select((v, i) => (double)v * (1 + 1e-12 * (i % 7)))];
        double[] b = Inputs.ToDouble(fb);
        double[] c = Inputs.ToDouble(fc);
        foreach (Fn fn in Exact)
        {
            double[] expected = Harness.Map(Width.Scalar, fn, a, b, c);
            double[] actual = Harness.Map(width, fn, a, b, c);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(
                    BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]) || (double.IsNaN(expected[i]) && double.IsNaN(actual[i])),
                    $"{fn}({a[i]:R}, {b[i]:R}, {c[i]:R}) at {width}: {actual[i]:R}, scalar {expected[i]:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Comparisons_give_full_masks(Width width)
    {
        (float[] a, float[] b, _) = FloatOperands();
        foreach (Fn fn in Comparisons)
        {
            float[] scalar = Harness.Map(Width.Scalar, fn, a, b);
            float[] actual = Harness.Map(width, fn, a, b);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(scalar[i] is 0f or 1f);
                int expectedBits = width == Width.Scalar ? BitConverter.SingleToInt32Bits(scalar[i]) : scalar[i] == 1f ? -1 : 0;
                Assert.True(expectedBits == BitConverter.SingleToInt32Bits(actual[i]), $"{fn}({a[i]:R}, {b[i]:R}) at {width}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Masks_combine_and_select_alike_at_every_width(Width width)
    {
        (float[] a, float[] b, float[] c) = FloatOperands();
        float[] expected = MapMaskExpression(Width.Scalar, a, b, c);
        float[] actual = MapMaskExpression(width, a, b, c);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(SameFloat(expected[i], actual[i]), $"({a[i]:R}, {b[i]:R}, {c[i]:R}) at {width}: {actual[i]:R}, scalar {expected[i]:R}");
        }

        double[] da = Inputs.ToDouble(a);
        double[] db = Inputs.ToDouble(b);
        double[] dc = Inputs.ToDouble(c);
        double[] dExpected = MapMaskExpression(Width.Scalar, da, db, dc);
        double[] dActual = MapMaskExpression(width, da, db, dc);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(dExpected[i].Equals(dActual[i]), $"double ({da[i]:R}, {db[i]:R}, {dc[i]:R}) at {width}: {dActual[i]:R}, scalar {dExpected[i]:R}");
        }
    }

    [Fact]
    public void Scalar_masks_are_one_and_zero_and_any_nonzero_value_selects()
    {
        Assert.Equal(1f, Scalar<float>.LessThan(1f, 2f));
        Assert.Equal(0f, Scalar<float>.LessThan(2f, 1f));
        Assert.Equal(1d, Scalar<double>.NotEqual(double.NaN, double.NaN));
        Assert.Equal(0d, Scalar<double>.Equal(double.NaN, double.NaN));
        Assert.Equal(1f, Scalar<float>.Not(0f));
        Assert.Equal(0f, Scalar<float>.Not(-3f));
        Assert.Equal(1f, Scalar<float>.And(2f, -1f));
        Assert.Equal(0f, Scalar<float>.And(2f, 0f));
        Assert.Equal(1f, Scalar<float>.Or(0f, 5f));
        Assert.Equal(10f, Scalar<float>.Select(-7f, 10f, 20f));
        Assert.Equal(20f, Scalar<float>.Select(0f, 10f, 20f));
        Assert.Equal(20f, Scalar<float>.Select(-0f, 10f, 20f));
    }

    [Fact]
    public void Counts_and_acceleration_match_the_vector_types()
    {
        Assert.Equal(1, Scalar<float>.Count);
        Assert.Equal(4, Simd128<float>.Count);
        Assert.Equal(8, Simd256<float>.Count);
        Assert.Equal(16, Simd512<float>.Count);
        Assert.Equal(2, Simd128<double>.Count);
        Assert.Equal(4, Simd256<double>.Count);
        Assert.Equal(8, Simd512<double>.Count);
        Assert.True(Scalar<double>.IsHardwareAccelerated);
        Assert.Equal(Vector128.IsHardwareAccelerated, Simd128<float>.IsHardwareAccelerated);
        Assert.Equal(Vector256.IsHardwareAccelerated, Simd256<float>.IsHardwareAccelerated);
        Assert.Equal(Vector512.IsHardwareAccelerated, Simd512<double>.IsHardwareAccelerated);
    }

    /// <summary>Every pair of special values, then random values with some equal and some NaN lanes.</summary>
    private static (float[] A, float[] B, float[] C) FloatOperands()
    {
        float[] s = Inputs.FloatSpecials;
        var a = new List<float>();
        var b = new List<float>();
        var c = new List<float>();
        for (int i = 0; i < s.Length; i++)
        {
            for (int j = 0; j < s.Length; j++)
            {
                a.Add(s[i]);
                b.Add(s[j]);
                c.Add(s[(i + j) % s.Length]);
            }
        }

        var random = new Random(42);
        for (int i = 0; i < 20_000; i++)
        {
            float x = (float)(random.NextDouble() * 200 - 100);
            float y = random.Next(8) == 0 ? x : (float)(random.NextDouble() * 200 - 100);
            a.Add(x);
            b.Add(random.Next(50) == 0 ? float.NaN : y);
            c.Add((float)(random.NextDouble() * 6 - 3) + 0.5f * random.Next(-4, 5));
        }

        return ([.. a], [.. b], [.. c]);
    }

    private static bool SameFloat(float x, float y) =>
        BitConverter.SingleToInt32Bits(x) == BitConverter.SingleToInt32Bits(y) || (float.IsNaN(x) && float.IsNaN(y));

    private static T[] MapMaskExpression<T>(Width width, T[] a, T[] b, T[] c)
        where T : unmanaged
    {
        return width switch
        {
            Width.Scalar => MapMask<T, T, Scalar<T>>(a, b, c),
            Width.V128 => MapMask<Vector128<T>, T, Simd128<T>>(a, b, c),
            Width.V512 => MapMask<Vector512<T>, T, Simd512<T>>(a, b, c),
            _ => MapMask<Vector256<T>, T, Simd256<T>>(a, b, c),
        };
    }

    private static T[] MapMask<TVec, T, TSimd>(T[] a, T[] b, T[] c)
        where TVec : struct
        where T : unmanaged
        where TSimd : ISimd<TVec, T>
    {
        var result = new T[a.Length];
        int i = 0;
        for (; i + TSimd.Count <= a.Length; i += TSimd.Count)
        {
            TSimd.Store(Expression<TVec, T, TSimd>(TSimd.Load(a, i), TSimd.Load(b, i), TSimd.Load(c, i)), result, i);
        }

        for (; i < a.Length; i++)
        {
            result[i] = Expression<T, T, Scalar<T>>(a[i], b[i], c[i]);
        }

        return result;
    }

    /// <summary>Uses every comparison and every mask operation, selecting among a, b, c and a difference.</summary>
    private static TVec Expression<TVec, T, TSimd>(TVec a, TVec b, TVec c)
        where TVec : struct
        where T : unmanaged
        where TSimd : ISimd<TVec, T>
    {
        TVec first = TSimd.Or(TSimd.And(TSimd.LessThan(a, b), TSimd.Not(TSimd.Equal(b, c))), TSimd.GreaterThanOrEqual(c, a));
        TVec second = TSimd.And(TSimd.LessThanOrEqual(a, c), TSimd.Or(TSimd.GreaterThan(b, a), TSimd.NotEqual(a, a)));
        return TSimd.Select(first, TSimd.Select(second, a, b), TSimd.Select(TSimd.Not(second), c, TSimd.Subtract(b, c)));
    }
}
