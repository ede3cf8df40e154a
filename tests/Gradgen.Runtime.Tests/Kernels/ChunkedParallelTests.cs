using Gradgen.Kernels;

namespace Gradgen.Tests.Kernels;

/// <summary>The runtime's own parallel loop: every chunk runs exactly once, whoever calls and however they nest.</summary>
public class ChunkedParallelTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(7, 2)]
    [InlineData(64, 4)]
    public void EveryChunkRunsExactlyOnce(int chunks, int threads)
    {
        for (int round = 0; round < 200; round++)
        {
            var runs = new int[chunks];
            ChunkedParallel.Run(chunks, threads, c => Interlocked.Increment(ref runs[c]));
            Assert.All(runs, r => Assert.Equal(1, r));
        }
    }

    [Fact]
    public void EachThreadTakesItsOwnChunksFirst()
    {
        // On two threads the caller's chunks are the even ones and the worker's the odd ones, so that a core reads in
        // backward the rows it wrote in forward. Each chunk waits for its partner (0 with 1, 2 with 3) to start, so
        // both threads are busy until the other has claimed its next chunk: a thread that took another's chunk would
        // show. A region that ran on the caller alone (another test's region was running: one region at a time)
        // proves nothing, and is tried again.
        int caller = Environment.CurrentManagedThreadId;
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var threadOf = new int[4];
            var started = Enumerable.Range(0, 4).Select(_ => new ManualResetEventSlim()).ToArray();
            ChunkedParallel.Run(4, 2, c =>
            {
                threadOf[c] = Environment.CurrentManagedThreadId;
                started[c].Set();
                started[c ^ 1].Wait(TimeSpan.FromSeconds(2));
            });
            if (threadOf.All(t => t == caller))
            {
                continue;
            }

            Assert.Equal([caller, caller], new[] { threadOf[0], threadOf[2] });
            Assert.NotEqual(caller, threadOf[1]);
            Assert.Equal(threadOf[1], threadOf[3]);
            return;
        }

        Assert.Fail("Every attempt ran on the calling thread alone.");
    }

    [Fact]
    public void CallsFromSeveralThreadsAndNestedCallsAllComplete()
    {
        var total = 0;
        Parallel.For(0, 8, _ =>
        {
            for (int round = 0; round < 50; round++)
            {
                ChunkedParallel.Run(4, 2, c => ChunkedParallel.Run(3, 2, d => Interlocked.Increment(ref total)));
            }
        });
        Assert.Equal(8 * 50 * 4 * 3, total);
    }

    [Fact]
    public void AnExceptionInAChunkReachesTheCallerAfterTheOtherChunksRan()
    {
        var runs = 0;
        var error = Assert.Throws<AggregateException>(() => ChunkedParallel.Run(6, 2, c =>
        {
            Interlocked.Increment(ref runs);
            if (c == 3)
            {
                throw new InvalidOperationException("chunk 3");
            }
        }));
        Assert.Equal("chunk 3", error.InnerException!.Message);
        Assert.Equal(6, runs);

        // The pool is usable afterwards.
        var after = 0;
        ChunkedParallel.Run(5, 2, _ => Interlocked.Increment(ref after));
        Assert.Equal(5, after);
    }
}

/// <summary>GRADGEN_SPIN_MICROSECONDS: how long idle workers spin.</summary>
public class SpinSettingTests
{
    [Theory]
    [InlineData(null, 200)]
    [InlineData("0", 0)]
    [InlineData("50", 50)]
    [InlineData("1000000", 1_000_000)]
    [InlineData("-1", 200)]
    [InlineData("2000000", 200)]
    [InlineData("fast", 200)]
    public void TheSettingIsReadAsMicrosecondsWithASafeDefault(string? value, long expected) =>
        Assert.Equal(expected, ChunkedParallel.ParseSpinMicroseconds(value));
}
