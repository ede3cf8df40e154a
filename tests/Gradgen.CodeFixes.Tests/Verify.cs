using Basic.Reference.Assemblies;
using Gradgen.Generator.Analysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace Gradgen.CodeFixes.Tests;

/// <summary>
/// A code-fix test: the analyzer reports the diagnostics marked in the source before, the fix runs once per diagnostic
/// and as Fix All in the document, the project and the solution, and each must give the source after, on which the
/// analyzer reports nothing more (unless marked) and which compiles.
/// </summary>
internal static class Verify
{
    public static CSharpCodeFixTest<GradgenAnalyzer, TFix, DefaultVerifier> Test<TFix>(string before, string after)
        where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<GradgenAnalyzer, TFix, DefaultVerifier>
        {
            TestCode = before,
            FixedCode = after,

            // The .NET 10 reference assemblies and the runtime come from the test's own packages: nothing is downloaded.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        AddReferences(test.TestState);
        AddReferences(test.FixedState);
        return test;
    }

    public static Task Fix<TFix>(string before, string after)
        where TFix : CodeFixProvider, new() =>
        Test<TFix>(before, after).RunAsync();

    private static void AddReferences(SolutionState state)
    {
        state.AdditionalReferences.AddRange(Net100.References.All);
        state.AdditionalReferences.Add(typeof(DifferentiableAttribute).Assembly);
    }
}
