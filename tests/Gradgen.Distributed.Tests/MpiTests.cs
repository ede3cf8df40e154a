using System.Globalization;

namespace Gradgen.Distributed.Tests;

/// <summary>
/// Jobs of 2 and 3 processes on this machine, launched with mpiexec: collectives, data-parallel training against
/// one process with the whole batch, NoSync accumulation, mismatched models and failing ranks.
/// </summary>
public sealed class MpiTests
{
    static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(3);

    [SkippableTheory]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryRankJoinsTheWorldOverMpi(int ranks)
    {
        MpiRun.SkipUnlessAvailable();
        var run = Succeeded(ranks, "info");
        var lines = run.Lines("INFO");
        Assert.Equal(ranks, lines.Count);
        Assert.Equal(Enumerable.Range(0, ranks).Select(r => r.ToString(CultureInfo.InvariantCulture)), lines.Select(l => MpiRun.Field(l, "rank")).Order());
        Assert.All(lines, l => Assert.Equal(ranks.ToString(CultureInfo.InvariantCulture), MpiRun.Field(l, "size")));
        Assert.All(lines, l => Assert.Contains("backend=mpi (", l, StringComparison.Ordinal));
    }

    [SkippableTheory]
    [InlineData(2)]
    [InlineData(3)]
    public void CollectivesReduceBroadcastAndSynchronise(int ranks)
    {
        MpiRun.SkipUnlessAvailable();
        var run = Succeeded(ranks, "collectives");
        var lines = run.Lines("COLLECTIVES");
        Assert.Equal(ranks, lines.Count);
        Assert.All(lines, l => Assert.EndsWith(" ok", l, StringComparison.Ordinal));
    }

    /// <summary>
    /// N ranks with 4 rows each follow one process with 4·N rows over 50 steps of SGD with momentum in Float64: the
    /// compiled model (one ResidualNetBackward node) and the same network run eagerly; every rank ends with rank 0's
    /// values exactly. The 784-256-10 compiled chain runs in Float32 only, so its bound is Float32's. The same with
    /// Adam (lr 0.01): its per-element normalisation makes it follow the averaged gradient just as exactly.
    /// </summary>
    [SkippableTheory]
    [InlineData(2, "compiled", "ResidualNetBackward", 1e-6, "sgd")]
    [InlineData(3, "compiled", "ResidualNetBackward", 1e-6, "sgd")]
    [InlineData(2, "eager", "AddmmBackward", 1e-6, "sgd")]
    [InlineData(3, "eager", "AddmmBackward", 1e-6, "sgd")]
    [InlineData(2, "mnist", "MnistMlpBackward", 1e-5, "sgd")]
    [InlineData(2, "compiled", "ResidualNetBackward", 1e-6, "adam")]
    [InlineData(3, "compiled", "ResidualNetBackward", 1e-6, "adam")]
    [InlineData(3, "eager", "AddmmBackward", 1e-6, "adam")]
    public void DataParallelTrainingFollowsOneProcessWithTheWholeBatch(int ranks, string model, string node, double tolerance, string optimizer)
    {
        MpiRun.SkipUnlessAvailable();
        var run = Succeeded(ranks, $"equivalence {model} 50 {optimizer}");
        var lines = run.Lines("EQUIVALENCE");
        Assert.Equal(ranks, lines.Count);
        foreach (string line in lines)
        {
            Assert.Equal(node, MpiRun.Field(line, "node"));
            Assert.Equal(optimizer, MpiRun.Field(line, "optimizer"));
            Assert.True(int.Parse(MpiRun.Field(line, "buckets"), CultureInfo.InvariantCulture) > 1, line);
            double worst = double.Parse(MpiRun.Field(line, "maxrel"), CultureInfo.InvariantCulture);
            Assert.True(worst <= tolerance, $"relative difference {worst:E3} > {tolerance:E0}: {line}");
            Assert.Equal("True", MpiRun.Field(line, "identical"));
        }
    }

    /// <summary>
    /// BatchNorm's running statistics (buffers, an Int64 counter among them): construction gives every rank rank 0's;
    /// then each training forward starts from rank 0's buffers (PyTorch's broadcast_buffers=True) or, with
    /// broadcastBuffers: false, from the rank's own, and updates them from the rank's rows, exactly as one
    /// BatchNorm1d replaying the same rows.
    /// </summary>
    [SkippableTheory]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(2, false)]
    public void BuffersAreRankZerosAtEveryForward(int ranks, bool broadcast)
    {
        MpiRun.SkipUnlessAvailable();
        var run = Succeeded(ranks, $"buffers 6 {broadcast}");
        var lines = run.Lines("BUFFERS");
        Assert.Equal(ranks, lines.Count);
        foreach (string line in lines)
        {
            Assert.Equal(broadcast.ToString(), MpiRun.Field(line, "broadcast"));
            Assert.Equal("True", MpiRun.Field(line, "copied-at-construction"));
            double worst = double.Parse(MpiRun.Field(line, "maxabs"), CultureInfo.InvariantCulture);
            Assert.True(worst <= 1e-12, $"buffers differ from the replay by {worst:E3}: {line}");
        }
    }

    [SkippableTheory]
    [InlineData(2)]
    [InlineData(3)]
    public void NoSyncAccumulatesLocallyAndTheNextBackwardAveragesTheSum(int ranks)
    {
        MpiRun.SkipUnlessAvailable();
        var run = Succeeded(ranks, "nosync 20");
        var lines = run.Lines("NOSYNC");
        Assert.Equal(ranks, lines.Count);
        foreach (string line in lines)
        {
            double worst = double.Parse(MpiRun.Field(line, "maxrel"), CultureInfo.InvariantCulture);
            Assert.True(worst <= 1e-6, line);
            Assert.Equal("True", MpiRun.Field(line, "local-while-nosync"));
            Assert.Equal("True", MpiRun.Field(line, "identical"));
        }
    }

    [SkippableFact]
    public void MismatchedParameterShapesFailOnEveryRankNamingTheParameter()
    {
        MpiRun.SkipUnlessAvailable();
        var run = Succeeded(3, "mismatch");
        var lines = run.Lines("MISMATCH");
        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.Contains("parameter 'l1.weight' (#0) differs across ranks: rank 0 has Float32 [16, 8], rank 1 has Float32 [12, 8]", l, StringComparison.Ordinal));
    }

    /// <summary>With the launcher's default clean-up, a rank that throws mid-step ends the whole job, with its error.</summary>
    [SkippableFact]
    public void ARankThatThrowsEndsTheJobWithItsError()
    {
        MpiRun.SkipUnlessAvailable();
        var run = MpiRun.Start(2, "fault throw 1 3", JobLimit);
        Assert.False(run.TimedOut, run.Output);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("rank 1 fails on purpose at step 3", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("finished all steps", run.Output, StringComparison.Ordinal);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(90), $"the job took {run.Elapsed}");
    }

    /// <summary>
    /// Without the launcher's clean-up (<c>-disable-auto-cleanup</c>), a rank that exits mid-step leaves the others
    /// waiting in the gradient allreduce: the watchdog ends the wait after the collective timeout (5 s here) with an
    /// error naming the bucket, the gradients are still the rank's own (not partly averaged), and the wrapper refuses
    /// further use.
    /// </summary>
    [SkippableFact]
    public void SurvivorsOfARankThatExitsFailWithinTheTimeoutAndKeepTheirOwnGradients()
    {
        MpiRun.SkipUnlessAvailable();
        Skip.IfNot(MpiRun.LauncherIsHydra, "mpiexec is not MPICH's Hydra: this test needs its -disable-auto-cleanup option.");
        var run = MpiRun.Start(3, "fault exit 1 3", JobLimit, launcherOptions: "-disable-auto-cleanup", collectiveTimeoutSeconds: 5);
        Assert.False(run.TimedOut, run.Output);
        Assert.NotEqual(0, run.ExitCode);
        var caught = run.Lines("SURVIVOR").Where(l => l.Contains(" caught ", StringComparison.Ordinal)).ToList();

        // Flaky in full CI runs (1 of 2 survivors reported, 2026-12-07) and never alone: the job's output says why.
        Assert.True(caught.Count == 2, $"{caught.Count} survivors caught the timeout:\n{run.Output}");
        Assert.All(caught, l => Assert.Contains("DistributedException: allreduce of gradient bucket", l, StringComparison.Ordinal));
        Assert.All(caught, l => Assert.Contains("did not complete within 5 s", l, StringComparison.Ordinal));
        Assert.Equal(2, run.Lines("SURVIVOR").Count(l => l.EndsWith("grads-own=True", StringComparison.Ordinal)));
        Assert.Equal(2, run.Lines("SURVIVOR").Count(l => l.Contains("reuse-rejected=True", StringComparison.Ordinal)));
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(90), $"the job took {run.Elapsed}");
    }

    static MpiRun Succeeded(int ranks, string arguments)
    {
        var run = MpiRun.Start(ranks, arguments, JobLimit);
        Assert.False(run.TimedOut, $"mpiexec -n {ranks} {arguments} did not finish within {JobLimit}:\n{run.Output}");
        Assert.True(run.ExitCode == 0, $"mpiexec -n {ranks} {arguments} exited with {run.ExitCode}:\n{run.Output}");
        return run;
    }
}
