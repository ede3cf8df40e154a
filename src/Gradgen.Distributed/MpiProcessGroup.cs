using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Gradgen.Distributed.Native;

namespace Gradgen.Distributed;

/// <summary>
/// <c>MPI_COMM_WORLD</c> of the MPI library that loaded, with errors returned (<c>MPI_ERRORS_RETURN</c>) instead of
/// aborting the job, so that each becomes an <see cref="MpiException"/> naming the call.
/// </summary>
/// <remarks>
/// <para>Collectives are MPI's nonblocking ones (<c>MPI_Iallreduce</c>, <c>MPI_Ibcast</c>, <c>MPI_Ibarrier</c>):
/// waiting is a loop of <c>MPI_Test</c> with a deadline, which is the watchdog. A blocking <c>MPI_Allreduce</c> whose
/// peer died waits forever in most MPI libraries; a test loop notices the deadline and throws.</para>
/// <para>After a failure or a timeout the group is <em>broken</em>: an abandoned collective may still write into its
/// buffer, so the buffer is kept alive and every later collective throws at once, naming the first failure. The
/// process must then exit (without <c>MPI_Finalize</c>, which could wait for the dead rank): the launcher reports it.</para>
/// <para>MPI is initialised with <c>MPI_THREAD_SERIALIZED</c> and every call is made under one lock.</para>
/// </remarks>
internal sealed unsafe class MpiProcessGroup : ProcessGroup
{
    readonly MpiAbi abi;
    readonly Lock gate = new();
    readonly List<object> abandoned = [];
    readonly int rank;
    readonly int size;
    readonly string backend;
    string? brokenBecause;
    int inFlight;
    bool finalized;

    /// <summary>How long a wait polls <c>MPI_Test</c> without pause before it starts yielding the core (the allreduce benchmark compares settings).</summary>
    internal static TimeSpan PollWithoutPause { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>How long a wait yields between polls before it sleeps 1 ms between them.</summary>
    internal static TimeSpan YieldUntil { get; set; } = TimeSpan.FromMilliseconds(50);

    MpiProcessGroup(MpiAbi abi, int rank, int size, string backend)
    {
        this.abi = abi;
        this.rank = rank;
        this.size = size;
        this.backend = backend;
    }

    /// <summary>Initialises MPI (unless the program already did) and returns the world group.</summary>
    /// <exception cref="DistributedException">MPI is not installed, or a call failed.</exception>
    public static MpiProcessGroup Create(TimeSpan timeout)
    {
        var library = MpiLibrary.Library;
        if (!library.IsLoaded) throw new DistributedException($"Distributed.Init: the process was started by an MPI launcher, but {library.Error}.");
        var abi = library.Abi!;
        int flag = 0;
        Check(MpiNative.MPI_Initialized(&flag), "MPI_Initialized", -1);
        if (flag == 0)
        {
            int provided = 0;
            Check(MpiNative.MPI_Init_thread(null, null, MpiNative.ThreadSerialized, &provided), "MPI_Init_thread", -1);
        }
        // From here on an error in a call on MPI_COMM_WORLD is a return code, not the end of the job.
        Check(MpiNative.MPI_Comm_set_errhandler(abi.CommWorld, abi.ErrorsReturn), "MPI_Comm_set_errhandler", -1);
        int rank = 0, size = 0;
        Check(MpiNative.MPI_Comm_rank(abi.CommWorld, &rank), "MPI_Comm_rank", -1);
        Check(MpiNative.MPI_Comm_size(abi.CommWorld, &size), "MPI_Comm_size", rank);
        return new MpiProcessGroup(abi, rank, size, $"mpi ({LibraryVersion()}, {library.Path})") { Timeout = timeout };
    }

    public override int Rank => rank;

    public override int Size => size;

    public override string Backend => backend;

    /// <summary>Whether a failure left the group unusable.</summary>
    public bool IsBroken => brokenBecause is not null;

    /// <summary>Whether collectives were started and not yet completed.</summary>
    public bool HasCollectivesInFlight => Volatile.Read(ref inFlight) > 0;

    public override PendingCollective StartAllReduce<T>(T[] buffer, int count, ReduceOp op, string what)
    {
        CheckBuffer(buffer, count, what);
        nint mpiOp = op switch { ReduceOp.Sum => abi.Sum, ReduceOp.Min => abi.Min, ReduceOp.Max => abi.Max, _ => throw new ArgumentOutOfRangeException(nameof(op), op, null) };
        return Start(buffer, what, "MPI_Iallreduce", (p, request) => MpiNative.MPI_Iallreduce((void*)abi.InPlace, p, count, DataType<T>(), mpiOp, abi.CommWorld, request));
    }

    public override PendingCollective StartBroadcast<T>(T[] buffer, int count, int root, string what)
    {
        CheckBuffer(buffer, count, what);
        if ((uint)root >= (uint)size) throw new ArgumentOutOfRangeException(nameof(root), root, $"{what}: the root rank must be in [0, {size}).");
        return Start(buffer, what, "MPI_Ibcast", (p, request) => MpiNative.MPI_Ibcast(p, count, DataType<T>(), root, abi.CommWorld, request));
    }

    public override PendingCollective StartBarrier(string what) =>
        Start(Array.Empty<byte>(), what, "MPI_Ibarrier", (_, request) => MpiNative.MPI_Ibarrier(abi.CommWorld, request));

    delegate int Starter(void* buffer, nint* request);

    PendingCollective Start(Array buffer, string what, string call, Starter start)
    {
        lock (gate)
        {
            ThrowIfUnusable(what);
            var pending = new Request(this, buffer, what, call);
            int rc;
            fixed (nint* request = &pending.Handle)
            {
                rc = start(buffer.Length == 0 ? null : (void*)Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0), request);
            }
            if (rc != MpiNative.Success) throw Fail(call, rc, what);
            inFlight++;
            return pending;
        }
    }

    static void CheckBuffer<T>(T[] buffer, int count, string what) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if ((uint)count > (uint)buffer.Length) throw new ArgumentOutOfRangeException(nameof(count), count, $"{what}: the count exceeds the buffer's {buffer.Length} elements.");
    }

    nint DataType<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? abi.Float
        : typeof(T) == typeof(double) ? abi.Double
        : typeof(T) == typeof(int) ? abi.Int
        : typeof(T) == typeof(long) ? abi.Int64
        : typeof(T) == typeof(bool) ? abi.Bool
        : throw new NotSupportedException($"MPI collectives take float, double, int, long or bool elements, not {typeof(T).Name}.");

    void ThrowIfUnusable(string what)
    {
        if (finalized) throw new InvalidOperationException($"{what}: the process group was shut down (Distributed.Shutdown).");
        if (brokenBecause is not null)
            throw new DistributedException($"{what} on rank {rank}: the process group is unusable since an earlier collective failed ({brokenBecause}). Exit the process; the launcher ends the job.");
    }

    Exception Fail(string call, int rc, string what)
    {
        var e = new MpiException(call, rc, ErrorString(rc), rank);
        brokenBecause ??= $"{what}: {e.Message}";
        return e;
    }

    /// <summary>One started MPI request.</summary>
    sealed class Request(MpiProcessGroup group, Array buffer, string what, string call) : PendingCollective
    {
        public nint Handle;
        bool done;

        public override string What => what;

        public override bool Test()
        {
            if (done) return true;
            lock (group.gate)
            {
                if (done) return true;
                group.ThrowIfUnusable(what);
                int flag = 0;
                int rc;
                fixed (nint* request = &Handle)
                {
                    rc = MpiNative.MPI_Test(request, &flag, (void*)group.abi.StatusIgnore);
                }
                if (rc != MpiNative.Success)
                {
                    group.Abandon(this);
                    throw group.Fail($"MPI_Test ({call})", rc, what);
                }
                if (flag != 0)
                {
                    done = true;
                    group.inFlight--;
                }
                return done;
            }
        }

        public override void Wait(TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (!Test())
            {
                if (clock.Elapsed >= timeout)
                {
                    string reason = $"{what} did not complete within {timeout.TotalSeconds:0.###} s on rank {group.rank} of {group.size}";
                    lock (group.gate)
                    {
                        group.Abandon(this);
                        group.brokenBecause ??= reason;
                    }
                    throw new DistributedException(
                        $"{reason}: another rank failed, exited or did not start the same collective (the watchdog's limit is Distributed.Timeout). " +
                        "No parameter or gradient was changed by it; the process group is unusable now: exit the process.");
                }
                // Each MPI_Test moves the collective on (MPICH progresses only inside MPI calls), so poll without
                // pause at first; then yield the core, then sleep: a rank waiting long for a slower one should not
                // take a core from it.
                var elapsed = clock.Elapsed;
                if (elapsed < PollWithoutPause) continue;
                if (elapsed < YieldUntil) Thread.Yield();
                else Thread.Sleep(1);
            }
        }

        /// <summary>Keeps the buffer alive for as long as MPI may still write it.</summary>
        internal object Buffer => buffer;
    }

    void Abandon(Request request) => abandoned.Add(request.Buffer);

    public override void Shutdown()
    {
        lock (gate)
        {
            if (finalized) return;
            ThrowIfUnusable("Distributed.Shutdown");
            if (inFlight > 0) throw new InvalidOperationException($"Distributed.Shutdown: {inFlight} collective(s) started on rank {rank} have not completed.");
            finalized = true;
            int flag = 0;
            Check(MpiNative.MPI_Finalized(&flag), "MPI_Finalized", rank);
            if (flag == 0) Check(MpiNative.MPI_Finalize(), "MPI_Finalize", rank);
        }
    }

    /// <summary>Finalizes MPI at a clean exit of the process; a broken group or unfinished collectives are left to the launcher.</summary>
    public void ShutdownAtExit()
    {
        lock (gate)
        {
            if (finalized || brokenBecause is not null || inFlight > 0) return;
        }
        Shutdown();
    }

    static void Check(int rc, string call, int rank)
    {
        if (rc != MpiNative.Success) throw new MpiException(call, rc, ErrorString(rc), rank);
    }

    /// <summary>MPI's text for <paramref name="code"/> (<c>MPI_Error_string</c>).</summary>
    internal static string ErrorString(int code)
    {
        var text = stackalloc byte[MpiNative.MaxErrorString];
        int length = 0;
        if (MpiNative.MPI_Error_string(code, text, &length) != MpiNative.Success || length <= 0) return "(MPI_Error_string failed)";
        return Encoding.UTF8.GetString(text, Math.Min(length, MpiNative.MaxErrorString)).TrimEnd('\0', ' ', '\n');
    }

    static string LibraryVersion()
    {
        // MPI_MAX_LIBRARY_VERSION_STRING is 8192 in MPICH, 256 in Open MPI.
        var text = new byte[8192];
        int length = 0;
        fixed (byte* p = text)
        {
            if (MpiNative.MPI_Get_library_version(p, &length) != MpiNative.Success) return "version unknown";
        }
        string version = Encoding.UTF8.GetString(text, 0, Math.Clamp(length, 0, text.Length));
        int newline = version.IndexOfAny(['\n', '\r']);
        string line = (newline >= 0 ? version[..newline] : version).Trim('\0', ' ', '\t');
        return string.Join(' ', line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }
}
