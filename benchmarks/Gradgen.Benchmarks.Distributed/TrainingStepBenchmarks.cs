using BenchmarkDotNet.Attributes;
using Gradgen.Distributed;
using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.Benchmarks.Distributed;

/// <summary>
/// One training step of the 784-256-10 MLP on this rank's batch of 64 rows (zero_grad, forward, cross-entropy,
/// backward, SGD step): the model alone (the baseline) and wrapped in <see cref="DistributedDataParallel"/>, whose
/// backward also averages the 203,530 gradients (814,120 bytes) over the ranks. Global throughput is ranks · 64 rows
/// per step time.
/// </summary>
public class TrainingStepBenchmarks
{
    const int Rows = 64;
    MnistMlp alone = null!, wrapped = null!;
    DistributedDataParallel ddp = null!;
    Sgd aloneSgd = null!, ddpSgd = null!;
    Tensor x = null!, y = null!;
    readonly CrossEntropyLoss loss = new();

    /// <summary>How long a wait polls MPI_Test without pause before yielding the core, in µs (MpiProcessGroup.PollWithoutPause).</summary>
    [Params(50, 2_000)]
    public int PollMicroseconds { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        MpiProcessGroup.PollWithoutPause = TimeSpan.FromMicroseconds(PollMicroseconds);
        RandomGenerator.ManualSeed(1 + Gradgen.Distributed.Distributed.Rank);
        x = Tensor.Randn(Rows, 784);
        y = Tensor.FromArray(Enumerable.Range(0, Rows).Select(i => (long)(i % 10)).ToArray());
        alone = new MnistMlp();
        wrapped = new MnistMlp();
        ddp = new DistributedDataParallel(wrapped);
        aloneSgd = new Sgd(alone.Parameters(), lr: 1e-3);
        ddpSgd = new Sgd(ddp.Parameters(), lr: 1e-3);
        // The in-process toolchain measures after a few fixed warm-up calls: run both steps long enough first that
        // tiered compilation has optimised the code they share, or whichever is measured first pays for it.
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 100; i++)
            {
                Alone();
                DataParallel();
            }
            Thread.Sleep(200);
        }
    }

    [Benchmark(Baseline = true, Description = "step, model alone")]
    public void Alone()
    {
        aloneSgd.ZeroGrad();
        loss.Forward(alone.Call(x), y).Backward();
        aloneSgd.Step();
    }

    [Benchmark(Description = "step, DistributedDataParallel")]
    public void DataParallel()
    {
        ddpSgd.ZeroGrad();
        loss.Forward(ddp.Call(x), y).Backward();
        ddpSgd.Step();
    }
}
