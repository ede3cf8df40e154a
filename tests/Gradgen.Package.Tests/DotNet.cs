using System.Diagnostics;
using System.Text;

namespace Gradgen.Package.Tests;

/// <summary>The result of one <c>dotnet</c> command: what was run, its exit code and everything it printed.</summary>
public sealed record DotNetResult(string CommandLine, string WorkingDirectory, int ExitCode, string Output, TimeSpan Elapsed)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>A failure message that shows the command and its whole output.</summary>
    public string Describe(string what) =>
        $"{what}: `{CommandLine}` in {WorkingDirectory} exited with {ExitCode} after {Elapsed.TotalSeconds:0.0} s. Its output:\n{Output}";
}

/// <summary>Runs the dotnet CLI as a child process with a clean, controlled environment.</summary>
public static class DotNet
{
    /// <summary>The dotnet host that runs these tests (the SDK sets DOTNET_HOST_PATH for its child processes).</summary>
    public static string HostPath =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>
    /// Runs <c>dotnet <paramref name="arguments"/></c> in <paramref name="workingDirectory"/>, with
    /// <paramref name="environment"/> added (a null value removes a variable), and returns when it exits or kills it
    /// after <paramref name="timeout"/>.
    /// </summary>
    public static DotNetResult Run(
        string workingDirectory, IReadOnlyList<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(HostPath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The test host runs inside `dotnet test`, whose MSBuild variables would point a child build at the test
        // run's own MSBuild and SDK resolver state; a child dotnet finds its own.
        foreach (string variable in new[]
                 {
                     "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly",
                     "MSBUILDNOINPROCNODE", "VSTEST_HOST_DEBUG", "DOTNET_STARTUP_HOOKS",
                 })
        {
            info.Environment.Remove(variable);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        info.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        // No build server or node outlives the command (they would hold the temporary folders).
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        if (environment is not null)
        {
            foreach ((string name, string? value) in environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(name);
                }
                else
                {
                    info.Environment[name] = value;
                }
            }
        }

        string commandLine = "dotnet " + string.Join(' ', arguments.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Append(output, $"[killed: no exit within {timeout.TotalSeconds:0} s]");
            return new DotNetResult(commandLine, workingDirectory, -1, Snapshot(output), clock.Elapsed);
        }

        process.WaitForExit(); // flushes the asynchronous output readers
        return new DotNetResult(commandLine, workingDirectory, process.ExitCode, Snapshot(output), clock.Elapsed);
    }

    static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
