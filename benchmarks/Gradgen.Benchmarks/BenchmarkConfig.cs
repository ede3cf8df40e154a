using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;

namespace Gradgen.Benchmarks;

/// <summary>
/// One explicit job, sized so that the whole Bump class (21 cases, a process each) runs in a few minutes on a 2-core
/// machine: one launch, 4 warm-up and 12 measured iterations of about 150 ms each. Tighter numbers need
/// <c>--launchCount</c>/<c>--iterationCount</c> on the command line or <c>--job Default</c>.
/// </summary>
public sealed class BenchmarkConfig : ManualConfig
{
    /// <summary>The job and columns every benchmark class of this project uses.</summary>
    public BenchmarkConfig()
    {
        AddJob(Job.Default
            .WithId("Short")
            .WithLaunchCount(1)
            .WithWarmupCount(4)
            .WithIterationCount(12)
            .WithIterationTime(TimeInterval.FromMilliseconds(150))
            .AsDefault());
        AddColumn(StatisticColumn.Median, StatisticColumn.Min);
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
    }
}
