using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Gradgen.Oracle.Tests;

/// <summary>Runs batches of programs in PyTorch through oracle.py (one Python process per batch: starting Python and torch costs 1–2 s).</summary>
internal static class TorchRunner
{
    public const string Python = "/usr/bin/python3";

    static readonly Lazy<string?> unavailable = new(Probe);

    /// <summary>Why PyTorch cannot be run here, or null where it can.</summary>
    public static string? UnavailableReason => unavailable.Value;

    static string? Probe()
    {
        if (!File.Exists(Python)) return $"{Python} is not installed (apt-get install python3-torch libopenblas0-pthread)";
        try
        {
            var (code, output) = RunProcess(["-c", "import torch, numpy; print(torch.__version__)"], 120);
            return code == 0 ? null : $"{Python} cannot import torch (apt-get install python3-torch libopenblas0-pthread): {output.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"{Python} could not be started: {e.Message}";
        }
    }

    /// <summary>Runs each program (with Gradgen's observations, whose inputs PyTorch evaluates the anchored steps on) and returns PyTorch's observations per program.</summary>
    public static List<List<Observation>?> Run(IReadOnlyList<(IReadOnlyList<Step> Steps, List<Observation> Gradgen)> programs)
    {
        var all = new List<List<Observation>?>();
        while (all.Count < programs.Count)
        {
            var rest = programs.Skip(all.Count).ToList();
            var (results, log) = RunOnce(rest);
            all.AddRange(results);
            if (results.Count < rest.Count)
            {
                // PyTorch itself crashed the process (heap corruption in some 1.13 kernels) on the next program: no answer for it.
                Crashes.Add((rest[results.Count].Steps, log));
                all.Add(null);
            }
        }
        return all;
    }

    /// <summary>The programs on which the PyTorch process crashed (not a disagreement: no answer), with its output.</summary>
    public static readonly System.Collections.Concurrent.ConcurrentBag<(IReadOnlyList<Step> Steps, string Log)> Crashes = [];

    static (List<List<Observation>?> Results, string Log) RunOnce(IReadOnlyList<(IReadOnlyList<Step> Steps, List<Observation> Gradgen)> programs)
    {
        var batch = new JsonArray();
        foreach (var (steps, gradgen) in programs)
        {
            var js = new JsonArray();
            for (int k = 0; k < steps.Count; k++)
            {
                var o = steps[k].ToJson();
                var ins = gradgen[k].Inputs;
                o["gin"] = ins is null ? null : new JsonArray(ins.Select(v => (JsonNode?)v?.ToJson()).ToArray());
                js.Add(o);
            }
            batch.Add(new JsonObject { ["steps"] = js });
        }

        string dir = Path.Combine(Path.GetTempPath(), $"gradgen-oracle-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string input = Path.Combine(dir, "in.json"), output = Path.Combine(dir, "out.json");
            File.WriteAllText(input, batch.ToJsonString());
            string script = Path.Combine(AppContext.BaseDirectory, "oracle.py");
            var (code, log) = RunProcess([script, input, output], 600);
            var all = new List<List<Observation>?>();
            if (File.Exists(output))
            {
                foreach (var line in File.ReadLines(output))
                {
                    if (line.Length == 0) continue;
                    JsonNode? r;
                    try { r = JsonNode.Parse(line); }
                    catch (System.Text.Json.JsonException) { break; }    // the line being written when the process died
                    all.Add(r!["steps"] is JsonArray steps ? steps.Select(Parse).ToList() : throw new InvalidOperationException($"oracle.py: {r["fatal"]}"));
                }
            }
            if (code != 0 && all.Count == programs.Count) throw new InvalidOperationException($"oracle.py failed (exit {code}):\n{log}");
            if (code == 0 && all.Count != programs.Count) throw new InvalidOperationException($"oracle.py answered {all.Count} of {programs.Count} programs:\n{log}");
            return (all, log);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    static Observation Parse(JsonNode? n)
    {
        var o = new Observation
        {
            Skipped = n!["skipped"] is not null,
            Error = (string?)n["err"],
            Value = TensorValue.FromJson(n["val"]),
            RequiresGrad = (bool?)n["rg"] ?? false,
            IsLeaf = (bool?)n["leaf"] ?? false,
            GradFn = (string?)n["fn"],
            Anchored = TensorValue.FromJson(n["anc"]),
            AnchoredError = (string?)n["ancerr"],
        };
        if (n["leaves"] is JsonArray leaves)
        {
            o.Leaves = leaves.Select(l => new LeafState((int)l!["var"]!, TensorValue.FromJson(l["v"])!, TensorValue.FromJson(l["g"]))).ToList();
        }
        if (n["leaves64"] is JsonArray wide)
        {
            o.Leaves64 = wide.Select(l => new LeafState((int)l!["var"]!, TensorValue.FromJson(l["v"])!, TensorValue.FromJson(l["g"]))).ToList();
        }
        return o;
    }

    /// <summary>Runs /usr/bin/python3 with <paramref name="args"/> (one thread for torch), returning its exit code and output.</summary>
    internal static (int Code, string Output) RunProcess(string[] args, int timeoutSeconds)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Python} {string.Join(' ', args)} ran past {timeoutSeconds} s");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
