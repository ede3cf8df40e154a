using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Gradgen.Kernels;

/// <summary>
/// Drives generated elementwise kernels over whole spans: the widest hardware-accelerated vectors
/// (<see cref="Vector512"/>, <see cref="Vector256"/> or <see cref="Vector128"/>), then a scalar tail, and above
/// <see cref="ParallelThreshold"/> elements contiguous chunks on several cores.
/// </summary>
/// <remarks>
/// Two environment variables, read once when the class is first used, override the defaults:
/// <list type="bullet">
/// <item><description><c>GRADGEN_MAX_VECTOR_BITS</c>: 512, 256 or 128 caps the vector width (the widest accelerated
/// width not above it is used); 0 runs scalar code only. Other values are ignored.</description></item>
/// <item><description><c>GRADGEN_NUM_THREADS</c>: the most threads one call uses (a positive integer; 1 disables
/// parallelism). Default <see cref="Environment.ProcessorCount"/>. Other values are ignored.</description></item>
/// </list>
/// The tail is scalar, not an overlapping last vector: a kernel may write its output over an input (in-place use),
/// and an overlapping vector would recompute elements from inputs it has already overwritten.
/// </remarks>
public static class Elementwise
{
    /// <summary>The environment variable that caps the vector width: 512, 256, 128, or 0 for scalar code.</summary>
    public const string MaxVectorBitsVariable = "GRADGEN_MAX_VECTOR_BITS";

    /// <summary>The environment variable that caps the number of threads one call uses; 1 disables parallelism.</summary>
    public const string NumThreadsVariable = "GRADGEN_NUM_THREADS";

    /// <summary>
    /// Lengths from which <see cref="Run{TKernel, TArgs, T}"/> splits the work over several cores.
    /// </summary>
    /// <remarks>
    /// Measured with a Stopwatch (best of at least 200 runs after warm-up, serial against the parallel path forced on)
    /// on the 2-core AMD EPYC (AVX-512, 512-bit vectors) build machine, for two float kernels at the ends of the range
    /// of cost per element:
    /// <list type="bullet">
    /// <item><description>y = sin(x)·eˣ, dy = (cos x + sin x)·eˣ (the shape of a generated forward-and-gradient
    /// kernel, 0.45 ns per element): parallel/serial time 0.4 at 8 192 elements, break-even near 16 384, 1.5× faster
    /// at 32 768, 1.7× at 65 536, 1.95× at 2²⁰;</description></item>
    /// <item><description>y = x·a + x (the cheapest kernel, 0.11 ns per element, memory-bound): 0.6 at 16 384,
    /// 0.88 at 32 768 (0.5 µs lost), 1.3× faster at 65 536, 1.8× at 2²⁰.</description></item>
    /// </list>
    /// The fixed cost of going parallel is about 3 µs. At 32 768 the expensive kernels already gain 1.5× and the
    /// cheapest lose half a microsecond, so that is the threshold; each chunk gets at least half of it.
    /// </remarks>
    public const int ParallelThreshold = 32_768;

    private static readonly int s_vectorBits = ChooseVectorBits(ParseMaxVectorBits(Environment.GetEnvironmentVariable(MaxVectorBitsVariable)));
    private static readonly int s_threads = ParseThreads(Environment.GetEnvironmentVariable(NumThreadsVariable)) ?? Environment.ProcessorCount;

    /// <summary>The vector width, in bits, the kernels run with here (0: scalar).</summary>
    public static int VectorBits => s_vectorBits;

    /// <summary>The most threads one call uses.</summary>
    public static int MaxThreads => s_threads;

    /// <summary>Runs <typeparamref name="TKernel"/> over <c>[0, length)</c>.</summary>
    /// <typeparam name="TKernel">The loop body.</typeparam>
    /// <typeparam name="TArgs">The kernel's spans; each must hold at least <paramref name="length"/> elements.</typeparam>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="args">The kernel's spans.</param>
    /// <param name="length">The number of elements.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public static void Run<TKernel, TArgs, T>(scoped ref readonly TArgs args, int length)
        where TKernel : IElementwiseKernel<TArgs, T>
        where TArgs : allows ref struct
        where T : unmanaged
    {
        RunWith<TKernel, TArgs, T>(in args, length, s_vectorBits, s_threads, ParallelThreshold);
    }

    /// <summary>
    /// <see cref="Run{TKernel, TArgs, T}"/> with explicit settings: the tests' hook for each
    /// width and for the parallel path. <paramref name="vectorBits"/> is used as given (512, 256, 128, else scalar).
    /// </summary>
    internal static void RunWith<TKernel, TArgs, T>(scoped ref readonly TArgs args, int length, int vectorBits, int threads, int parallelThreshold)
        where TKernel : IElementwiseKernel<TArgs, T>
        where TArgs : allows ref struct
        where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            ThrowUnsupportedType(typeof(T));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (threads > 1 && length >= parallelThreshold && length >= 2)
        {
            RunParallel<TKernel, TArgs, T>(in args, length, vectorBits, threads, parallelThreshold);
        }
        else
        {
            RunRange<TKernel, TArgs, T>(in args, 0, length, vectorBits);
        }
    }

    /// <summary>[start, end): whole vectors of the chosen width, then one element at a time.</summary>
    private static void RunRange<TKernel, TArgs, T>(scoped ref readonly TArgs args, int start, int end, int vectorBits)
        where TKernel : IElementwiseKernel<TArgs, T>
        where TArgs : allows ref struct
        where T : unmanaged
    {
        int i = start;
        if (vectorBits >= 512)
        {
            i = VectorLoop<TKernel, TArgs, T, Vector512<T>, Simd512<T>>(in args, i, end);
        }
        else if (vectorBits >= 256)
        {
            i = VectorLoop<TKernel, TArgs, T, Vector256<T>, Simd256<T>>(in args, i, end);
        }
        else if (vectorBits >= 128)
        {
            i = VectorLoop<TKernel, TArgs, T, Vector128<T>, Simd128<T>>(in args, i, end);
        }

        if (i < end)
        {
            ScalarLoop<TKernel, TArgs, T>(in args, i, end);
        }
    }

    // Each loop is its own method so that the register allocator sees one loop and the kernel inlined into it.
    // SkipLocalsInit: the cold paths of the inlined math keep lane copies on the stack, which need no zeroing.
    [MethodImpl(MethodImplOptions.NoInlining)]
    [SkipLocalsInit]
    private static int VectorLoop<TKernel, TArgs, T, TVec, TSimd>(scoped ref readonly TArgs args, int i, int end)
        where TKernel : IElementwiseKernel<TArgs, T>
        where TArgs : allows ref struct
        where T : unmanaged
        where TVec : struct
        where TSimd : ISimd<TVec, T>
    {
        int last = end - TSimd.Count;
        for (; i <= last; i += TSimd.Count)
        {
            TKernel.Invoke<TVec, TSimd>(in args, i);
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ScalarLoop<TKernel, TArgs, T>(scoped ref readonly TArgs args, int i, int end)
        where TKernel : IElementwiseKernel<TArgs, T>
        where TArgs : allows ref struct
        where T : unmanaged
    {
        for (; i < end; i++)
        {
            TKernel.Invoke<T, Scalar<T>>(in args, i);
        }
    }

    /// <summary>
    /// Splits [0, length) into contiguous chunks, each a multiple of 64 bytes of elements (a whole number of vectors
    /// of every width, and no cache line shared by two threads' outputs when the spans are aligned), and runs them
    /// with <see cref="ChunkedParallel"/>; the calling thread takes part and waits for the rest.
    /// </summary>
    /// <remarks>
    /// <typeparamref name="TArgs"/> is a ref struct and cannot be captured, so the workers get its address. That is
    /// safe because it lives in a caller's stack frame, which stays alive while this call waits, and the caller's
    /// frame reports the spans inside it to the GC (a local whose address is taken is reported for the whole method),
    /// so a compacting GC during the call updates those references there; each worker reads the spans through the
    /// pointer into its own frame, where the GC reports and updates them too.
    /// </remarks>
    private static unsafe void RunParallel<TKernel, TArgs, T>(scoped ref readonly TArgs args, int length, int vectorBits, int threads, int parallelThreshold)
        where TKernel : IElementwiseKernel<TArgs, T>
        where TArgs : allows ref struct
        where T : unmanaged
    {
        int granule = 64 / Unsafe.SizeOf<T>();
        int minimumChunk = Math.Max(granule, parallelThreshold / 2);
        int chunks = (int)Math.Min(threads, Math.Max(1L, (long)length / minimumChunk));
        long chunkLength = ((long)length + chunks - 1) / chunks;
        chunkLength = (chunkLength + granule - 1) / granule * granule;
        chunks = (int)(((long)length + chunkLength - 1) / chunkLength);
        if (chunks <= 1)
        {
            RunRange<TKernel, TArgs, T>(in args, 0, length, vectorBits);
            return;
        }

        void* address = Unsafe.AsPointer(ref Unsafe.AsRef(in args));
        var work = new ParallelWork<TKernel, TArgs, T>(address, length, (int)chunkLength, vectorBits);
        ChunkedParallel.Run(chunks, threads, work.RunChunk);

        // Keeps the reference to the caller's frame alive in this frame until every worker is done.
        GC.KeepAlive(work);
    }

    private sealed unsafe class ParallelWork<TKernel, TArgs, T>(void* args, int length, int chunkLength, int vectorBits)
        where TKernel : IElementwiseKernel<TArgs, T>
        where TArgs : allows ref struct
        where T : unmanaged
    {
        public void RunChunk(int chunk)
        {
            int start = chunk * chunkLength;
            int end = (int)Math.Min(length, (long)start + chunkLength);
            RunRange<TKernel, TArgs, T>(in Unsafe.AsRef<TArgs>(args), start, end, vectorBits);
        }
    }

    /// <summary>The widest accelerated width not above <paramref name="maxBits"/>; 0 for scalar code.</summary>
    internal static int ChooseVectorBits(int maxBits)
    {
        if (maxBits >= 512 && Vector512.IsHardwareAccelerated)
        {
            return 512;
        }

        if (maxBits >= 256 && Vector256.IsHardwareAccelerated)
        {
            return 256;
        }

        if (maxBits >= 128 && Vector128.IsHardwareAccelerated)
        {
            return 128;
        }

        return 0;
    }

    /// <summary><c>GRADGEN_MAX_VECTOR_BITS</c>: 512, 256, 128 or 0; anything else (or unset) means no cap (512).</summary>
    internal static int ParseMaxVectorBits(string? value)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int bits) && bits is 512 or 256 or 128 or 0)
        {
            return bits;
        }

        return 512;
    }

    /// <summary><c>GRADGEN_NUM_THREADS</c>: a positive integer, or null (unset or invalid).</summary>
    internal static int? ParseThreads(string? value)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int threads) && threads > 0)
        {
            return threads;
        }

        return null;
    }

    [DoesNotReturn]
    private static void ThrowUnsupportedType(Type type) =>
        throw new NotSupportedException($"Elementwise kernels run over float or double elements, not {type}.");
}
