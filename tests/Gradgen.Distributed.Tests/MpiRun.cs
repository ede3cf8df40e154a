using System.Diagnostics;
using System.Text;

namespace Gradgen.Distributed.Tests;

/// <summary>
/// Runs the worker program (tests/Gradgen.Distributed.Worker) under <c>mpiexec -n N</c> on this machine and collects
/// what every rank printed. The tests that use it skip, with the reason, where <c>mpiexec</c> or an MPI library is
/// missing (.ci/run installs MPICH).
/// </summary>
internal sealed record MpiRun(int ExitCode, string Output, TimeSpan Elapsed, bool TimedOut)
{
    /// <summary>The worker's assembly, copied next to the tests by the project reference.</summary>
    const string Worker = "gradgen-distributed-worker.dll";

    /// <summary>The sample (samples/Gradgen.Distributed), also copied next to the tests.</summary>
    public const string Sample = "gradgen-distributed-sample.dll";

    /// <summary>Skips the calling test unless MPI jobs can be launched here.</summary>
    public static void SkipUnlessAvailable()
    {
        Skip.If(FindMpiexec() is null, "mpiexec was not found on PATH: install MPICH (apt-get install mpich) to run the distributed tests.");
        Skip.IfNot(Distributed.IsAvailable, $"no MPI library can be loaded: {Distributed.UnavailableReason}");
    }

    /// <summary>Whether <c>mpiexec</c> is MPICH's Hydra (whose options, such as <c>-disable-auto-cleanup</c>, a test uses).</summary>
    public static bool LauncherIsHydra => hydra.Value;

    static readonly Lazy<bool> hydra = new(() =>
    {
        var info = new ProcessStartInfo(FindMpiexec()!, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        string text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return text.Contains("HYDRA", StringComparison.Ordinal);
    });

    /// <summary>Runs <c>mpiexec [launcherOptions] -n <paramref name="ranks"/> dotnet program args</c>, killing it after <paramref name="limit"/>.</summary>
    public static MpiRun Start(int ranks, string arguments, TimeSpan limit, string launcherOptions = "", double collectiveTimeoutSeconds = 60, string program = Worker)
    {
        var info = new ProcessStartInfo(FindMpiexec()!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string option in launcherOptions.Split(' ', StringSplitOptions.RemoveEmptyEntries)) info.ArgumentList.Add(option);
        info.ArgumentList.Add("-n");
        info.ArgumentList.Add(ranks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program));
        foreach (string a in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)) info.ArgumentList.Add(a);
        info.Environment[Distributed.TimeoutVariable] = collectiveTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // One thread per rank: the ranks share this machine's cores.
        info.Environment["DOTNET_PROCESSOR_COUNT"] = "1";
        info.Environment["GRADGEN_NUM_THREADS"] = "1";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool exited = process.WaitForExit(limit);
        if (!exited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        lock (output) return new MpiRun(exited ? process.ExitCode : -1, output.ToString(), clock.Elapsed, !exited);
    }

    /// <summary>The lines that begin with <paramref name="key"/>, one per rank that printed it.</summary>
    public IReadOnlyList<string> Lines(string key) =>
        [.. Output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith(key + " ", StringComparison.Ordinal))];

    /// <summary>The value of <c>name=value</c> in <paramref name="line"/>.</summary>
    public static string Field(string line, string name)
    {
        foreach (string part in line.Split(' '))
            if (part.StartsWith(name + "=", StringComparison.Ordinal)) return part[(name.Length + 1)..];
        throw new InvalidOperationException($"no {name}= in: {line}");
    }

    static string? FindMpiexec()
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (folder.Length == 0) continue;
            string candidate = Path.Combine(folder, "mpiexec");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
