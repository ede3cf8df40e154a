using Gradgen.Nn;

namespace Gradgen.Distributed;

/// <summary>
/// Data-parallel training of <see cref="Module"/> over the ranks of <see cref="Distributed"/> (PyTorch's
/// <c>torch.nn.parallel.DistributedDataParallel</c>): every rank holds a replica of the model, runs it on its own
/// shard of each batch, and after backward every gradient is the average of the ranks' gradients, so that any
/// optimizer takes the same step on every rank.
/// </summary>
/// <remarks>
/// <para><b>Construction</b> checks that every rank has the same parameters and buffers (names, dtypes and shapes, in
/// order) and copies rank 0's values of both to every rank.</para>
/// <para><b>Buffers</b> (<see cref="Module.RegisterBuffer"/>: BatchNorm's running statistics) are not averaged: as in
/// PyTorch with <c>broadcast_buffers=True</c>, rank 0's buffers are copied to every rank at the start of each forward
/// that records the graph outside <see cref="NoSync"/>, so every rank normalises with the same running statistics and
/// then updates them from its own shard; the rank-0 copy is the one to save.</para>
/// <para><b>Backward.</b> Gradients are grouped into buckets of at most <c>bucketCapBytes</c> bytes, parameters in
/// reverse registration order (the order in which backward usually produces them). A hook on each parameter
/// (<see cref="Tensor.RegisterPostAccumulateGradHook"/>) copies its gradient into its bucket once the engine has
/// accumulated it; a bucket whose gradients are all there starts its allreduce at once (nonblocking, in bucket order on
/// every rank), so communication overlaps the rest of backward as far as the MPI library progresses it in the
/// background. When the last bucket has started, the hook waits for all of them and writes the averaged gradients back
/// into every <see cref="Tensor.Grad"/>, all or none: a failed or timed-out allreduce leaves every gradient as this
/// rank computed it and throws from <c>Backward</c>.</para>
/// <para><b>Every parameter that requires grad must get a gradient</b> in each synchronised backward, on every rank
/// (PyTorch's <c>find_unused_parameters=False</c>); the next forward throws, naming those that did not.</para>
/// </remarks>
public sealed class DistributedDataParallel : Module
{
    /// <summary>The default bucket size: 25 MiB, PyTorch's <c>bucket_cap_mb=25</c>.</summary>
    public const long DefaultBucketCapBytes = 25L * 1024 * 1024;

    readonly Module module;
    readonly ProcessGroup group;
    readonly GradientBucket[] buckets;
    readonly BucketSlot[] slots;
    readonly RemovableHandle[] hooks;
    readonly (string Name, Tensor Buffer)[] buffers;
    readonly CoalescedBroadcast bufferBroadcast;
    int nextToStart;
    int arrived;
    bool noSync;
    bool syncThisBackward = true;
    Exception? failure;

    /// <summary>Wraps <paramref name="module"/> for data-parallel training; every rank must construct it at the same point.</summary>
    /// <param name="module">The model replica, on the CPU, with Float32 or Float64 parameters.</param>
    /// <param name="bucketCapBytes">The largest bucket of gradients reduced by one allreduce, in bytes (a larger parameter gets a bucket of its own).</param>
    /// <param name="broadcastBuffers">Whether rank 0's buffers are copied to every rank before each forward (PyTorch's <c>broadcast_buffers</c>, default true); false leaves each rank's buffers its own after construction.</param>
    /// <exception cref="InvalidOperationException"><see cref="Distributed.Init"/> has not been called.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bucketCapBytes"/> is not positive.</exception>
    /// <exception cref="ArgumentException">The ranks' parameters or buffers differ (the message names the first that does) or the module has no parameters.</exception>
    /// <exception cref="NotSupportedException">A parameter is not on the CPU, or is not Float32/Float64.</exception>
    /// <exception cref="DistributedException">A collective failed or timed out.</exception>
    public DistributedDataParallel(Module module, long bucketCapBytes = DefaultBucketCapBytes, bool broadcastBuffers = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        group = Distributed.Group("DistributedDataParallel");
        if (bucketCapBytes <= 0) throw new ArgumentOutOfRangeException(nameof(bucketCapBytes), bucketCapBytes, "DistributedDataParallel: the bucket size must be positive.");
        this.module = module;
        BucketCapBytes = bucketCapBytes;
        BroadcastBuffers = broadcastBuffers;
        RegisterModule("module", module);

        var named = module.NamedParameters().ToList();
        if (named.Count == 0) throw new ArgumentException($"DistributedDataParallel: {module.GetType().Name} has no parameters.", nameof(module));
        foreach (var (name, p) in named)
        {
            if (p.Device.Type != DeviceType.Cpu)
                throw new NotSupportedException($"DistributedDataParallel: parameter '{name}' is on {p.Device}; the MPI backend reduces CPU tensors (GPU training needs the NCCL backend, see docs/distributed.md).");
            if (p.RequiresGrad && p.DType is not (DType.Float32 or DType.Float64))
                throw new NotSupportedException($"DistributedDataParallel: parameter '{name}' has dtype {p.DType}; gradients must be Float32 or Float64.");
        }

        buffers = [.. module.NamedBuffers()];
        foreach (var (name, b) in buffers)
        {
            if (b.Device.Type != DeviceType.Cpu)
                throw new NotSupportedException($"DistributedDataParallel: buffer '{name}' is on {b.Device}; the MPI backend broadcasts CPU tensors.");
        }

        ParameterAgreement.Verify(group, [.. named.Select(p => (p.Name, (Tensor)p.Parameter))], "parameter");
        ParameterAgreement.Verify(group, buffers, "buffer");
        new CoalescedBroadcast([.. named.Select(p => (p.Name, (Tensor)p.Parameter))], "parameter").Run(group);
        bufferBroadcast = new CoalescedBroadcast(buffers, "buffer");
        SynchroniseBuffers();

        (buckets, slots) = Plan(named, bucketCapBytes);
        hooks = new RemovableHandle[slots.Length];
        for (int i = 0; i < slots.Length; i++)
        {
            var slot = slots[i];
            hooks[i] = slot.Parameter.RegisterPostAccumulateGradHook(_ => OnGradientReady(slot));
        }
        ResetSynchronisation();
    }

    /// <summary>The wrapped model (PyTorch's <c>ddp.module</c>); its parameters appear here as <c>module.*</c>.</summary>
    public Module Module => module;

    /// <summary>The largest bucket, in bytes.</summary>
    public long BucketCapBytes { get; }

    /// <summary>Whether rank 0's buffers are copied to every rank before each forward (PyTorch's <c>broadcast_buffers</c>).</summary>
    public bool BroadcastBuffers { get; }

    /// <summary>The number of buckets, i.e. of allreduce calls per synchronised backward.</summary>
    public int BucketCount => buckets.Length;

    /// <summary>The parameters of each bucket by name, in the order the buckets are reduced.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Buckets => [.. buckets.Select(b => (IReadOnlyList<string>)[.. b.Slots.Select(s => s.Name)])];

    /// <summary>
    /// Runs the wrapped module (its compiled kernels when it has them), after checking that the previous backward
    /// completed its synchronisation. Backward through the result averages the gradients, unless the call was made
    /// inside <see cref="NoSync"/>.
    /// </summary>
    /// <param name="input">This rank's shard of the batch.</param>
    /// <exception cref="InvalidOperationException">The previous backward did not produce a gradient for every parameter that requires grad.</exception>
    /// <exception cref="DistributedException">An earlier synchronisation failed: the replicas may differ now.</exception>
    public override Tensor Forward(Tensor input)
    {
        BeginIteration();
        // As PyTorch: only a forward that will synchronise gradients synchronises buffers first.
        if (BroadcastBuffers && !noSync && Autograd.IsGradEnabled) SynchroniseBuffers();
        return module.Call(input);
    }

    /// <summary>Copies rank 0's buffers to every rank.</summary>
    void SynchroniseBuffers() => bufferBroadcast.Run(group);

    /// <summary>The number of collectives a forward's buffer broadcast makes: one per buffer dtype (0 without buffers).</summary>
    internal int BufferBroadcastCollectives => bufferBroadcast.Collectives;

    /// <inheritdoc cref="Forward"/>
    public override Tensor Call(Tensor input) => Forward(input);

    /// <summary>
    /// Gradient accumulation without communication (PyTorch's <c>no_sync()</c>): backward through forwards run inside
    /// the scope only accumulates this rank's gradients; the first forward and backward after the scope averages the
    /// accumulated sum. <c>using (ddp.NoSync()) { loss(ddp.Call(x1)).Backward(); } loss(ddp.Call(x2)).Backward();</c>
    /// </summary>
    /// <returns>A scope that restores synchronisation when disposed.</returns>
    public NoSyncScope NoSync() => new(this);

    /// <summary>Turns gradient synchronisation off until disposed; see <see cref="NoSync"/>.</summary>
    public readonly struct NoSyncScope : IDisposable
    {
        readonly DistributedDataParallel owner;
        readonly bool previous;

        internal NoSyncScope(DistributedDataParallel owner)
        {
            this.owner = owner;
            previous = owner.noSync;
            owner.noSync = true;
        }

        /// <summary>Turns synchronisation back to what it was before the scope.</summary>
        public void Dispose()
        {
            if (owner is not null) owner.noSync = previous;
        }
    }

    /// <summary>
    /// Unregisters the hooks this wrapper put on the module's parameters: backward no longer averages their gradients,
    /// and the module can be trained alone or wrapped again. Every rank must do it at the same point.
    /// </summary>
    public void RemoveHooks()
    {
        foreach (var h in hooks) h.Remove();
        ResetSynchronisation();
    }

    /// <summary>Nothing to discover: the wrapped module is registered explicitly, as <c>module</c>.</summary>
    protected override void DiscoverMembers()
    {
    }

    void BeginIteration()
    {
        if (failure is not null)
            throw new DistributedException($"DistributedDataParallel on rank {group.Rank}: an earlier gradient synchronisation failed, so the replicas may differ; restart the job. ({failure.Message})", failure);
        if (arrived > 0)
        {
            // Slots are in reverse registration order; name the parameters in the model's order.
            var missing = slots.Where(s => !s.Ready).Reverse().Select(s => $"'{s.Name}'");
            throw new InvalidOperationException(
                $"DistributedDataParallel: the previous backward did not produce gradients for parameters {string.Join(", ", missing)} on rank {group.Rank}, " +
                "so their gradients were not averaged and the optimizer would step the replicas apart. Every parameter that requires grad must take part " +
                "in the loss on every rank (or set RequiresGrad = false on it before wrapping the model).");
        }
        syncThisBackward = !noSync;
    }

    void OnGradientReady(BucketSlot slot)
    {
        if (!syncThisBackward || failure is not null) return;
        if (slot.Ready)
            throw new InvalidOperationException(
                $"DistributedDataParallel: parameter '{slot.Name}' received a second gradient before the first was averaged (backward run twice over one forward?); " +
                "accumulate gradients over several backward calls inside NoSync().");
        slot.Ready = true;
        arrived++;
        var bucket = buckets[slot.Bucket];
        bucket.CopyIn(slot);
        if (--bucket.Missing == 0) StartReadyBuckets();
        else if (nextToStart > 0) DriveProgress(buckets[nextToStart - 1].Collective!);
    }

    /// <summary>Lets MPI progress the last allreduce started (most libraries move data only inside MPI calls).</summary>
    void DriveProgress(PendingCollective collective)
    {
        try
        {
            collective.Test();
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
    }

    /// <summary>Starts, in bucket order, every bucket whose gradients are all there; when all have started, finishes.</summary>
    void StartReadyBuckets()
    {
        try
        {
            while (nextToStart < buckets.Length && buckets[nextToStart].Missing == 0)
            {
                var bucket = buckets[nextToStart];
                bucket.Collective = bucket.StartAllReduce(group);
                nextToStart++;
            }
            if (nextToStart < buckets.Length) return;
            foreach (var bucket in buckets) bucket.Collective!.Wait(group.Timeout);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }

        // All reduced: only now is any gradient written, so a failure above leaves every one as this rank computed it.
        double scale = 1.0 / group.Size;
        foreach (var bucket in buckets) bucket.CopyOut(scale);
        ResetSynchronisation();
    }

    void ResetSynchronisation()
    {
        foreach (var s in slots) s.Ready = false;
        foreach (var b in buckets)
        {
            b.Missing = b.Slots.Count;
            b.Collective = null;
        }
        nextToStart = 0;
        arrived = 0;
    }

    /// <summary>Buckets of one dtype, filled with parameters that require grad in reverse registration order.</summary>
    static (GradientBucket[], BucketSlot[]) Plan(List<(string Name, Parameter Parameter)> named, long capBytes)
    {
        var buckets = new List<GradientBucket>();
        var slots = new List<BucketSlot>();
        var open = new Dictionary<DType, GradientBucket>();
        for (int i = named.Count - 1; i >= 0; i--)
        {
            var (name, p) = named[i];
            if (!p.RequiresGrad) continue;
            long bytes = (long)p.NumElements * GradientBucket.ElementSize(p.DType);
            if (!open.TryGetValue(p.DType, out var bucket) || (bucket.Slots.Count > 0 && bucket.Bytes + bytes > capBytes))
            {
                bucket = GradientBucket.Create(buckets.Count, p.DType);
                buckets.Add(bucket);
                open[p.DType] = bucket;
            }
            slots.Add(bucket.Add(name, p));
        }
        foreach (var b in buckets) b.Allocate();
        return ([.. buckets], [.. slots]);
    }
}
