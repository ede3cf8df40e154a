using System.Globalization;

namespace Gradgen.Distributed.Tests;

/// <summary>samples/Gradgen.Distributed under <c>mpiexec -n 2</c>, against the same sample as a world of one.</summary>
public sealed class SampleTests
{
    const string Arguments = "--epochs 30 --mnist-epochs 1 --train-size 1024 --test-size 256";

    [SkippableFact]
    public void TheSampleTrainsBothModelsOnTwoRanksAsOnOne()
    {
        MpiRun.SkipUnlessAvailable();
        var one = MpiRun.Start(1, Arguments, TimeSpan.FromMinutes(3), program: MpiRun.Sample);
        var two = MpiRun.Start(2, Arguments, TimeSpan.FromMinutes(3), program: MpiRun.Sample);
        foreach (var run in new[] { one, two })
        {
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Equal(2, run.Output.Split('\n').Count(l => l.Trim() == "parameters identical on every rank: True"));
        }
        Assert.Contains("world: 2 rank(s), backend mpi", two.Output, StringComparison.Ordinal);
        Assert.Contains("samples/s per rank", two.Output, StringComparison.Ordinal);

        // The perceptron's full batch split in two shards: its global loss follows the one-rank run (float32 sums in
        // another order), and each rank's own loss is printed beside it.
        var single = GlobalLosses(one.Output);
        var split = GlobalLosses(two.Output);
        Assert.Equal(single.Count, split.Count);
        Assert.True(single.Count >= 10);
        for (int i = 0; i < single.Count; i++)
            Assert.True(Math.Abs(single[i].Loss - split[i].Loss) <= 1e-4 * single[i].Loss + 1e-6, $"epoch {single[i].Epoch}: {single[i].Loss} vs {split[i].Loss}");
        Assert.True(split[^1].Loss < split[0].Loss / 10, $"the loss fell from {split[0].Loss} to {split[^1].Loss} only");
    }

    /// <summary>The rows "epoch   global loss   loss per rank" of the perceptron part.</summary>
    static List<(int Epoch, double Loss, int Ranks)> GlobalLosses(string output)
    {
        var rows = new List<(int, double, int)>();
        bool inTable = false;
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("epoch   global loss", StringComparison.Ordinal)) { inTable = true; continue; }
            if (!inTable) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 3 || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch)) break;
            rows.Add((epoch, double.Parse(parts[1], CultureInfo.InvariantCulture), parts.Length - 2));
        }
        return rows;
    }
}
