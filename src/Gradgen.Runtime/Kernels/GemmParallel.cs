namespace Gradgen.Kernels;

/// <summary>
/// Splits one single-precision product over threads: C is cut into a tm × tn grid of MR/NR-aligned blocks, which the
/// calling thread and Gradgen's worker threads claim until none is left (<see cref="ChunkedParallel"/>: workers that
/// stay awake briefly between regions, and a late one finds its block already taken by the caller, so the product
/// never waits on a worker that has not started). One job object per calling thread, reused: no block of a job runs
/// after <see cref="ChunkedParallel.Run"/> returns.
/// </summary>
internal sealed unsafe class GemmParallelJob
{
    [ThreadStatic]
    private static GemmParallelJob? t_job;

    private readonly Action<int> _block;
    private SgemmArgs _args;
    private delegate*<in SgemmArgs, void> _run;
    private int _tm, _tn, _mr, _nr, _panelsM, _panelsN;

    private GemmParallelJob() => _block = Block;

    /// <summary>Runs <paramref name="run"/> over the tm × tn blocks of <paramref name="args"/> and returns when all are done.</summary>
    public static void Run(in SgemmArgs args, int tm, int tn, int mr, int nr, delegate*<in SgemmArgs, void> run)
    {
        GemmParallelJob job = t_job ??= new GemmParallelJob();
        job._args = args;
        job._run = run;
        job._tm = tm;
        job._tn = tn;
        job._mr = mr;
        job._nr = nr;
        job._panelsM = (args.M + mr - 1) / mr;
        job._panelsN = (args.N + nr - 1) / nr;
        ChunkedParallel.Run(tm * tn, tm * tn, job._block);
    }

    private void Block(int t)
    {
        int ti = t / _tn, tj = t % _tn;
        int row = Boundary(ti, _panelsM, _tm, _mr, _args.M), rowEnd = Boundary(ti + 1, _panelsM, _tm, _mr, _args.M);
        int col = Boundary(tj, _panelsN, _tn, _nr, _args.N), colEnd = Boundary(tj + 1, _panelsN, _tn, _nr, _args.N);
        _run(_args.Slice(row, rowEnd - row, col, colEnd - col));
    }

    /// <summary>Where block <paramref name="i"/> of <paramref name="parts"/> starts: panels shared out evenly, in elements.</summary>
    private static int Boundary(int i, int panels, int parts, int panelSize, int length)
        => (int)Math.Min(length, (long)i * panels / parts * panelSize);
}
