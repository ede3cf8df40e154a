namespace Gradgen.Kernels;

/// <summary>
/// Runs a few chunks of work on the calling thread and thread-pool workers that claim chunks as they arrive: the
/// caller starts at once and takes whatever no worker has claimed, so a worker that wakes late (a busy machine)
/// costs nothing, and a call never waits for a worker that has not started. For work of a few microseconds per
/// chunk, where <see cref="Parallel.For(int, int, Action{int})"/>'s fixed cost is larger than the work.
/// </summary>
internal sealed class ChunkedParallel : IThreadPoolWorkItem
{
    private readonly Action<int> body;
    private readonly int chunks;
    private int next;
    private int finished;
    private Exception? error;

    private ChunkedParallel(Action<int> body, int chunks)
    {
        this.body = body;
        this.chunks = chunks;
    }

    /// <summary>Runs <paramref name="body"/> for chunks 0 … <paramref name="chunks"/> − 1 with up to <paramref name="threads"/> threads, and returns when all are done.</summary>
    public static void Run(int chunks, int threads, Action<int> body)
    {
        if (chunks <= 1 || threads <= 1)
        {
            for (int c = 0; c < chunks; c++)
            {
                body(c);
            }

            return;
        }

        var work = new ChunkedParallel(body, chunks);
        for (int w = 1; w < Math.Min(threads, chunks); w++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        }

        work.Execute();

        // What is left are chunks that workers claimed and are running: wait for them, spinning first (they take
        // microseconds).
        var spinner = default(SpinWait);
        while (Volatile.Read(ref work.finished) < chunks)
        {
            spinner.SpinOnce();
        }

        if (work.error is { } e)
        {
            throw new AggregateException(e);
        }
    }

    /// <summary>Claims and runs chunks until none is left.</summary>
    public void Execute()
    {
        int chunk;
        while ((chunk = Interlocked.Increment(ref next) - 1) < chunks)
        {
            try
            {
                body(chunk);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref error, e, null);
            }
            finally
            {
                Interlocked.Increment(ref finished);
            }
        }
    }
}
