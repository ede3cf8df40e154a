using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;

namespace Gradgen.Benchmarks;

/// <summary>
/// One explicit job, sized so that the whole Bump class (18 cases) runs in about five minutes on a 2-core machine:
/// two launches (separate processes: JIT code placement and stack alignment vary from one process start to the next),
/// each with 4 warm-up and 10 measured iterations of about 150 ms. Tighter numbers: <c>--launchCount</c>,
/// <c>--iterationCount</c> on the command line, or <c>--job Default</c>.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    /// <summary>The job and columns every benchmark class of this project uses.</summary>
    public BenchmarkConfig()
    {
        AddJob(Job.Default
            .WithId("Short")
            .WithLaunchCount(2)
            .WithWarmupCount(4)
            .WithIterationCount(10)
            .WithIterationTime(TimeInterval.FromMilliseconds(150))
            .AsDefault());
        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
    }
}
