using System.Text.RegularExpressions;
using Gradgen.Generator.Tests.Infrastructure;

namespace Gradgen.Generator.Tests;

/// <summary>The text of the code generated for methods over spans: what a reader of the backward sweep sees.</summary>
public sealed class LoopCodeTests
{
    private const string Source = """
        using System;
        using Gradgen;
        public static partial class Searches
        {
            [Differentiable]
            public static double FirstAbove(ReadOnlySpan<double> x, double t)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    if (x[i] > t) return x[i] * x[i] * t;
                    s += Math.Exp(x[i] * t) * Math.Exp(x[i] * t) + Math.Sin(x[i]);
                }

                return s;
            }
        }
        """;

    [Fact]
    public void ABranchWhoseOtherSideHasNothingToUndoGetsNoEmptyElse()
    {
        string code = Generate();

        Assert.Contains("Pop<bool>()", code);
        Assert.DoesNotMatch(new Regex(@"else\s*\{\s*\}"), code);
    }

    [Fact]
    public void ATemporaryOfTheBackwardSweepIsNamedAfterTheFunctionItHolds()
    {
        string code = Generate();

        // exp(x[i]·t) is used twice in ∂(exp·exp): one local, named after exp.
        Assert.Matches(new Regex(@"double exp_v\d+ = "), code);
    }

    private static string Generate()
    {
        var output = GeneratorHarness.Run(Source);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
        return string.Join("\n", output.Sources.Values);
    }
}
