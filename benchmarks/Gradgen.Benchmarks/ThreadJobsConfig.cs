using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;

namespace Gradgen.Benchmarks;

/// <summary>
/// The <see cref="BenchmarkConfig"/> job run twice, once per thread count: <c>GRADGEN_NUM_THREADS=1</c> and
/// <c>=2</c> in the benchmark process's environment. Gradgen reads the variable once per process (GEMM and the
/// elementwise driver), so the thread count must be a job, not a parameter; the TorchSharp benchmarks of the same
/// class read it too (<see cref="ThreadJobs.Threads"/>) and call <c>torch.set_num_threads</c> with it, so each job
/// compares both libraries at the same thread count.
/// </summary>
public class ThreadJobsConfig : ManualConfig
{
    /// <summary>The two jobs and the columns of <see cref="BenchmarkConfig"/>.</summary>
    public ThreadJobsConfig()
        : this(gcTunedJob: false)
    {
    }

    /// <summary>
    /// The two jobs, and with <paramref name="gcTunedJob"/> a third: one thread with the GC told to keep large arrays
    /// in generation 0 (<c>DOTNET_GCLOHThreshold</c>, <c>DOTNET_GCgen0size</c>) — the same code, a different GC
    /// configuration, to measure what the large-object heap costs the eager path (docs/benchmarks.md 2).
    /// </summary>
    protected ThreadJobsConfig(bool gcTunedJob)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            AddJob(Job.Default
                .WithId($"{threads}thr")
                .WithLaunchCount(2)
                .WithWarmupCount(4)
                .WithIterationCount(10)
                .WithIterationTime(TimeInterval.FromMilliseconds(150))
                .WithEnvironmentVariables(new EnvironmentVariable(ThreadJobs.Variable, threads.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        if (gcTunedJob)
        {
            AddJob(Job.Default
                .WithId("1thrGen0")
                .WithLaunchCount(2)
                .WithWarmupCount(4)
                .WithIterationCount(10)
                .WithIterationTime(TimeInterval.FromMilliseconds(150))
                .WithEnvironmentVariables(
                    new EnvironmentVariable(ThreadJobs.Variable, "1"),
                    new EnvironmentVariable("DOTNET_GCLOHThreshold", "0x7FFFFFFF"),
                    new EnvironmentVariable("DOTNET_GCgen0size", "0x8000000")));
        }

        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);

        // BenchmarkDotNet builds one executable per job; its default two-minute limit fails those builds on the shared
        // 2-core host while other builds run.
        BuildTimeout = TimeSpan.FromMinutes(10);
    }
}

/// <summary><see cref="ThreadJobsConfig"/> plus the GC-tuned one-thread job.</summary>
public sealed class ThreadAndGcJobsConfig : ThreadJobsConfig
{
    /// <summary>Three jobs: 1 thread, 2 threads, 1 thread with large arrays in generation 0.</summary>
    public ThreadAndGcJobsConfig()
        : base(gcTunedJob: true)
    {
    }
}

/// <summary>The thread count a <see cref="ThreadJobsConfig"/> job runs with.</summary>
public static class ThreadJobs
{
    /// <summary>Gradgen's thread-count variable.</summary>
    public const string Variable = "GRADGEN_NUM_THREADS";

    /// <summary>The job's thread count (the variable; the processor count when it is unset).</summary>
    public static int Threads =>
        int.TryParse(Environment.GetEnvironmentVariable(Variable), out int t) && t > 0 ? t : Environment.ProcessorCount;

    /// <summary>Runs <paramref name="action"/> repeatedly for <paramref name="milliseconds"/> (tiered JIT warm-up before the pilot).</summary>
    public static void WarmUp(Action action, int milliseconds = 800)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < milliseconds)
        {
            action();
        }
    }
}
