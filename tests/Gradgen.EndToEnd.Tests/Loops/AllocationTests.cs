namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// A warm call of a generated gradient allocates nothing on the managed heap: the tape is pooled per thread, and the
/// memory a call needs for itself (local arrays, the outputs <c>FBackward</c> computes into, a callee's kept
/// gradient) is scratch memory the pooled tape keeps between calls (<c>ReverseTape.Scratch</c>, <c>PushZeroed</c>).
/// The bound is exactly 0 bytes: nothing in these calls depends on the input's values for its memory, and the sizes
/// repeat from the warm-up calls, so any allocation is a buffer made per call.
/// </summary>
public sealed class AllocationTests
{
    public static TheoryData<int> Lengths => new() { 1, 9, 1000 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ALocalArrayIsScratchMemoryOfThePooledTape(int n)
    {
        double[] x = Values(n);
        var dx = new double[n];
        AllocatesNothing(() => LoopCorpus.SquaredPrefixSumsWithGradient(x, dx));
        AllocatesNothing(() => ScratchCorpus.AccumulatedTwiceWithGradient(x, dx));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void TheOutputsOfAVectorJacobianProductAreScratchMemory(int n)
    {
        double[] x = Values(n);
        double[] dy = Values(n).Reverse().ToArray();
        var dx = new double[n];
        AllocatesNothing(() => LoopCorpus.SoftmaxBackward(x, dy, dx));
        AllocatesNothing(() => LoopCorpus.CumulativeProductBackward(x, dy, dx));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void TapedLoopsAndACalleesKeptGradientAllocateNothing(int n)
    {
        double[] x = Values(n);
        double[] a = Values(3 * n);
        var dx = new double[n];
        var da = new double[3 * n];
        AllocatesNothing(() => LoopCorpus.RnnWithGradient(x, 0.5, 0.25, 0.1, dx, out _, out _, out _));
        AllocatesNothing(() => LoopCorpus.RowDotWithGradient(a, x, 2, da, dx));
        AllocatesNothing(() => LoopCorpus.NormWithGradient(x, dx));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ScratchMemoryStartsZeroedInEveryCall(int n)
    {
        // The local array is accumulated into (buffer[i] += …): memory left from the previous call would add to it.
        double[] x = Values(n);
        var dx = new double[n];
        double expected = x.Sum(v => 2 * v * v * v);
        for (int call = 0; call < 3; call++)
        {
            Assert.Equal(expected, ScratchCorpus.AccumulatedTwiceWithGradient(x, dx), 10);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(6 * x[i] * x[i], dx[i], 10);
            }
        }
    }

    /// <summary>Warms <paramref name="call"/> up (JIT, the tape's pool and its growth), then checks that one more call allocates nothing.</summary>
    private static void AllocatesNothing(Action call)
    {
        for (int i = 0; i < 3; i++)
        {
            call();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        call();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"a warm call allocated {allocated} bytes");
    }

    private static double[] Values(int n) => Enumerable.Range(0, n).Select(i => 0.3 + (0.01 * (i % 17))).ToArray();
}

/// <summary>Methods whose local arrays tell whether scratch memory is zeroed in every call.</summary>
public static partial class ScratchCorpus
{
    /// <summary>Σ 2xᵢ³, through a local array that each element is added to twice.</summary>
    [Differentiable]
    public static double AccumulatedTwice(ReadOnlySpan<double> x)
    {
        Span<double> buffer = stackalloc double[x.Length];
        for (int k = 0; k < 2; k++)
        {
            for (int i = 0; i < x.Length; i++)
            {
                buffer[i] += x[i] * x[i];
            }
        }

        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            s += buffer[i] * x[i];
        }

        return s;
    }
}
