using System.Collections;
using System.Reflection;
using Gradgen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Gradgen.Generator.Tests;

/// <summary>The pipeline caches: unrelated edits reuse every step's output; editing a body regenerates.</summary>
public sealed class IncrementalTests
{
    private const string Functions = """
        using System;
        using Gradgen;
        namespace Demo;
        public static partial class Curves
        {
            [Differentiable] public static float Bump(float x) => MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / 3);
            [Differentiable] public static double Hyp(double x, double y) => Math.Sqrt(x * x + y * y);
        }

        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear hidden = new(2, 3), output = new(3, 1);
            public override Gradgen.Tensor Forward(Gradgen.Tensor x) => output.Forward(Gradgen.Nn.Functional.Sigmoid(hidden.Forward(x)));
        }

        public sealed partial class Residual : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 4), b = new(4, 2);
            public override Gradgen.Tensor Forward(Gradgen.Tensor x) => b.Forward(x + Gradgen.Nn.Functional.Relu(a.Forward(x)) * 0.5f);
        }
        """;

    private static readonly string[] TrackedSteps = { StepNames.Parse, StepNames.Plan, StepNames.Group, StepNames.ParseModel, StepNames.GraphModel };

    [Fact]
    public void UnrelatedEditLeavesEveryStepCachedOrUnchanged()
    {
        var compilation = GeneratorHarness.Compile(Functions, "public class Other { public int Value => 1; }");
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var otherTree = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(otherTree, CSharpSyntaxTree.ParseText("public class Other { public int Value => 2; public int More => 3; }", GeneratorHarness.ParseOptions, otherTree.FilePath));
        var run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
        {
            Assert.True(run.TrackedSteps.ContainsKey(step), $"step {step} is not tracked");
            foreach (var output in run.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step {step} was {output.Reason}");
            }
        }

        Assert.All(run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output was {output.Reason}"));
    }

    [Fact]
    public void EditingTheBodyChangesTheGeneratedSource()
    {
        var compilation = GeneratorHarness.Compile(Functions);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        string before = driver.GetRunResult().GeneratedTrees.First().GetText().ToString();

        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Functions.Replace("/ 3)", "/ 4)"), GeneratorHarness.ParseOptions, tree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult();
        string after = result.GeneratedTrees.First().GetText().ToString();

        Assert.NotEqual(before, after);
        Assert.Contains(result.Results.Single().TrackedSteps[StepNames.Plan].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void EditingAModelsForwardRecompilesItsGraph()
    {
        var compilation = GeneratorHarness.Compile(Functions);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Functions.Replace("* 0.5f", "* 0.25f"), GeneratorHarness.ParseOptions, tree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Contains(result.TrackedSteps[StepNames.GraphModel].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains(result.GeneratedSources, s => s.HintName.EndsWith("Residual.Model.g.cs", StringComparison.Ordinal) && s.SourceText.ToString().Contains("TSimd.Constant(0.25)", StringComparison.Ordinal));
    }

    private const string Caller = """
        using System;
        using Gradgen;
        namespace Demo;
        public static partial class Callers
        {
            [Differentiable] public static double Outer(double x) => Helpers.Inner(x) * x;
        }

        public sealed partial class SwishNet : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(3, 4), b = new(4, 1);
            public override Gradgen.Tensor Forward(Gradgen.Tensor x) => b.Forward(Helpers.Act(a.Forward(x)));
        }
        """;

    private const string Callee = """
        using System;
        using Gradgen;
        namespace Demo;
        public static partial class Helpers
        {
            [Differentiable] public static double Inner(double x) => Math.Sin(x) * 3;
            [Differentiable] public static float Act(float x) => x / (1 + MathF.Exp(-x));
        }
        """;

    [Fact]
    public void EditingAnInlinedFunctionInAnotherFileRegeneratesItsCallers()
    {
        // The parse of Outer and of SwishNet is reused while the files it read are unchanged (ParseCache); the callee's
        // file is one of them, so editing it must regenerate both callers.
        var compilation = GeneratorHarness.Compile(Caller, Callee, "public class Other { public int Value => 1; }");
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        string Source(GeneratorDriver d, string suffix) => d.GetRunResult().GeneratedTrees.Single(t => t.FilePath.EndsWith(suffix, StringComparison.Ordinal)).GetText().ToString();
        string outerBefore = Source(driver, "Demo.Callers.g.cs");
        string netBefore = Source(driver, "Demo.SwishNet.Model.g.cs");

        var other = compilation.SyntaxTrees.Last();
        var unrelated = compilation.ReplaceSyntaxTree(other, CSharpSyntaxTree.ParseText("public class Other { public int Value => 2; }", GeneratorHarness.ParseOptions, other.FilePath));
        driver = driver.RunGenerators(unrelated);
        Assert.Equal(outerBefore, Source(driver, "Demo.Callers.g.cs"));

        var callee = unrelated.SyntaxTrees.ElementAt(1);
        var edited = unrelated.ReplaceSyntaxTree(callee, CSharpSyntaxTree.ParseText(Callee.Replace("* 3", "* 5").Replace("(1 + MathF.Exp(-x))", "(2 + MathF.Exp(-x))"), GeneratorHarness.ParseOptions, callee.FilePath));
        driver = driver.RunGenerators(edited);
        string outerAfter = Source(driver, "Demo.Callers.g.cs");
        Assert.NotEqual(outerBefore, outerAfter);
        Assert.Contains("5", outerAfter.Replace(outerBefore, string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.NotEqual(netBefore, Source(driver, "Demo.SwishNet.Model.g.cs"));
        Assert.Empty(driver.GetRunResult().Diagnostics);
    }

    [Fact]
    public void AReusedParseGivesTheSameSourceAsAFreshCompilation()
    {
        var compilation = GeneratorHarness.Compile(Functions, Caller, Callee);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Functions + "\npublic class Added { }", GeneratorHarness.ParseOptions, tree.FilePath));
        var incremental = driver.RunGenerators(edited).GetRunResult().GeneratedTrees.ToDictionary(t => t.FilePath, t => t.GetText().ToString());

        var fresh = GeneratorHarness.Compile(Functions + "\npublic class Added { }", Caller, Callee);
        var expected = GeneratorHarness.CreateDriver().RunGenerators(fresh).GetRunResult().GeneratedTrees.ToDictionary(t => t.FilePath, t => t.GetText().ToString());
        Assert.Equal(expected.Keys.Order(), incremental.Keys.Order());
        foreach (var (path, text) in expected)
        {
            Assert.Equal(text, incremental[path]);
        }
    }

    [Fact]
    public void NoStepOutputHoldsRoslynObjects()
    {
        var compilation = GeneratorHarness.Compile(Functions, """
            using Gradgen;
            public partial class Bad { [Differentiable] public float NotStatic(float x) => x; }
            """);
        var run = GeneratorHarness.CreateDriver().RunGenerators(compilation).GetRunResult().Results.Single();

        foreach (var step in TrackedSteps)
        {
            foreach (var (value, _) in run.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                AssertNoRoslynObjects(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
            }
        }
    }

    private static readonly Type[] Forbidden = { typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree), typeof(Location) };

    /// <summary>Walks every field of a step output; a Roslyn object anywhere would keep compilations alive and break caching.</summary>
    private static void AssertNoRoslynObjects(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        var type = value.GetType();
        Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)), $"{path} holds a {type.Name}");
        if (!type.IsValueType && !seen.Add(value))
        {
            return;
        }

        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items)
            {
                AssertNoRoslynObjects(item, $"{path}[{i++}]", seen);
            }
        }

        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                AssertNoRoslynObjects(field.GetValue(value), $"{path}.{field.Name}", seen);
            }
        }
    }
}
