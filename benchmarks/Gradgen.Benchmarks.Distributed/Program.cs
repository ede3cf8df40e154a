using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Gradgen.Benchmarks.Distributed;
using Gradgen.Distributed;

// mpiexec -n N dotnet bin/Release/net10.0/Gradgen.Benchmarks.Distributed.dll [step|allreduce]...
// Each rank runs the benchmarks in its own process (in-process toolchain) with fixed counts: BenchmarkDotNet's pilot
// stage, which picks the number of calls from the measured speed, would pick different counts on different ranks,
// and ranks that make different numbers of collective calls wait for each other forever. Rank 0 prints.
Gradgen.Distributed.Distributed.Init();
int rank = Gradgen.Distributed.Distributed.Rank;
var which = args.Length == 0 ? ["step", "allreduce"] : args;
foreach (string name in which)
{
    var (type, invocations) = name switch
    {
        "step" => (typeof(TrainingStepBenchmarks), 32),
        "allreduce" => (typeof(AllReduceBenchmarks), 64),
        _ => throw new ArgumentException($"unknown benchmark '{name}'; expected step or allreduce"),
    };
    BenchmarkRunner.Run(type, Config(rank, invocations));
}
return 0;

static IConfig Config(int rank, int invocations)
{
    var config = ManualConfig.CreateEmpty()
        .AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId($"{Gradgen.Distributed.Distributed.WorldSize}rank")
            .WithLaunchCount(1)
            .WithWarmupCount(6)
            .WithIterationCount(30)
            .WithInvocationCount(invocations)
            .WithUnrollFactor(1))
        .AddColumnProvider(DefaultColumnProviders.Instance)
        .AddColumn(StatisticColumn.Median)
        .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend))
        .WithArtifactsPath(Path.Combine("BenchmarkDotNet.Artifacts", $"rank{rank}"))
        .WithOptions(ConfigOptions.DisableLogFile);
    return rank == 0 ? config.AddLogger(ConsoleLogger.Default) : config;
}
