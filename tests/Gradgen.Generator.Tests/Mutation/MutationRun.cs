using Gradgen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Gradgen.Generator.Tests.Mutation;

/// <summary>
/// Runs the generator over mutants of <see cref="MutationCorpus"/>: every single-token deletion and neighbour swap of
/// each source, then random deletions, insertions (a token of the source copied elsewhere) and swaps of tokens, and
/// fragments of the hostile constructs inserted. Each case must finish within <see cref="CaseBound"/>, with no
/// exception out of the generator, no GG0013, and, when the mutant compiles and the generator reports no error, with
/// generated code that compiles. Runs in a child process (<see cref="Program"/>) so that a stack overflow fails the
/// test that started it instead of killing the test runner.
/// </summary>
internal static class MutationRun
{
    /// <summary>
    /// A generous bound for the generator's run on one case, and for the analyzer's (the checks after them are not
    /// counted): it catches runaway work (a case once ran 40 s), not slowness.
    /// </summary>
    public static readonly TimeSpan CaseBound = TimeSpan.FromSeconds(20);

    private static readonly string[] Fragments =
    [
        "private readonly Net loop = new();", "private readonly Graph loop = new();", "file ", "@class", "public static double FWithGradient(double x) => x;",
        "protected override void DiscoverMembers() { }", "=>", ";", "(", ")", "{", "}", "new(1000000, 1000000)", "for (int i = 0; i < 100000000; i++) ",
    ];

    /// <summary>Runs <paramref name="count"/> cases from <paramref name="seed"/>; writes each case's name before it runs and each failure after; returns the number of failures.</summary>
    public static int Run(int seed, int count, TextWriter log)
    {
        var random = new Random(seed);
        int failures = 0, done = 0;
        foreach (var (name, source) in Cases(random).Take(count))
        {
            log.WriteLine("case " + name);
            log.Flush();
            string? failure = Check(source);
            if (failure is not null)
            {
                failures++;
                log.WriteLine($"FAILED {name}: {failure}\n--- source ---\n{source}\n---");
            }

            done++;
        }

        log.WriteLine($"done {done} cases, {failures} failed");
        return failures;
    }

    private static IEnumerable<(string Name, string Source)> Cases(Random random)
    {
        for (int p = 0; p < MutationCorpus.Pathological.Length; p++)
        {
            yield return ($"pathological source {p}", MutationCorpus.Pathological[p]);
        }

        for (int s = 0; s < MutationCorpus.All.Length; s++)
        {
            string source = MutationCorpus.All[s];
            var tokens = Tokens(source);
            for (int i = 0; i < tokens.Count; i++)
            {
                yield return ($"source {s}, token {i} '{tokens[i].Text}' deleted", source.Remove(tokens[i].SpanStart, tokens[i].Span.Length));
                if (i + 1 < tokens.Count && i % 4 == 0)
                {
                    yield return ($"source {s}, tokens {i} and {i + 1} swapped", Swap(source, tokens[i], tokens[i + 1]));
                }
            }
        }

        for (int n = 0; ; n++)
        {
            int s = random.Next(MutationCorpus.All.Length);
            string source = MutationCorpus.All[s];
            int edits = 1 + random.Next(3);
            for (int e = 0; e < edits; e++)
            {
                var tokens = Tokens(source);
                var t = tokens[random.Next(tokens.Count)];
                source = random.Next(4) switch
                {
                    0 => source.Remove(t.SpanStart, t.Span.Length),
                    1 => source.Insert(tokens[random.Next(tokens.Count)].SpanStart, t.Text + " "),
                    2 => Swap(source, t, tokens[random.Next(tokens.Count)]),
                    _ => source.Insert(t.SpanStart, Fragments[random.Next(Fragments.Length)] + " "),
                };
            }

            yield return ($"random {n} of source {s} ({edits} edits)", source);
        }
    }

    private static List<SyntaxToken> Tokens(string source) =>
        CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions).GetRoot().DescendantTokens().Where(t => !t.IsKind(SyntaxKind.EndOfFileToken)).ToList();

    private static string Swap(string source, SyntaxToken a, SyntaxToken b)
    {
        if (a.SpanStart > b.SpanStart)
        {
            (a, b) = (b, a);
        }

        if (a.Span.End > b.SpanStart)
        {
            return source;
        }

        return source[..a.SpanStart] + b.Text + source[a.Span.End..b.SpanStart] + a.Text + source[b.Span.End..];
    }

    /// <summary>The case's failure, or null.</summary>
    private static string? Check(string source)
    {
        GeneratorOutput output;
        try
        {
            output = GeneratorHarness.Run(source);
        }
        catch (InvalidOperationException thrown)
        {
            return thrown.Message;
        }

        if (output.Diagnostics.FirstOrDefault(d => d.Id == "GG0013") is { } internalError)
        {
            return "GG0013: " + internalError.GetMessage();
        }

        bool generatorError = output.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        if (!generatorError && InputCompiles(source) && output.CompilationProblems.Count > 0)
        {
            return "the generated code does not compile:\n" + output.Describe();
        }

        if (output.GeneratorTime > CaseBound)
        {
            return $"the generator took {output.GeneratorTime.TotalSeconds:F1} s (bound {CaseBound.TotalSeconds} s)";
        }

        return output.AnalyzerTime > CaseBound ? $"the analyzer took {output.AnalyzerTime.TotalSeconds:F1} s (bound {CaseBound.TotalSeconds} s)" : null;
    }

    // The corpus calls no generated member, so a mutant that compiles without the generator must compile with it.
    private static bool InputCompiles(string source) =>
        !GeneratorHarness.Compile(source).GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);
}
