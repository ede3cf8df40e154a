using System.Runtime.Intrinsics;
using Gradgen.Kernels;

namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>
/// The driver at each width (through the internal <c>RunWith</c> hook; the environment variables are read once per
/// process), serial and parallel, against a scalar loop over the same kernel.
/// </summary>
public sealed class ElementwiseTests
{
    private const int Serial = int.MaxValue;

    /// <summary>Vector widths in bits (0: scalar) × (threads, parallel threshold).</summary>
    public static TheoryData<int, int, int> Configurations()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int bits in new[] { 0, 128, 256, 512 })
        {
            data.Add(bits, 1, Serial);
            data.Add(bits, 3, 40);
            data.Add(bits, 8, 1000);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_length_up_to_256_matches_the_scalar_loop(int bits, int threads, int threshold)
    {
        for (int length = 0; length <= 256; length++)
        {
            CheckRational<float>(length, bits, threads, threshold, seed: length);
            CheckRational<double>(length, bits, threads, threshold, seed: length);
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void A_million_and_three_match_the_scalar_loop(int bits, int threads, int threshold)
    {
        CheckRational<float>(1_000_003, bits, threads, threshold == Serial ? Serial : 100_000, seed: 7);
        CheckRational<double>(1_000_003, bits, threads, threshold == Serial ? Serial : 100_000, seed: 8);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void In_place_equals_out_of_place(int bits, int threads, int threshold)
    {
        foreach (int length in Enumerable.Range(0, 257).Append(100_003))
        {
            (float[] x, float[] a) = Operands<float>(length, seed: length);
            var expected = new float[length];
            var outOfPlace = new RationalArgs<float> { X = x, A = a, Y = expected };
            Elementwise.RunWith<RationalKernel<float>, RationalArgs<float>, float>(in outOfPlace, length, bits, threads, threshold);

            var inPlace = new RationalArgs<float> { X = x, A = a, Y = x };
            Elementwise.RunWith<RationalKernel<float>, RationalArgs<float>, float>(in inPlace, length, bits, threads, threshold);
            Assert.Equal(expected, x);
        }
    }

    // The vector functions differ from MathF by a few ulps (docs/vector-math.md), so the comparison allows 1e-6 of the
    // magnitude of the terms (cos x + sin x may cancel, hence |cos| + |sin| rather than the result).
    [Theory]
    [MemberData(nameof(Configurations))]
    public void A_sin_exp_kernel_matches_the_scalar_loop(int bits, int threads, int threshold)
    {
        foreach (int length in Enumerable.Range(0, 257).Append(1_000_003))
        {
            float[] x = Inputs.Uniform(length, -20f, 10f, length);
            var y = new float[length];
            var dy = new float[length];
            var args = new SinExpArgs { X = x, Y = y, Dy = dy };
            Elementwise.RunWith<SinExpKernel, SinExpArgs, float>(in args, length, bits, threads, threshold);
            for (int i = 0; i < length; i++)
            {
                double sin = Math.Sin(x[i]), cos = Math.Cos(x[i]), exp = Math.Exp(x[i]);
                double scale = (Math.Abs(sin) + Math.Abs(cos)) * exp;
                Assert.True(Math.Abs(y[i] - sin * exp) <= 1e-6 * scale, $"y[{i}] of {length} at {bits} bits: {y[i]} vs {sin * exp}");
                Assert.True(Math.Abs(dy[i] - (cos + sin) * exp) <= 1e-6 * scale, $"dy[{i}] of {length} at {bits} bits");
            }
        }
    }

    /// <summary>
    /// The workers reach the caller's spans through a pointer to its frame. Compacting collections during the run move
    /// the (small-object-heap) arrays; the spans in the caller's frame and in the workers' frames must follow them.
    /// </summary>
    [Fact]
    public void The_parallel_path_survives_compacting_collections()
    {
        for (int round = 0; round < 3; round++)
        {
            const int length = 20_000;
            float[] x = Inputs.Uniform(round, -1f, 1f, length);
            var y = new float[length];
            int generationBefore = GC.GetGeneration(y);
            var args = new RationalArgs<float> { X = x, A = x, Y = y };
            Elementwise.RunWith<CollectingKernel, RationalArgs<float>, float>(in args, length, vectorBits: 256, threads: 4, parallelThreshold: 1000);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(x[i] + x[i], y[i]);
            }

            Assert.True(GC.GetGeneration(y) > generationBefore || generationBefore == GC.MaxGeneration);
        }
    }

    [Fact]
    public void The_public_entry_point_uses_the_configured_width_and_threads()
    {
        Assert.Equal(Elementwise.ChooseVectorBits(Elementwise.ParseMaxVectorBits(Environment.GetEnvironmentVariable(Elementwise.MaxVectorBitsVariable))), Elementwise.VectorBits);
        Assert.Equal(Elementwise.ParseThreads(Environment.GetEnvironmentVariable(Elementwise.NumThreadsVariable)) ?? Environment.ProcessorCount, Elementwise.MaxThreads);
        foreach (int length in new[] { 0, 1, 17, 1000, Elementwise.ParallelThreshold + 5, 300_001 })
        {
            (float[] x, float[] a) = Operands<float>(length, seed: 3);
            var expected = new float[length];
            var scalarArgs = new RationalArgs<float> { X = x, A = a, Y = expected };
            Elementwise.RunWith<RationalKernel<float>, RationalArgs<float>, float>(in scalarArgs, length, 0, 1, Serial);
            var actual = new float[length];
            var args = new RationalArgs<float> { X = x, A = a, Y = actual };
            Elementwise.Run<RationalKernel<float>, RationalArgs<float>, float>(in args, length);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Settings_parse_as_documented()
    {
        Assert.Equal(512, Elementwise.ParseMaxVectorBits(null));
        Assert.Equal(512, Elementwise.ParseMaxVectorBits(""));
        Assert.Equal(512, Elementwise.ParseMaxVectorBits("wide"));
        Assert.Equal(512, Elementwise.ParseMaxVectorBits("64"));
        Assert.Equal(512, Elementwise.ParseMaxVectorBits("512"));
        Assert.Equal(256, Elementwise.ParseMaxVectorBits("256"));
        Assert.Equal(128, Elementwise.ParseMaxVectorBits(" 128 "));
        Assert.Equal(0, Elementwise.ParseMaxVectorBits("0"));
        Assert.Null(Elementwise.ParseThreads(null));
        Assert.Null(Elementwise.ParseThreads("0"));
        Assert.Null(Elementwise.ParseThreads("-2"));
        Assert.Null(Elementwise.ParseThreads("many"));
        Assert.Equal(1, Elementwise.ParseThreads("1"));
        Assert.Equal(12, Elementwise.ParseThreads("12"));

        Assert.Equal(0, Elementwise.ChooseVectorBits(0));
        Assert.Equal(Vector128.IsHardwareAccelerated ? 128 : 0, Elementwise.ChooseVectorBits(128));
        int widest = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;
        Assert.Equal(widest, Elementwise.ChooseVectorBits(512));
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var args = new RationalArgs<float>();
            Elementwise.Run<RationalKernel<float>, RationalArgs<float>, float>(in args, -1);
        });
        Assert.Throws<NotSupportedException>(() =>
        {
            var args = new RationalArgs<int>();
            Elementwise.Run<RationalKernel<int>, RationalArgs<int>, int>(in args, 4);
        });
    }

    private static void CheckRational<T>(int length, int bits, int threads, int threshold, int seed)
        where T : unmanaged
    {
        (T[] x, T[] a) = Operands<T>(length, seed);
        var expected = new T[length];
        var scalarArgs = new RationalArgs<T> { X = x, A = a, Y = expected };
        for (int i = 0; i < length; i++)
        {
            RationalKernel<T>.Invoke<T, Scalar<T>>(in scalarArgs, i);
        }

        // One more element than the kernel is told about: it must stay untouched.
        var actual = new T[length + 1];
        var args = new RationalArgs<T> { X = x, A = a, Y = actual.AsSpan(0, length) };
        Elementwise.RunWith<RationalKernel<T>, RationalArgs<T>, T>(in args, length, bits, threads, threshold);
        Assert.Equal(expected, actual.AsSpan(0, length).ToArray());
        Assert.Equal(default, actual[length]);
    }

    private static (T[] X, T[] A) Operands<T>(int length, int seed)
        where T : unmanaged
    {
        float[] x = Inputs.Uniform(seed, -50f, 50f, length);
        float[] a = Inputs.Uniform(seed + 1, -3f, 3f, length);
        if (typeof(T) == typeof(float))
        {
            return ((T[])(object)x, (T[])(object)a);
        }

        return ((T[])(object)x.Select(v => v * (1 + 1e-9)).ToArray(), (T[])(object)Inputs.ToDouble(a));
    }
}
