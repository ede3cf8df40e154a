using Gradgen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Gradgen.Generator.Tests;

/// <summary>
/// The IDE case: someone types the body of a <c>[Differentiable]</c> method, and the generator and the analyzer run
/// after every edit on one incremental driver, over code that is mostly incomplete (half an identifier, an open
/// parenthesis, a statement without its semicolon). At every one of 50 edits the generator does not throw, the
/// analyzer does not throw and reports no GG0013 (internal error), and the generated files hold no compiler error of
/// their own. The body ends in a call Gradgen runs as C# (inside Grad.StopGradient), so the last edits move the method
/// from the fused kernels to the span/loop path. Once the body is complete, the incremental driver gives what a fresh
/// one does.
/// </summary>
public sealed class TypingTests
{
    private const int Edits = 50;

    private const string Body = """
        {
                float r = MathF.Sqrt(x * x + y * y);
                float s = 0;
                for (int k = 1; k <= 3; k++)
                {
                    s += MathF.Sin(k * r) / k;
                }

                s *= r > 1 ? MathF.Exp(-r) : 1 - r * 0.5f;
                return s + Smooth(y) * (float)Math.Tanh(x) + Grad.StopGradient(Jitter(r, 3));
            }
        """;

    public static TheoryData<string> Ways => new() { "characters", "tokens" };

    [Theory]
    [MemberData(nameof(Ways))]
    public void TypingABodyNeverBreaksTheGeneratorOrTheAnalyzer(string way)
    {
        var prefixes = way == "characters" ? CharacterPrefixes(Body) : TokenPrefixes(Body);
        Assert.Equal(Edits, prefixes.Count);

        var compilation = GeneratorHarness.Compile(Source(string.Empty), "public class Other { }");
        var tree = compilation.SyntaxTrees.First();
        var driver = GeneratorHarness.CreateDriver();
        foreach (string typed in prefixes)
        {
            var edited = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Source(typed)));
            compilation = compilation.ReplaceSyntaxTree(tree, edited);
            tree = edited;
            driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
            AssertWellBehaved(driver.GetRunResult(), generatorDiagnostics, output, typed);
        }

        var incremental = driver.GetRunResult().GeneratedTrees.ToDictionary(t => t.FilePath, t => t.GetText().ToString());
        var fresh = GeneratorHarness.CreateDriver().RunGenerators(GeneratorHarness.Compile(Source(Body), "public class Other { }"))
            .GetRunResult().GeneratedTrees.ToDictionary(t => t.FilePath, t => t.GetText().ToString());
        Assert.Equal(fresh, incremental);
        // The complete method is generated, on the span/loop path (its reverse-mode body is EnergyAccumulateGradient).
        Assert.Contains(incremental.Values, text => text.Contains("EnergyAccumulateGradient", StringComparison.Ordinal));
    }

    private static void AssertWellBehaved(GeneratorDriverRunResult result, System.Collections.Immutable.ImmutableArray<Diagnostic> generatorDiagnostics, Compilation output, string typed)
    {
        var exception = result.Results.Single().Exception;
        Assert.True(exception is null, $"The generator threw after typing\n{typed}\n{exception}");
        Assert.True(generatorDiagnostics.IsEmpty && result.Diagnostics.IsEmpty, $"The generator reported diagnostics after typing\n{typed}");

        var analyzed = GeneratorHarness.Analyze(output);
        Assert.True(!analyzed.Any(d => d.Id == "GG0013"), $"GG0013 after typing\n{typed}\n{string.Join("\n", analyzed)}");

        var generated = result.GeneratedTrees.ToHashSet();
        var errors = output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree is { } at && generated.Contains(at))
            .ToList();
        Assert.True(errors.Count == 0, $"The generated code has errors after typing\n{typed}\n{string.Join("\n", errors)}");
    }

    private static string Source(string body) => $$"""
        using System;
        using Gradgen;

        public static partial class Field
        {
            [Differentiable]
            public static float Smooth(float t) => t / (1 + MathF.Abs(t));

            private static float Jitter(float v, int seed) => (float)new Random(seed).NextDouble() * v;

            [Differentiable]
            public static float Energy(float x, float y)
            {{body}}

            [Differentiable]
            public static double Untouched(double a) => Math.Log(1 + a * a);
        }
        """;

    /// <summary>The body typed a few characters at a time: 50 prefixes that cut through identifiers, literals and operators.</summary>
    private static List<string> CharacterPrefixes(string body) =>
        Enumerable.Range(1, Edits).Select(i => body[..(body.Length * i / Edits)]).ToList();

    /// <summary>The body typed a token or two at a time: 50 prefixes that end after a token, the last one the whole body.</summary>
    private static List<string> TokenPrefixes(string body)
    {
        var ends = SyntaxFactory.ParseTokens(body).Where(t => !t.IsKind(SyntaxKind.EndOfFileToken)).Select(t => t.FullSpan.End).ToList();
        Assert.True(ends.Count >= Edits, $"the body has {ends.Count} tokens");
        return Enumerable.Range(1, Edits).Select(i => body[..ends[(ends.Count * i / Edits) - 1]]).ToList();
    }
}
