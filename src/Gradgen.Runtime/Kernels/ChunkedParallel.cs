using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Gradgen.Kernels;

/// <summary>
/// Runs a few chunks of work on the calling thread and on Gradgen's own worker threads. Each thread runs its own
/// chunks first (the caller chunks 0, T, 2T, …, worker k chunks k, k + T, …), so that the same core gets the same rows
/// from one region to the next, then takes whatever nobody has claimed: the caller starts at once, a late worker costs
/// nothing and a call never waits for a worker that has not started. The workers spin for a short while after each call before
/// they sleep (as OpenMP's do), so that the next parallel region of an eager computation — an operation a few hundred
/// microseconds after the last — finds them awake; <see cref="Parallel.For(int, int, Action{int})"/> and thread-pool
/// work items woke a worker too late for such work (docs/benchmarks.md §2.5).
/// </summary>
/// <remarks>
/// One parallel region runs at a time: a call made while another is running (another user thread, or a chunk that
/// itself goes parallel) runs its chunks on its own thread. The workers are background threads, created on first use,
/// one fewer than the thread count asked for.
/// </remarks>
internal sealed class ChunkedParallel
{
    /// <summary>The environment variable that sets how long idle workers spin, in microseconds (0: they block at once).</summary>
    public const string SpinVariable = "GRADGEN_SPIN_MICROSECONDS";

    // How long an idle worker spins for the next region before it blocks. Long enough to bridge the gap between two
    // eager operations, short enough that an idle process gives its cores back within a fraction of a millisecond.
    private const int DefaultSpinMicroseconds = 200;

    // How long the caller spins plainly for the workers' last chunks before it backs off: far longer than a chunk.
    private static readonly long PlainSpinTicks = Stopwatch.Frequency / 20_000;

    private static readonly long SpinTicks = Stopwatch.Frequency * ParseSpinMicroseconds(Environment.GetEnvironmentVariable(SpinVariable)) / 1_000_000;

    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static Thread[] workers = [];
    private static ChunkedParallel? current;
    private static long generation;
    private static int sleepers;
    private static int busy;

    private readonly Action<int> body;
    private readonly int chunks;
    private readonly int participants;
    private readonly int[] claimed;
    private int finished;
    private Exception? error;

    private ChunkedParallel(Action<int> body, int chunks, int participants)
    {
        this.body = body;
        this.chunks = chunks;
        this.participants = participants;
        claimed = new int[Math.Max(chunks, 0)];
    }

    /// <summary>Runs <paramref name="body"/> for chunks 0 … <paramref name="chunks"/> − 1 with up to <paramref name="threads"/> threads, and returns when all are done.</summary>
    public static void Run(int chunks, int threads, Action<int> body)
    {
        if (chunks == 1)
        {
            body(0);
            return;
        }

        var work = new ChunkedParallel(body, chunks, Math.Clamp(Math.Min(threads, chunks), 1, int.MaxValue));
        if (chunks <= 0 || threads <= 1 || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            // One thread, or another region is running: the chunks run on the calling thread, errors reported alike.
            work.Execute(0);
            work.ThrowIfFailed();
            return;
        }

        try
        {
            EnsureWorkers(Math.Min(threads, chunks) - 1);
            Volatile.Write(ref current, work);
            Interlocked.Increment(ref generation);                 // publishes the job; a full fence
            int asleep = Volatile.Read(ref sleepers);
            if (asleep > 0)
            {
                Wake.Release(asleep);
            }

            work.Execute(0);

            // What is left are chunks that workers claimed and are running: wait for them (microseconds). A plain
            // spin notices the last one within a few tens of nanoseconds; SpinWait's backoff (which yields the thread
            // after ten rounds) is kept for the rare wait on a worker the OS has descheduled.
            long waitStart = Stopwatch.GetTimestamp();
            var spinner = default(SpinWait);
            while (Volatile.Read(ref work.finished) < chunks)
            {
                if (Stopwatch.GetTimestamp() - waitStart < PlainSpinTicks)
                {
                    Thread.SpinWait(1);
                }
                else
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }
        }
        finally
        {
            Volatile.Write(ref current, null);
            Volatile.Write(ref busy, 0);
        }

        work.ThrowIfFailed();
    }

    private void ThrowIfFailed()
    {
        if (error is { } e)
        {
            throw new AggregateException(e);
        }
    }

    /// <summary><c>GRADGEN_SPIN_MICROSECONDS</c>: a non-negative integer up to one second; anything else (or unset) means 200.</summary>
    internal static long ParseSpinMicroseconds(string? value) =>
        long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long microseconds) && microseconds is >= 0 and <= 1_000_000
            ? microseconds
            : DefaultSpinMicroseconds;

    /// <summary>
    /// Runs participant <paramref name="participant"/>'s own chunks (every <c>participants</c>-th from its number; the
    /// caller is 0, worker k is k + 1), then any chunk nobody has claimed yet. The fixed first choice keeps a chunk of
    /// rows on the same core from one region to the next — a model's forward writes what its backward reads, and a
    /// chunk that moved cores had every cache line fetched from the other core (backward ran slower on two cores than
    /// on one) — while taking what is left still lets a core that is ahead finish a late one's work.
    /// </summary>
    private void Execute(int participant)
    {
        // A worker beyond the threads this region asked for (started by an earlier, wider one) stays out of it.
        if (participant >= participants)
        {
            return;
        }

        for (int chunk = participant; chunk < chunks; chunk += participants)
        {
            TryRun(chunk);
        }

        for (int chunk = 0; chunk < chunks; chunk++)
        {
            TryRun(chunk);
        }
    }

    private void TryRun(int chunk)
    {
        if (Volatile.Read(ref claimed[chunk]) != 0 || Interlocked.Exchange(ref claimed[chunk], 1) != 0)
        {
            return;
        }

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

    private static void EnsureWorkers(int count)
    {
        if (workers.Length >= count)
        {
            return;
        }

        lock (Gate)
        {
            var grown = workers;
            if (grown.Length >= count)
            {
                return;
            }

            Array.Resize(ref grown, count);
            for (int i = workers.Length; i < count; i++)
            {
                int participant = i + 1;
                grown[i] = new Thread(() => WorkerLoop(participant)) { IsBackground = true, Name = $"Gradgen worker {participant}" };
                grown[i].Start();
            }

            workers = grown;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WorkerLoop(int participant)
    {
        long seen = Volatile.Read(ref generation);
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref generation) == seen)
            {
                if (Stopwatch.GetTimestamp() - start < SpinTicks)
                {
                    // One normalised pause (tens of nanoseconds) between looks: a new region is noticed at once.
                    Thread.SpinWait(1);
                    continue;
                }

                // Announce the sleep, then look once more: either this worker sees the new job, or the caller that
                // published it sees the sleeper and wakes it (both sides use full fences).
                Interlocked.Increment(ref sleepers);
                if (Volatile.Read(ref generation) == seen)
                {
                    Wake.Wait();
                }

                Interlocked.Decrement(ref sleepers);
                start = Stopwatch.GetTimestamp();
            }

            seen = Volatile.Read(ref generation);
            Volatile.Read(ref current)?.Execute(participant);
        }
    }
}
