using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.Distributed.Tests;

/// <summary>The tests that change the process's one <see cref="Distributed"/> state run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DistributedStateCollection
{
    public const string Name = "Distributed state";
}

/// <summary>
/// A process that no MPI launcher started (this test process): a world of one that needs no MPI library, and the
/// errors of using the API before <see cref="Distributed.Init"/> or wrongly.
/// </summary>
[Collection(DistributedStateCollection.Name)]
public sealed class SingleProcessTests : IDisposable
{
    public SingleProcessTests() => Assert.False(Distributed.IsLaunchedByMpi, "the test process itself must not run under an MPI launcher");

    public void Dispose()
    {
        if (Distributed.IsInitialized) Distributed.Shutdown();
    }

    [Fact]
    public void WithoutALauncherTheWorldIsOneProcess()
    {
        Distributed.Init();
        Assert.True(Distributed.IsInitialized);
        Assert.Equal(0, Distributed.Rank);
        Assert.Equal(1, Distributed.WorldSize);
        Assert.Equal("single process", Distributed.Backend);
        var t = Tensor.FromArray(new float[] { 1, -2, 3 });
        Distributed.AllReduce(t);
        Distributed.AllReduce(t, ReduceOp.Max);
        Distributed.Broadcast(t, 0);
        Distributed.Barrier();
        Assert.Equal([1f, -2f, 3f], t.ToArray<float>());
    }

    [Fact]
    public void CollectivesBeforeInitThrowNamingInit()
    {
        Assert.False(Distributed.IsInitialized);
        var t = Tensor.Ones(3);
        foreach (Action use in new Action[]
        {
            () => _ = Distributed.Rank,
            () => _ = Distributed.WorldSize,
            () => Distributed.AllReduce(t),
            () => Distributed.Broadcast(t),
            () => Distributed.Barrier(),
            () => _ = new DistributedDataParallel(new Linear(2, 2)),
            () => _ = new DistributedSampler(10),
            Distributed.Shutdown,
        })
        {
            var e = Assert.Throws<InvalidOperationException>(use);
            Assert.Contains("call Distributed.Init() first", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void InitTwiceAndABadTimeoutThrow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Distributed.Init(TimeSpan.Zero));
        Distributed.Init(TimeSpan.FromSeconds(7));
        Assert.Equal(TimeSpan.FromSeconds(7), Distributed.Timeout);
        var e = Assert.Throws<InvalidOperationException>(() => Distributed.Init());
        Assert.Contains("twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CollectivesRejectTensorsTheyCannotReduce()
    {
        Distributed.Init();
        var e = Assert.Throws<ArgumentException>(() => Distributed.AllReduce(Tensor.FromArray(new[] { true, false })));
        Assert.Contains("Bool", e.Message, StringComparison.Ordinal);
        // Int64 (BatchNorm's batch counter) and Bool tensors are broadcast like any other.
        var counter = Tensor.FromArray(new long[] { 1L << 40, -2 });
        Distributed.AllReduce(counter);
        Assert.Equal(new long[] { 1L << 40, -2 }, counter.ToArray<long>());
        var mask = Tensor.FromArray(new[] { true, false });
        Distributed.Broadcast(mask);
        Assert.Equal(new[] { true, false }, mask.ToArray<bool>());
        Assert.Throws<ArgumentOutOfRangeException>(() => Distributed.Broadcast(Tensor.Ones(2), source: 1));
    }

    /// <summary>At world size 1 the wrapped model trains exactly as the model alone (the buckets are still filled and written back).</summary>
    [Fact]
    public void AtWorldSizeOneTrainingIsThatOfTheModelAlone()
    {
        Distributed.Init();
        RandomGenerator.ManualSeed(7);
        var model = new Sequential(new Linear(3, 5, dtype: DType.Float64), new Tanh(), new Linear(5, 2, dtype: DType.Float64));
        var alone = new Sequential(new Linear(3, 5, dtype: DType.Float64), new Tanh(), new Linear(5, 2, dtype: DType.Float64));
        alone.LoadStateDict(model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone()));
        var ddp = new DistributedDataParallel(model, bucketCapBytes: 48);
        Assert.Equal(["module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"], ddp.NamedParameters().Select(p => p.Name));
        Assert.Equal(4, ddp.BucketCount);
        Assert.Equal(["2.bias"], ddp.Buckets[0]);
        var sgd = new Sgd(ddp.Parameters(), lr: 0.1, momentum: 0.5);
        var sgdAlone = new Sgd(alone.Parameters(), lr: 0.1, momentum: 0.5);
        for (int step = 0; step < 5; step++)
        {
            var x = Tensor.Randn([4, 3], DType.Float64);
            var t = Tensor.Randn([4, 2], DType.Float64);
            sgd.ZeroGrad();
            Functional.MseLoss(ddp.Call(x), t).Backward();
            sgd.Step();
            sgdAlone.ZeroGrad();
            Functional.MseLoss(alone.Call(x), t).Backward();
            sgdAlone.Step();
        }
        foreach (var ((name, p), (_, q)) in model.NamedParameters().Zip(alone.NamedParameters()))
            Assert.True(p.ToArray<double>().AsSpan().SequenceEqual(q.ToArray<double>()), name);
    }

    [Fact]
    public void BuffersAreBroadcastOneCollectivePerDTypeAndRoundTripExactly()
    {
        Distributed.Init();
        RandomGenerator.ManualSeed(9);
        Sequential Create() => new(new Linear(3, 4), new BatchNorm1d(4), new Tanh(), new Linear(4, 2), new BatchNorm1d(2));
        var model = Create();
        var alone = Create();
        using (Autograd.NoGrad())
        {
            // Distinct running statistics, so a buffer copied back from another's place would show.
            foreach (var (name, b) in model.NamedBuffers().Where(b => b.Buffer.DType == DType.Float32))
                b.CopyFrom(Tensor.Randn(b.Shape.ToArray()));
        }

        alone.LoadStateDict(model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone()));
        var ddp = new DistributedDataParallel(model);

        // Two running statistics and a batch count per layer: one Float32 and one Int64 broadcast per forward.
        Assert.Equal(6, model.NamedBuffers().Count());
        Assert.Equal(2, ddp.BufferBroadcastCollectives);
        for (int step = 0; step < 3; step++)
        {
            var x = Tensor.Randn(5, 3);
            ddp.Call(x).Sum().Backward();
            alone.Call(x).Sum().Backward();
        }

        foreach (var ((name, b), (_, c)) in model.NamedBuffers().Zip(alone.NamedBuffers()))
        {
            if (b.DType == DType.Int64) Assert.Equal(c.ToArray<long>(), b.ToArray<long>());
            else Assert.Equal(c.ToArray<float>(), b.ToArray<float>());
        }
    }

    [Fact]
    public void AParameterWithoutAGradientIsNamedAtTheNextForward()
    {
        Distributed.Init();
        var model = new TwoHeads();
        var ddp = new DistributedDataParallel(model);
        var x = Tensor.Randn(2, 3);
        ddp.Call(x).Sum().Backward();
        var e = Assert.Throws<InvalidOperationException>(() => ddp.Call(x));
        Assert.Contains("'unused.weight', 'unused.bias'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AfterRemoveHooksTheModuleCanBeWrappedAgain()
    {
        Distributed.Init();
        var model = new TwoHeads();
        var first = new DistributedDataParallel(model);
        var x = Tensor.Randn(2, 3);
        first.Call(x).Sum().Backward();
        first.RemoveHooks();
        // The unused head no longer matters to the first wrapper: its hooks are gone.
        model.Call(x).Sum().Backward();
        first.Call(x).Sum().Backward();
        var second = new DistributedDataParallel(model);
        second.Call(x).Sum().Backward();
        Assert.Throws<InvalidOperationException>(() => second.Call(x));
    }

    [Fact]
    public void ModulesThatCannotBeReducedAreRejectedAtConstruction()
    {
        Distributed.Init();
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedDataParallel(new Linear(2, 2), bucketCapBytes: 0));
        Assert.Throws<ArgumentException>(() => new DistributedDataParallel(new Tanh()));
    }

    sealed class TwoHeads : Module
    {
        readonly Linear used = new(3, 1), unused = new(3, 1);

        public override Tensor Forward(Tensor input) => used.Forward(input);
    }
}
