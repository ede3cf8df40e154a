namespace Gradgen.Kernels;

/// <summary>
/// Splits one single-precision product over threads: C is cut into a tm × tn grid of MR/NR-aligned blocks, and the
/// calling thread and tm·tn − 1 thread-pool workers claim blocks until none is left. No allocation per call (the job
/// object is cached per calling thread), and a worker that wakes late simply finds its block already taken by the
/// caller, so the product never waits on the pool.
/// </summary>
/// <remarks>
/// A queued worker may still be on its way out, or not even have started, when the call that queued it returns (the
/// caller took its block). So a job is reused only once every worker queued on it has left <see cref="Execute"/>;
/// each calling thread keeps a few jobs for that, and allocates a new one only when all of them are still busy.
/// </remarks>
internal sealed unsafe class GemmParallelJob : IThreadPoolWorkItem
{
    private const int JobsPerThread = 4;

    [ThreadStatic]
    private static GemmParallelJob?[]? t_jobs;

    [ThreadStatic]
    private static uint t_replace;

    private readonly ManualResetEventSlim _done = new(false, spinCount: 2000);
    private SgemmArgs _args;
    private delegate*<in SgemmArgs, void> _run;
    private int _tm, _tn, _mr, _nr, _panelsM, _panelsN, _count;
    private int _next;
    private int _finished;
    private int _queued;

    /// <summary>Runs <paramref name="run"/> over the tm × tn blocks of <paramref name="args"/> and returns when all are done.</summary>
    public static void Run(in SgemmArgs args, int tm, int tn, int mr, int nr, delegate*<in SgemmArgs, void> run)
    {
        GemmParallelJob job = Rent();

        job._args = args;
        job._run = run;
        job._tm = tm;
        job._tn = tn;
        job._mr = mr;
        job._nr = nr;
        job._panelsM = (args.M + mr - 1) / mr;
        job._panelsN = (args.N + nr - 1) / nr;
        job._count = tm * tn;
        job._finished = 0;
        job._done.Reset();
        job._next = 0;
        Volatile.Write(ref job._queued, job._count - 1); // publishes the fields above to the workers

        for (int i = 1; i < job._count; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
        }

        job.Work();
        job._done.Wait();
    }

    /// <summary>A job of this thread that no worker is using any more.</summary>
    private static GemmParallelJob Rent()
    {
        GemmParallelJob?[] jobs = t_jobs ??= new GemmParallelJob?[JobsPerThread];
        for (int i = 0; i < jobs.Length; i++)
        {
            GemmParallelJob? job = jobs[i];
            if (job is null)
            {
                return jobs[i] = new GemmParallelJob();
            }

            if (Volatile.Read(ref job._queued) == 0)
            {
                return job;
            }
        }

        // All busy (the pool is slow to run our workers): replace one; the old one is collected once its workers exit.
        int slot = (int)(t_replace++ % JobsPerThread);
        return jobs[slot] = new GemmParallelJob();
    }

    /// <inheritdoc/>
    public void Execute()
    {
        Work();
        Interlocked.Decrement(ref _queued);
    }

    private void Work()
    {
        while (true)
        {
            int t = Interlocked.Increment(ref _next) - 1;
            if (t >= _count)
            {
                return;
            }

            int ti = t / _tn, tj = t % _tn;
            int row = Boundary(ti, _panelsM, _tm, _mr, _args.M), rowEnd = Boundary(ti + 1, _panelsM, _tm, _mr, _args.M);
            int col = Boundary(tj, _panelsN, _tn, _nr, _args.N), colEnd = Boundary(tj + 1, _panelsN, _tn, _nr, _args.N);
            SgemmArgs slice = _args.Slice(row, rowEnd - row, col, colEnd - col);
            _run(slice);
            if (Interlocked.Increment(ref _finished) == _count)
            {
                _done.Set();
            }
        }
    }

    /// <summary>Where block <paramref name="i"/> of <paramref name="parts"/> starts: panels shared out evenly, in elements.</summary>
    private static int Boundary(int i, int panels, int parts, int panelSize, int length)
        => (int)Math.Min(length, (long)i * panels / parts * panelSize);
}
