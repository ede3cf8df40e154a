namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>Deterministic input sets for the accuracy sweeps.</summary>
internal static class Inputs
{
    /// <summary>IEEE special values and boundaries that every function must get right.</summary>
    public static readonly float[] FloatSpecials =
    [
        0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN,
        float.Epsilon, -float.Epsilon, 1e-40f, -1e-40f, 1.17549435e-38f, -1.17549435e-38f, 1e-30f, -1e-30f,
        1e-10f, -1e-10f, 1e-4f, -1e-4f, 0.5f, -0.5f, 1f, -1f, 2f, -2f, 3f, -3f, 10f, -10f,
        MathF.PI / 2, -MathF.PI / 2, MathF.PI, -MathF.PI, 88.72f, 88.73f, 89.4f, 89.42f, -87.3f, -103f, -104f, -105f,
        8192f, -8192f, 8193f, 262144f, -262144f, 262145f, 1e6f, -1e6f, 1e20f, -1e20f, 1e30f, -1e30f, float.MaxValue, float.MinValue,
        0.99999994f, -0.99999994f, 1.0000001f, -1.0000001f, 0.625f, -0.625f,
    ];

    public static readonly double[] DoubleSpecials =
    [
        0d, -0d, double.PositiveInfinity, double.NegativeInfinity, double.NaN,
        double.Epsilon, -double.Epsilon, 1e-310, -1e-310, 2.2250738585072014e-308, 1e-200, -1e-200,
        1e-10, -1e-10, 0.5, -0.5, 1, -1, 2, -2, 10, -10, Math.PI / 2, -Math.PI / 2, Math.PI, 700, 709.7, 709.8, -708, -745, -746,
        1e6, -1e6, 1e15, -1e15, 1e20, 1e300, -1e300, double.MaxValue, double.MinValue,
    ];

    public static float[] Linspace(float from, float to, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(from + (to - (double)from) * i / (count - 1));
        }

        return values;
    }

    public static float[] Uniform(int seed, float from, float to, int count)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(from + (to - (double)from) * random.NextDouble());
        }

        return values;
    }

    /// <summary>Uniform over bit patterns: every binade (subnormals included) equally likely; finite, given sign.</summary>
    public static float[] RandomBits(int seed, int count, bool negativeToo, uint maxBits = 0x7f7f_ffff)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            uint bits = (uint)random.NextInt64(1, (long)maxBits + 1);
            if (negativeToo && random.Next(2) == 1)
            {
                bits |= 0x8000_0000;
            }

            values[i] = BitConverter.UInt32BitsToSingle(bits);
        }

        return values;
    }

    /// <summary>
    /// The floats nearest to k·π/2 for k in [1, kMax] (every <paramref name="step"/>th k) and their neighbours
    /// ±<paramref name="spread"/> ulps, both signs: where sin, cos or tan is smallest and the reduction is tested hardest.
    /// </summary>
    public static float[] NearMultiplesOfHalfPi(int kMax, int spread, int step = 1)
    {
        var values = new List<float>();
        for (int k = 1; k <= kMax; k += step)
        {
            float x = (float)(k * (Math.PI / 2));
            for (int d = -spread; d <= spread; d++)
            {
                float y = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(x) + d);
                values.Add(y);
                values.Add(-y);
            }
        }

        return [.. values];
    }

    /// <summary>1 ± k ulps, where logarithms are small and relative accuracy is hardest.</summary>
    public static float[] NearOne(int count)
    {
        var values = new List<float>();
        for (int k = 1; k <= count; k++)
        {
            values.Add(BitConverter.Int32BitsToSingle(0x3f80_0000 + k));
            values.Add(BitConverter.Int32BitsToSingle(0x3f80_0000 - k));
        }

        return [.. values];
    }

    public static float[] Concat(params float[][] sets) => [.. sets.SelectMany(s => s)];

    public static double[] ToDouble(float[] values) => [.. values.Select(v => (double)v)];
}
