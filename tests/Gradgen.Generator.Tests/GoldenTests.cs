using System.Runtime.CompilerServices;
using Gradgen.Generator.Tests.Infrastructure;

namespace Gradgen.Generator.Tests;

/// <summary>
/// The generated source for representative functions, compared text for text with Golden/NAME.g.cs.
/// To accept a deliberate change: run the tests with GRADGEN_UPDATE_GOLDEN=1, then review the diff of Golden/.
/// </summary>
public sealed class GoldenTests
{
    public static TheoryData<string> Cases => new() { "Curves", "Branches", "TwoParameters", "Nested", "Model", "SequentialModel", "GraphModel", "NormalizedModel" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GeneratedSourceMatchesGoldenFile(string name)
    {
        string folder = GoldenFolder();
        string input = File.ReadAllText(Path.Combine(folder, name + ".cs"));
        var output = GeneratorHarness.Run(input);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
        string actual = string.Join("\n// ---- next file ----\n", output.Sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => "// " + s.Key + "\n" + s.Value)).Replace("\r\n", "\n");

        // The generator's version is a placeholder, so that a version bump changes no golden file.
        actual = System.Text.RegularExpressions.Regex.Replace(actual, "GeneratedCode\\(\"Gradgen.Generator\", \"[0-9.]+\"\\)", "GeneratedCode(\"Gradgen.Generator\", \"{version}\")");

        string expectedPath = Path.Combine(folder, name + ".g.cs.txt");
        if (Environment.GetEnvironmentVariable("GRADGEN_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(expectedPath, actual);
        }

        Assert.True(File.Exists(expectedPath), $"{expectedPath} is missing; run with GRADGEN_UPDATE_GOLDEN=1 to create it, then review it.");
        string expected = File.ReadAllText(expectedPath).Replace("\r\n", "\n");
        if (expected != actual)
        {
            var expectedLines = expected.Split('\n');
            var actualLines = actual.Split('\n');
            int line = Enumerable.Range(0, Math.Min(expectedLines.Length, actualLines.Length)).FirstOrDefault(i => expectedLines[i] != actualLines[i], Math.Min(expectedLines.Length, actualLines.Length));
            Assert.Fail($"{name}: generated source differs from {expectedPath} at line {line + 1}:\n  expected: {expectedLines.ElementAtOrDefault(line)}\n  actual:   {actualLines.ElementAtOrDefault(line)}\nRun with GRADGEN_UPDATE_GOLDEN=1 to accept the change.");
        }
    }

    private static string GoldenFolder([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden");
}
