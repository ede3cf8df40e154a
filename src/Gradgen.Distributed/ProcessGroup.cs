namespace Gradgen.Distributed;

/// <summary>
/// The ranks that take part in collectives and the engine that moves their data (PyTorch's <c>ProcessGroup</c>):
/// MPI between processes (<see cref="MpiProcessGroup"/>), or a single process that needs no engine
/// (<see cref="SingleProcessGroup"/>). A GPU engine (NCCL, docs/distributed.md) would be a third implementation.
/// </summary>
/// <remarks>
/// Collectives are started, not run: each returns a <see cref="PendingCollective"/> that completes later, so that
/// data-parallel training can start reducing one bucket of gradients while backward computes the next. Buffers are
/// pinned arrays that the caller keeps alive and leaves alone until the collective has completed. Every rank must start
/// the same collectives in the same order.
/// </remarks>
internal abstract class ProcessGroup
{
    /// <summary>This process's rank, 0 ≤ rank &lt; <see cref="Size"/>.</summary>
    public abstract int Rank { get; }

    /// <summary>The number of processes.</summary>
    public abstract int Size { get; }

    /// <summary>What moves the data, for messages and figures (e.g. <c>mpi (MPICH 4.0.2)</c>).</summary>
    public abstract string Backend { get; }

    /// <summary>How long a collective may take before the others are presumed dead.</summary>
    public TimeSpan Timeout { get; init; } = Distributed.DefaultTimeout;

    /// <summary>Starts an in-place reduction of the first <paramref name="count"/> elements of <paramref name="buffer"/> over all ranks.</summary>
    public abstract PendingCollective StartAllReduce<T>(T[] buffer, int count, ReduceOp op, string what) where T : unmanaged;

    /// <summary>Starts copying the first <paramref name="count"/> elements of <paramref name="buffer"/> on <paramref name="root"/> to every rank.</summary>
    public abstract PendingCollective StartBroadcast<T>(T[] buffer, int count, int root, string what) where T : unmanaged;

    /// <summary>Starts a barrier: completes once every rank has started it.</summary>
    public abstract PendingCollective StartBarrier(string what);

    /// <summary>Ends the group (<c>MPI_Finalize</c>); it cannot be used afterwards.</summary>
    public abstract void Shutdown();

    /// <summary>Waits for <paramref name="collective"/> to complete within <see cref="Timeout"/>.</summary>
    public void Run(PendingCollective collective) => collective.Wait(Timeout);
}

/// <summary>A collective that was started; <see cref="Wait"/> until it completes.</summary>
internal abstract class PendingCollective
{
    /// <summary>What the collective is, for messages (<c>allreduce of gradient bucket 0 (1,024 Float32 elements)</c>).</summary>
    public abstract string What { get; }

    /// <summary>Lets the engine make progress; true once the collective has completed.</summary>
    public abstract bool Test();

    /// <summary>Blocks until the collective completes.</summary>
    /// <exception cref="DistributedException">It did not complete within <paramref name="timeout"/> (another rank failed, exited or never started it), or MPI reported an error.</exception>
    public abstract void Wait(TimeSpan timeout);
}

/// <summary>World size 1: every collective is already complete (a sum over one rank is the rank's own value).</summary>
internal sealed class SingleProcessGroup : ProcessGroup
{
    public override int Rank => 0;

    public override int Size => 1;

    public override string Backend => "single process";

    public override PendingCollective StartAllReduce<T>(T[] buffer, int count, ReduceOp op, string what) => new Completed(what);

    public override PendingCollective StartBroadcast<T>(T[] buffer, int count, int root, string what)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), root, $"{what}: the root rank must be 0 in a single-process group.");
        return new Completed(what);
    }

    public override PendingCollective StartBarrier(string what) => new Completed(what);

    public override void Shutdown()
    {
    }

    sealed class Completed(string what) : PendingCollective
    {
        public override string What => what;

        public override bool Test() => true;

        public override void Wait(TimeSpan timeout)
        {
        }
    }
}
