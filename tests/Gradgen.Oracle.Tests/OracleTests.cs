using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Gradgen.Oracle.Tests;

/// <summary>
/// The differential test against PyTorch 1.13 (docs/oracle.md): random programs over the public tensor API run in
/// Gradgen and in PyTorch on the same data; every step's value, dtype, shape, requires_grad and grad_fn, every
/// gradient and optimizer update, and every refusal must agree (DeliberateDifferences lists the exceptions).
/// <c>GRADGEN_ORACLE_SEED</c> sets the run's seed (printed by every run; by default a new one each run), <c>GRADGEN_ORACLE_PROGRAMS</c> the number of
/// programs (default 1,200), <c>GRADGEN_ORACLE_PROGRAM</c> runs one program of the seed.
/// </summary>
public class OracleTests(ITestOutputHelper output)
{
    const int DefaultPrograms = 1200;

    static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : fallback;

    /// <summary>The seed of program <paramref name="index"/> of the run with seed <paramref name="seed"/>.</summary>
    static int ProgramSeed(int seed, int index)
    {
        // SplitMix64 of (seed, index): the same in every process (HashCode.Combine is randomised per process).
        ulong z = ((ulong)(uint)seed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }

    [SkippableFact]
    public void Random_programs_agree_with_PyTorch()
    {
        RequireTorch();
        // A new seed per run (the issue asks it of CI: every run explores programs no earlier run did); the seed is
        // printed, and GRADGEN_ORACLE_SEED=N reruns it.
        int seed = Env("GRADGEN_ORACLE_SEED", Random.Shared.Next(1, int.MaxValue));
        int count = Env("GRADGEN_ORACLE_PROGRAMS", DefaultPrograms);
        int only = Env("GRADGEN_ORACLE_PROGRAM", -1);
        string header = $"oracle seed {seed} (rerun with GRADGEN_ORACLE_SEED={seed})";
        output.WriteLine(header);
        Console.WriteLine(header);

        var sw = Stopwatch.StartNew();
        var indices = only >= 0 ? [only] : Enumerable.Range(0, count).ToArray();
        var programs = indices.Select(i => Generator.Make(ProgramSeed(seed, i))).ToList();
        var failures = Check(programs);
        int steps = programs.Sum(p => p.Count);
        output.WriteLine($"{programs.Count} programs, {steps} steps, {failures.Count} disagreeing, {sw.Elapsed.TotalSeconds:F1} s");
        int shown = 0;
        while (Comparer.Warnings.TryDequeue(out var w))
            if (shown++ < 5) output.WriteLine("float64 run disagrees (reported, not failed): " + w.Split('\n')[0]);
        foreach (var (crashed, log) in TorchRunner.Crashes)
        {
            output.WriteLine("PyTorch crashed on this program (not counted as a disagreement):");
            for (int k = 0; k < crashed.Count; k++) output.WriteLine("  " + crashed[k].Describe(k));
            output.WriteLine(log.Split('\n').LastOrDefault(l => l.Length > 0) ?? "");
        }
        if (failures.Count == 0) return;

        // Shrink the first failure to a minimal program and report it with the seed.
        int first = failures.Keys.Min();
        var (minimal, why) = Shrink(programs[first], failures[first]);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{failures.Count} of {programs.Count} programs disagree with PyTorch. {header}; first: GRADGEN_ORACLE_PROGRAM={indices[first]}.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Minimal program ({minimal.Count} of {programs[first].Count} steps): {why}");
        for (int k = 0; k < minimal.Count; k++) sb.AppendLine("  " + minimal[k].Describe(k));
        var kinds = failures.Values.Select(f => System.Text.RegularExpressions.Regex.Replace(f.Split('\n')[0], @"v[0-9]+|[-0-9.e]+|\[[^\]]*\]", "#"))
            .GroupBy(f => f).OrderByDescending(g => g.Count());
        foreach (var kind in kinds) output.WriteLine($"{kind.Count(),5} {kind.Key}");
        if (Environment.GetEnvironmentVariable("GRADGEN_ORACLE_VERBOSE") == "1")
            foreach (var (i, f) in failures) output.WriteLine($"program {indices[i]}: {string.Join(" | ", f.Split('\n').Take(3))}");
        foreach (var (i, f) in failures.Take(5)) sb.AppendLine(CultureInfo.InvariantCulture, $"program {indices[i]}: {f.Split('\n')[0]}");
        Assert.Fail(sb.ToString());
    }

    /// <summary>The oracle must notice a difference: a program whose PyTorch side is tampered with disagrees.</summary>
    [SkippableFact]
    public void A_wrong_value_is_noticed_and_shrunk()
    {
        RequireTorch();
        var program = new List<Step>
        {
            new("input", [], [3], [1], "float32", Data: [1, 2, 3]),
            new("input", [], [3], [0], "float32", Data: [0.5, 0.5, 0.5]),
            new("exp", [0], [], []),
            new("sin", [0], [], []),
            new("sum", [2], [], []),
            new("backward", [4], [0], []),
        };
        var g = GradgenRunner.Run(program);
        var t = TorchRunner.Run([(program, g)])[0]!;
        Assert.Null(Comparer.Compare(program, g, t));
        g[2].Value = g[2].Value! with { V = [1, 2, 3] };
        Assert.Contains("values differ", Comparer.Compare(program, g, t));
        // A wrong gradient in one precision is taken for rounding noise only within the other's bound; a gradient
        // wrong in both precisions is noticed.
        g = GradgenRunner.Run(program);
        g[5].Leaves![0] = g[5].Leaves![0] with { Grad = g[5].Leaves![0].Grad! with { V = [0, 0, 0] } };
        g[5].Leaves64![0] = g[5].Leaves64![0] with { Grad = g[5].Leaves64![0].Grad! with { V = [0, 0, 0] } };
        Assert.Contains("grad differs", Comparer.Compare(program, g, t));
        g = GradgenRunner.Run(program);
        g[5].Leaves64![0] = g[5].Leaves64![0] with { Grad = g[5].Leaves64![0].Grad! with { V = [1, 1, 1] } };
        Comparer.Warnings.Clear();
        Assert.Null(Comparer.Compare(program, g, t));
        Assert.Contains(Comparer.Warnings, w => w.Contains("float64", StringComparison.Ordinal));
        Comparer.Warnings.Clear();
    }

    /// <summary>Skips the test, with the reason, where PyTorch cannot run; fails it instead under <c>CI=true</c>.</summary>
    internal static void RequireTorch()
    {
        var reason = TorchRunner.UnavailableReason;
        if (reason is null) return;
        if (IsCi) Assert.Fail($"CI=true but PyTorch is unavailable: {reason}. .ci/run installs python3-torch and libopenblas0-pthread.");
        Skip.If(true, $"PyTorch is unavailable, so the oracle cannot run: {reason}");
    }

    /// <summary>Runs programs in both libraries (PyTorch in batches); returns the index and description of each disagreeing one.</summary>
    static SortedDictionary<int, string> Check(IReadOnlyList<List<Step>> programs)
    {
        var failures = new SortedDictionary<int, string>();
        const int Batch = 400;
        for (int start = 0; start < programs.Count; start += Batch)
        {
            var chunk = Enumerable.Range(start, Math.Min(Batch, programs.Count - start)).ToList();
            var gradgen = chunk.Select(i => GradgenRunner.Run(programs[i])).ToList();
            var torch = TorchRunner.Run(chunk.Select((i, j) => ((IReadOnlyList<Step>)programs[i], gradgen[j])).ToList());
            for (int j = 0; j < chunk.Count; j++)
            {
                if (torch[j] is null) continue;    // PyTorch crashed: no answer to compare with (reported below)
                var f = Comparer.Compare(programs[chunk[j]], gradgen[j], torch[j]!);
                if (f is not null) failures[chunk[j]] = f;
            }
        }
        return failures;
    }

    /// <summary>Deletes steps (with the steps that use them) while the program still disagrees; each round runs all candidates in one PyTorch batch.</summary>
    static (List<Step> Program, string Why) Shrink(List<Step> program, string why)
    {
        for (int round = 0; round < 200; round++)
        {
            var candidates = new List<List<Step>>();
            for (int k = program.Count - 1; k >= 0; k--) candidates.Add(Without(program, k));
            var failures = Check(candidates);
            if (failures.Count == 0) break;
            int best = failures.Keys.OrderBy(i => candidates[i].Count).First();
            program = candidates[best];
            why = failures[best];
        }
        return (program, why);
    }

    /// <summary>The program without step <paramref name="k"/> and every step that uses its result, renumbered.</summary>
    static List<Step> Without(List<Step> program, int k)
    {
        var removed = new HashSet<int> { k };
        for (int i = k + 1; i < program.Count; i++)
            if (program[i].Args.Any(removed.Contains)) removed.Add(i);
        var map = new Dictionary<int, int>();
        var result = new List<Step>();
        for (int i = 0; i < program.Count; i++)
        {
            if (removed.Contains(i)) continue;
            map[i] = result.Count;
            result.Add(program[i].WithArgs(program[i].Args.Select(a => map[a]).ToArray()));
        }
        return result;
    }
}
