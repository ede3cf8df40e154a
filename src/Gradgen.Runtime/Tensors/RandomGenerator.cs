namespace Gradgen;

/// <summary>
/// The one random number generator behind <see cref="Tensor.Rand(int[])"/>, <see cref="Tensor.Randn(int[])"/> and
/// every other random initialisation in Gradgen (PyTorch's default generator). <see cref="ManualSeed"/> makes runs
/// reproducible: the same seed gives the same numbers on every machine and .NET version (the algorithm is
/// xoshiro256** seeded through SplitMix64; normal values use the Box–Muller transform). The numbers differ from
/// PyTorch's. The generator is shared by all threads and guarded by a lock.
/// </summary>
/// <remarks>
/// Named so that it never hides <see cref="System.Random"/> in user code that has <c>using Gradgen;</c>.
/// </remarks>
public static class RandomGenerator
{
    /// <summary>The seed in force when the process starts (PyTorch's default seed).</summary>
    public const long DefaultSeed = 67280421310721;

    static readonly Lock gate = new();
    static ulong s0, s1, s2, s3;
    static long seed;

    static RandomGenerator() => ManualSeed(DefaultSeed);

    /// <summary>The seed last given to <see cref="ManualSeed"/> (or <see cref="DefaultSeed"/>).</summary>
    public static long InitialSeed
    {
        get { lock (gate) return seed; }
    }

    /// <summary>Restarts the generator from <paramref name="value"/> (PyTorch's <c>torch.manual_seed</c>).</summary>
    /// <param name="value">Any 64-bit value.</param>
    public static void ManualSeed(long value)
    {
        lock (gate)
        {
            seed = value;
            ulong x = unchecked((ulong)value);
            s0 = SplitMix(ref x);
            s1 = SplitMix(ref x);
            s2 = SplitMix(ref x);
            s3 = SplitMix(ref x);
        }
    }

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    static ulong Next()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    static double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Fills <paramref name="dst"/> with uniform values in [0, 1).</summary>
    internal static void FillUniform(Span<double> dst)
    {
        lock (gate)
            for (int i = 0; i < dst.Length; i++) dst[i] = NextDouble();
    }

    /// <summary>Fills <paramref name="dst"/> with uniform values in [0, 1) (24 random bits each).</summary>
    internal static void FillUniform(Span<float> dst)
    {
        lock (gate)
            for (int i = 0; i < dst.Length; i++) dst[i] = (Next() >> 40) * (1.0f / (1 << 24));
    }

    /// <summary>Fills <paramref name="dst"/> with standard normal values.</summary>
    internal static void FillNormal(Span<double> dst)
    {
        lock (gate)
        {
            for (int i = 0; i < dst.Length; i += 2)
            {
                double u1 = 1.0 - NextDouble(), u2 = NextDouble();
                double r = Math.Sqrt(-2.0 * Math.Log(u1)), theta = 2.0 * Math.PI * u2;
                dst[i] = r * Math.Cos(theta);
                if (i + 1 < dst.Length) dst[i + 1] = r * Math.Sin(theta);
            }
        }
    }

    /// <summary>An integer uniform in [low, high).</summary>
    internal static long NextLong(long low, long high)
    {
        lock (gate) return low + (long)(Next() % (ulong)(high - low));
    }
}
