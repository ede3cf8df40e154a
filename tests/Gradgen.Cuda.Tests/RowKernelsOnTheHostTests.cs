using System.Diagnostics;
using System.Runtime.InteropServices;
using Gradgen.EndToEnd.Tests.Loops;

namespace Gradgen.Cuda.Tests;

/// <summary>
/// Runs generated row kernels (<c>FRowsCudaSource</c>) on the CPU: the CUDA source compiled as C++ by the host's g++
/// with a few lines that make CUDA's words plain C++ (one thread, so each kernel's loop runs every row of its launch),
/// then called from here as the runtime launches them on a GPU: a tape of a given capacity per row, run again with
/// the capacity a row reports, and rows in chunks. NVRTC checks that the sources compile (CudaSourceCorpusTests);
/// this checks what they compute, without a GPU: values and gradients against the C# of the same method. Skipped
/// where there is no g++.
/// </summary>
public sealed unsafe class RowKernelsOnTheHostTests
{
    /// <summary>CUDA's qualifiers, built-in variables and intrinsics that the row kernels use, in C++.</summary>
    private const string Shim = """
        #include <cmath>
        #include <cstring>
        #define __device__
        #define __global__
        #define __forceinline__ inline
        #define __restrict__
        struct gg_dim3 { unsigned x; };
        static const gg_dim3 threadIdx = {0}, blockIdx = {0}, blockDim = {1}, gridDim = {1};
        static unsigned long long atomicMax(unsigned long long* a, unsigned long long v) { unsigned long long o = *a; if (v > o) *a = v; return o; }
        static double __longlong_as_double(long long v) { double d; memcpy(&d, &v, 8); return d; }
        static float __int_as_float(int v) { float f; memcpy(&f, &v, 4); return f; }
        """;

    // MatVecByDot calls Dot per output and Norm, which calls Dot: callees composed two deep, slices, a span output.
    [SkippableFact]
    public void ACallersRowKernelsComputeTheCSharpValuesAndGradientsThroughTheRelaunchAndChunks()
    {
        const int rows = 5, n = 4, m = 3;
        var library = Compile(LoopCorpus.MatVecByDotRowsCudaSource);
        var forward = (delegate* unmanaged<double*, double*, double*, long*, ulong*, long, long, long, long, int, int, int, void>)NativeLibrary.GetExport(library, "MatVecByDot_rows_forward");
        var backward = (delegate* unmanaged<double*, double*, double*, double*, double*, long*, ulong*, long, long, long, long, int, int, int, void>)NativeLibrary.GetExport(library, "MatVecByDot_rows_backward");
        var rng = new Random(3);
        double[] a = Random(rng, rows * m * n), x = Random(rng, rows * n), dy = Random(rng, rows * m);
        double[] y = Pinned<double>(rows * m), da = Pinned<double>(a.Length), dx = Pinned<double>(x.Length);

        // The forward needs no tape (no local arrays); the backward starts at none and runs in chunks of two rows.
        var launches = new List<(long Capacity, int First, int Count)>();
        Launch(rows, 0, int.MaxValue, (tape, needed, capacity, first, count) => forward(At(a), At(x), At(y), tape, needed, m * n, n, m, capacity, rows, first, count));
        Launch(rows, 0, 2, (tape, needed, capacity, first, count) =>
        {
            launches.Add((capacity, first, count));
            backward(At(a), At(x), At(dy), At(da), At(dx), tape, needed, m * n, n, m, capacity, rows, first, count);
        });

        for (int r = 0; r < rows; r++)
        {
            double[] expectedY = new double[m], expectedDa = new double[m * n], expectedDx = new double[n];
            LoopCorpus.MatVecByDot(a.AsSpan(r * m * n, m * n), x.AsSpan(r * n, n), expectedY);
            LoopCorpus.MatVecByDotBackward(a.AsSpan(r * m * n, m * n), x.AsSpan(r * n, n), dy.AsSpan(r * m, m), expectedDa, expectedDx);
            Close(expectedY, y.AsSpan(r * m, m));
            Close(expectedDa, da.AsSpan(r * m * n, m * n));
            Close(expectedDx, dx.AsSpan(r * n, n));
        }

        // The first launch had no tape: its rows reported their need (the callees' pushes included) and ran again.
        Assert.Equal((0L, 0, 2), launches[0]);
        Assert.True(launches.Count > 3, $"{launches.Count} launches");
        Assert.Equal(rows, launches.GroupBy(l => l.First).Sum(g => g.Last().Count));
    }

    // In float a callee's gradient block of an odd length is rounded up to whole 8-byte words, pushed and popped alike.
    [SkippableFact]
    public void AFloatCallersGradientBlocksOfOddLengthsComeBackWhole()
    {
        const int rows = 3, n = 5, m = 3;
        var library = Compile(LoopCorpusF.MatVecByDotRowsCudaSource);
        var backward = (delegate* unmanaged<float*, float*, float*, float*, float*, long*, ulong*, long, long, long, long, int, int, int, void>)NativeLibrary.GetExport(library, "MatVecByDot_rows_backward");
        var rng = new Random(5);
        float[] a = Floats(Random(rng, rows * m * n)), x = Floats(Random(rng, rows * n)), dy = Floats(Random(rng, rows * m));
        float[] da = Pinned<float>(a.Length), dx = Pinned<float>(x.Length);

        Launch(rows, 0, rows, (tape, needed, capacity, first, count) => backward(At(a), At(x), At(dy), At(da), At(dx), tape, needed, m * n, n, m, capacity, rows, first, count));

        for (int r = 0; r < rows; r++)
        {
            float[] expectedDa = new float[m * n], expectedDx = new float[n];
            LoopCorpusF.MatVecByDotBackward(a.AsSpan(r * m * n, m * n), x.AsSpan(r * n, n), dy.AsSpan(r * m, m), expectedDa, expectedDx);
            Close([.. expectedDa.Select(v => (double)v)], [.. da.AsSpan(r * m * n, m * n).ToArray().Select(v => (double)v)], 1e-5);
            Close([.. expectedDx.Select(v => (double)v)], [.. dx.AsSpan(r * n, n).ToArray().Select(v => (double)v)], 1e-5);
        }
    }

    // A value per row and an index per row (the label), through a call of LogSumExp (running maximum, branches).
    [SkippableFact]
    public void AValuePerRowThroughACallAndALabelPerRowIsTheCSharps()
    {
        const int rows = 6, n = 7;
        var library = Compile(LoopCorpus.CrossEntropyByLogSumExpRowsCudaSource);
        var forward = (delegate* unmanaged<double*, long*, double*, long*, ulong*, long, long, int, int, int, void>)NativeLibrary.GetExport(library, "CrossEntropyByLogSumExp_indexed_rows_forward");
        var backward = (delegate* unmanaged<double*, long*, double*, double*, long*, ulong*, long, long, int, int, int, void>)NativeLibrary.GetExport(library, "CrossEntropyByLogSumExp_indexed_rows_backward");
        var rng = new Random(4);
        double[] logits = Random(rng, rows * n), gradOut = Random(rng, rows), value = Pinned<double>(rows), dlogits = Pinned<double>(logits.Length);
        long[] labels = Pinned<long>(rows);
        for (int r = 0; r < rows; r++)
        {
            labels[r] = r * 3 % n;
        }

        Launch(rows, 0, int.MaxValue, (tape, needed, capacity, first, count) => forward(At(logits), At(labels), At(value), tape, needed, n, capacity, rows, first, count));
        Launch(rows, 1, 4, (tape, needed, capacity, first, count) => backward(At(logits), At(labels), At(gradOut), At(dlogits), tape, needed, n, capacity, rows, first, count));

        for (int r = 0; r < rows; r++)
        {
            double[] expected = new double[n];
            double expectedValue = LoopCorpus.CrossEntropyByLogSumExpWithGradient(logits.AsSpan(r * n, n), (int)labels[r], expected);
            Close([expectedValue], value.AsSpan(r, 1));
            Close([.. expected.Select(g => g * gradOut[r])], dlogits.AsSpan(r * n, n));
        }
    }

    private delegate void Kernel(long* tape, ulong* needed, long capacity, int first, int count);

    /// <summary>
    /// As the runtime's DeviceRows: the rows in chunks of at most <paramref name="chunk"/>, each launched with a tape of
    /// the capacity per row known so far and run again with at least twice that while a row reports it needs more.
    /// </summary>
    private static void Launch(int rows, long capacity, int chunk, Kernel kernel)
    {
        for (int first = 0, relaunches = 0; first < rows;)
        {
            int count = Math.Min(chunk, rows - first);
            long[] tape = Pinned<long>((int)Math.Max(1, count * capacity));
            ulong[] needed = Pinned<ulong>(1);
            kernel(At(tape), At(needed), capacity, first, count);

            if ((long)needed[0] <= capacity)
            {
                first += count;
                continue;
            }

            Assert.True(++relaunches < 64, $"still full at {capacity} words per row");
            capacity = Math.Max((long)needed[0], 2 * capacity);
        }
    }

    /// <summary>The source compiled by g++ into a shared library, loaded; skips where there is no g++.</summary>
    private static nint Compile(string source)
    {
        string directory = Path.Combine(Path.GetTempPath(), "gradgen-host-rows-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string file = Path.Combine(directory, "rows.cpp"), library = Path.Combine(directory, "rows.so");
        File.WriteAllText(file, Shim + "\n" + source);
        (int exit, string output) = Run("g++", $"-shared -fPIC -O1 -w -o \"{library}\" \"{file}\"");
        Skip.If(exit == -1, "g++ is not installed: the row kernels cannot run on the host");
        Assert.True(exit == 0, $"g++ does not compile the row kernels as C++:\n{output}");
        return NativeLibrary.Load(library);
    }

    private static (int Exit, string Output) Run(string program, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            string output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, string.Empty);
        }
    }

    private static double[] Random(Random rng, int count)
    {
        double[] values = Pinned<double>(count);
        for (int i = 0; i < count; i++)
        {
            values[i] = (rng.NextDouble() * 4) - 2;
        }

        return values;
    }

    private static float[] Floats(double[] values)
    {
        float[] floats = Pinned<float>(values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            floats[i] = (float)values[i];
        }

        return floats;
    }

    /// <summary>An array the garbage collector never moves, so the kernels can take its address.</summary>
    private static T[] Pinned<T>(int count) => GC.AllocateArray<T>(count, pinned: true);

    private static T* At<T>(T[] pinned)
        where T : unmanaged => (T*)Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0);

    /// <summary>
    /// Within <paramref name="tolerance"/> relative (1e-12 in double): the same operations, in the same order but for
    /// the C#'s vectorised sums.
    /// </summary>
    private static void Close(double[] expected, ReadOnlySpan<double> actual, double tolerance = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"[{i}] expected {expected[i]}, got {actual[i]}");
        }
    }
}
