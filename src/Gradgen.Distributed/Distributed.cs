using System.Globalization;
using Gradgen.Distributed.Native;

namespace Gradgen.Distributed;

/// <summary>
/// The process group of a data-parallel job (PyTorch's <c>torch.distributed</c>): <see cref="Init"/> once per
/// process, then <see cref="Rank"/>, <see cref="WorldSize"/> and the collectives on tensors.
/// </summary>
/// <remarks>
/// <para>A process started by an MPI launcher (<c>mpiexec -n 4 dotnet run …</c>; the launcher's environment says so:
/// <c>PMI_RANK</c>/<c>PMI_SIZE</c> for MPICH's Hydra and MS-MPI, <c>OMPI_COMM_WORLD_SIZE</c> for Open MPI,
/// <c>PMIX_RANK</c> for PMIx launchers such as Slurm's) joins <c>MPI_COMM_WORLD</c>. A process started any other way is
/// a world of one: rank 0 of size 1, every collective leaves its tensor as it is, and no MPI library is needed.</para>
/// <para>Every rank must call the same collectives in the same order. A collective that does not complete within
/// <see cref="Timeout"/> (a rank died, exited or took another path) throws a <see cref="DistributedException"/> on the
/// ranks that wait, and the group is unusable afterwards: exit the process and let the launcher end the job.</para>
/// </remarks>
public static class Distributed
{
    /// <summary>Environment variable with the default <see cref="Timeout"/> in seconds (when <see cref="Init"/> is given none).</summary>
    public const string TimeoutVariable = "GRADGEN_DISTRIBUTED_TIMEOUT_S";

    static readonly Lock gate = new();
    static ProcessGroup? group;

    /// <summary>The watchdog's limit when neither <see cref="Init"/> nor <see cref="TimeoutVariable"/> gives one: 10 minutes.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Whether an MPI library can be loaded on this machine (MPICH's <c>libmpi.so.12</c>/<c>libmpich.so.12</c>, Open
    /// MPI's <c>libmpi.so.40</c>, or the file named by <c>GRADGEN_MPI_PATH</c>). Not needed for a world of one.
    /// </summary>
    public static bool IsAvailable => MpiLibrary.Library.IsLoaded;

    /// <summary>Why <see cref="IsAvailable"/> is false, or <see langword="null"/>.</summary>
    public static string? UnavailableReason => MpiLibrary.Library.IsLoaded ? null : MpiLibrary.Library.Error;

    /// <summary>Whether this process was started by an MPI launcher (its environment variables are set).</summary>
    public static bool IsLaunchedByMpi =>
        Has("PMI_SIZE") || Has("PMI_RANK") || Has("OMPI_COMM_WORLD_SIZE") || Has("PMIX_RANK");

    /// <summary>Whether <see cref="Init"/> has been called (and <see cref="Shutdown"/> not since).</summary>
    public static bool IsInitialized => Volatile.Read(ref group) is not null;

    /// <summary>This process's rank in the world, 0 ≤ Rank &lt; <see cref="WorldSize"/> (PyTorch's <c>get_rank()</c>).</summary>
    /// <exception cref="InvalidOperationException"><see cref="Init"/> has not been called.</exception>
    public static int Rank => Group("Distributed.Rank").Rank;

    /// <summary>The number of processes in the world (PyTorch's <c>get_world_size()</c>).</summary>
    /// <exception cref="InvalidOperationException"><see cref="Init"/> has not been called.</exception>
    public static int WorldSize => Group("Distributed.WorldSize").Size;

    /// <summary>What moves the data: <c>mpi (MPICH …, libmpich.so.12)</c>, or <c>single process</c> (PyTorch's <c>get_backend()</c>).</summary>
    /// <exception cref="InvalidOperationException"><see cref="Init"/> has not been called.</exception>
    public static string Backend => Group("Distributed.Backend").Backend;

    /// <summary>How long a collective may wait for the other ranks before it throws (the watchdog's limit).</summary>
    /// <exception cref="InvalidOperationException"><see cref="Init"/> has not been called.</exception>
    public static TimeSpan Timeout => Group("Distributed.Timeout").Timeout;

    /// <summary>
    /// Joins the job (PyTorch's <c>init_process_group</c>): initialises MPI with errors returned rather than fatal when
    /// the process was started by an MPI launcher, else makes a world of one. MPI is finalised at a clean exit of the
    /// process (exit code 0, no collective failed), or by <see cref="Shutdown"/>.
    /// </summary>
    /// <param name="timeout">The watchdog's limit for each collective; by default <see cref="TimeoutVariable"/>, else <see cref="DefaultTimeout"/>.</param>
    /// <exception cref="InvalidOperationException">Already initialised.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is not positive.</exception>
    /// <exception cref="DistributedException">Started by an MPI launcher but MPI cannot be loaded or initialised.</exception>
    public static void Init(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeoutFromEnvironment();
        if (limit <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), limit, "Distributed.Init: the timeout must be positive.");
        lock (gate)
        {
            if (group is not null)
                throw new InvalidOperationException("Distributed.Init: trying to initialize the default process group twice; call Distributed.Shutdown() first.");
            if (!IsLaunchedByMpi)
            {
                group = new SingleProcessGroup { Timeout = limit };
                return;
            }
            var mpi = MpiProcessGroup.Create(limit);
            group = mpi;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                if (Environment.ExitCode == 0) mpi.ShutdownAtExit();
            };
        }
    }

    /// <summary>
    /// Leaves the job (PyTorch's <c>destroy_process_group</c>): finalises MPI. Every rank must call it; afterwards the
    /// process cannot join again (MPI allows one initialisation per process).
    /// </summary>
    /// <exception cref="InvalidOperationException">Not initialised, or collectives are still in flight.</exception>
    public static void Shutdown()
    {
        lock (gate)
        {
            var g = group ?? throw NotInitialized("Distributed.Shutdown");
            g.Shutdown();
            group = null;
        }
    }

    /// <summary>Blocks until every rank has called it (PyTorch's <c>barrier()</c>).</summary>
    /// <exception cref="InvalidOperationException"><see cref="Init"/> has not been called.</exception>
    /// <exception cref="DistributedException">The barrier failed or timed out.</exception>
    public static void Barrier()
    {
        var g = Group("Distributed.Barrier");
        g.Run(g.StartBarrier("barrier"));
    }

    /// <summary>Replaces <paramref name="tensor"/>'s elements on every rank with those of rank <paramref name="source"/> (PyTorch's <c>broadcast</c>), in place.</summary>
    /// <param name="tensor">A Float32, Float64, Int32, Int64 or Bool CPU tensor of the same shape on every rank.</param>
    /// <param name="source">The rank whose elements are sent.</param>
    /// <exception cref="InvalidOperationException"><see cref="Init"/> has not been called.</exception>
    /// <exception cref="DistributedException">The broadcast failed or timed out; the tensor is unchanged.</exception>
    public static void Broadcast(Tensor tensor, int source = 0)
    {
        var g = Group("Distributed.Broadcast");
        TensorCollective.Run(g, tensor, "Distributed.Broadcast", new BroadcastStarter(source));
    }

    /// <summary>Replaces <paramref name="tensor"/>'s elements on every rank with their reduction over all ranks (PyTorch's <c>all_reduce</c>), in place.</summary>
    /// <param name="tensor">A Float32, Float64, Int32 or Int64 CPU tensor of the same shape on every rank.</param>
    /// <param name="op">How elements are combined.</param>
    /// <exception cref="InvalidOperationException"><see cref="Init"/> has not been called.</exception>
    /// <exception cref="DistributedException">The reduction failed or timed out; the tensor is unchanged.</exception>
    /// <exception cref="ArgumentException">The tensor is a Bool tensor.</exception>
    public static void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        var g = Group("Distributed.AllReduce");
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DType == DType.Bool)
            throw new ArgumentException("Distributed.AllReduce: the tensor has dtype Bool, which MPI's sum, min and max do not take; convert it to Int32 first (To(DType.Int32)).", nameof(tensor));
        TensorCollective.Run(g, tensor, "Distributed.AllReduce", new AllReduceStarter(op));
    }

    /// <summary>The group, for the library's own collectives.</summary>
    internal static ProcessGroup Group(string caller) => Volatile.Read(ref group) ?? throw NotInitialized(caller);

    static InvalidOperationException NotInitialized(string caller) => new(
        $"{caller}: the default process group has not been initialized; call Distributed.Init() first (every rank, before any collective or DistributedDataParallel).");

    static bool Has(string variable) => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable));

    static TimeSpan TimeoutFromEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable(TimeoutVariable);
        if (string.IsNullOrWhiteSpace(text)) return DefaultTimeout;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds > 0))
            throw new ArgumentException($"Distributed.Init: {TimeoutVariable}={text} is not a positive number of seconds.");
        return TimeSpan.FromSeconds(seconds);
    }
}
