using BenchmarkDotNet.Attributes;
using Gradgen.Distributed;

namespace Gradgen.Benchmarks.Distributed;

/// <summary>
/// An in-place sum allreduce of a Float32 buffer over the ranks, as DistributedDataParallel runs one per bucket,
/// against a plain copy of the same number of bytes within the process (the baseline): over shared memory, an
/// allreduce between two ranks moves each byte at least once each way, so the copy is the floor. 814,120 bytes is the
/// 784-256-10 model's gradient.
/// </summary>
public class AllReduceBenchmarks
{
    float[] buffer = null!, source = null!, target = null!;
    ProcessGroup group = null!;

    [Params(4_096, 65_536, 814_120, 4_194_304)]
    public int Bytes { get; set; }

    /// <summary>How long a wait polls MPI_Test without pause before yielding the core, in µs (MpiProcessGroup.PollWithoutPause).</summary>
    [Params(50, 2_000)]
    public int PollMicroseconds { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int n = Bytes / sizeof(float);
        buffer = GC.AllocateArray<float>(n, pinned: true);
        source = new float[n];
        target = new float[n];
        // Zeros: a sum in place of values that double at every call would reach infinity within a few hundred calls.
        for (int i = 0; i < n; i++) source[i] = i % 7;
        group = Gradgen.Distributed.Distributed.Group("AllReduceBenchmarks");
        MpiProcessGroup.PollWithoutPause = TimeSpan.FromMicroseconds(PollMicroseconds);
    }

    [Benchmark(Baseline = true, Description = "memcpy")]
    public void Copy() => source.AsSpan().CopyTo(target);

    [Benchmark(Description = "allreduce")]
    public void AllReduce() => group.Run(group.StartAllReduce(buffer, buffer.Length, ReduceOp.Sum, "benchmark allreduce"));
}
