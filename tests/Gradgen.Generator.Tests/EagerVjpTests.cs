using System.Runtime.CompilerServices;
using Gradgen.Generator.Tests.Infrastructure;

namespace Gradgen.Generator.Tests;

/// <summary>
/// The runtime's <c>[EagerVjp]</c> marker: in an assembly named Gradgen.Runtime the generator writes each marked
/// function's body (a reduction's, a gather's or a view's) from the rule table's one-op graph (compared text for text with Golden/EagerVjps.g.cs.txt; accept a
/// deliberate change with GRADGEN_UPDATE_GOLDEN=1), and anywhere else, or for what it cannot serve, it writes nothing.
/// </summary>
public sealed class EagerVjpTests
{
    // The attribute as the runtime declares it (internal there, so the test declares its own copy in the same place).
    private const string Attribute = """
        namespace Gradgen
        {
            [System.AttributeUsage(System.AttributeTargets.Method)]
            internal sealed class EagerVjpAttribute(string op) : System.Attribute
            {
                public string Op { get; } = op;
            }
        }
        """;

    private const string Functions = """
        namespace Gradgen.Testing
        {
            internal static partial class EagerVjps
            {
                [EagerVjp("Sum")] internal static partial Tensor SumBackward(Tensor x, Tensor y, Tensor gradOutput);
                [EagerVjp("Mean")] internal static partial Tensor MeanBackward(Tensor x, Tensor y, Tensor gradOutput);
                [EagerVjp("Max")] internal static partial Tensor AmaxBackward(Tensor x, Tensor y, Tensor gradOutput);
                [EagerVjp("MaxEvenly")] internal static partial Tensor MaxBackward(Tensor x, Tensor y, Tensor gradOutput);
                [EagerVjp("MinEvenly")] internal static partial Tensor MinBackward(Tensor x, Tensor y, Tensor gradOutput);
                [EagerVjp("Gather")] internal static partial Tensor GatherBackward(Tensor x, Tensor index, Tensor y, Tensor gradOutput);
                [EagerVjp("Expand")] internal static partial Tensor ExpandBackward(int[] inShape, Tensor gradOutput);
                [EagerVjp("Reshape")] internal static partial Tensor ViewBackward(int[] inShape, Tensor gradOutput);
                [EagerVjp("Narrow")] internal static partial Tensor SliceBackward(int[] inShape, int dim, int start, int step, Tensor gradOutput);
                [EagerVjp("Transpose")] internal static partial Tensor TransposeBackward(int dim0, int dim1, Tensor gradOutput);
                [EagerVjp("Permute")] internal static partial Tensor PermuteBackward(int[] order, Tensor gradOutput);
            }
        }
        """;

    [Fact]
    public void InTheRuntimeEveryMarkedFunctionGetsTheRuleTablesBackwardAndCompiles()
    {
        var output = GeneratorHarness.Run(GeneratorHarness.CompileAs("Gradgen.Runtime", Attribute, Functions));

        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
        var file = Assert.Single(output.Sources);
        Assert.Equal("Gradgen.Testing.EagerVjps.EagerVjp.g.cs", file.Key);
        string actual = System.Text.RegularExpressions.Regex.Replace(file.Value.Replace("\r\n", "\n"), "GeneratedCode\\(\"Gradgen.Generator\", \"[0-9.]+\"\\)", "GeneratedCode(\"Gradgen.Generator\", \"{version}\")");

        string expectedPath = Path.Combine(GoldenFolder(), "EagerVjps.g.cs.txt");
        if (Environment.GetEnvironmentVariable("GRADGEN_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(expectedPath, actual);
        }

        Assert.Equal(File.ReadAllText(expectedPath).Replace("\r\n", "\n"), actual);
    }

    [Fact]
    public void SumsBackwardIsAnExpandedViewOfTheGradientAndMeansDividesBeforeExpanding()
    {
        var source = GeneratorHarness.Run(GeneratorHarness.CompileAs("Gradgen.Runtime", Attribute, Functions)).Sources.Single().Value;

        string sum = Body(source, "SumBackward");
        Assert.Contains("CompiledGraph.ExpandAs(gradOutput, x)", sum);
        Assert.DoesNotContain("CompiledGraph.Map", sum);
        string mean = Body(source, "MeanBackward");
        Assert.Contains("CompiledGraph.ExpandAs(global::Gradgen.Nn.CompiledGraph.Map<", mean);
        Assert.Contains(", null, 1, gradOutput, ", mean);
        Assert.Contains("CompiledGraph.DimSize(x, 1)", mean);
        Assert.Contains("CompiledGraph.ScatterAddAs(gradOutput, index, x, 1)", Body(source, "GatherBackward"));
    }

    [Fact]
    public void AViewsBackwardReadsTheInputShapeAndTheDimsOfTheCallAsArgumentsAndLaunchesNoKernel()
    {
        // Expand ↔ sum, reshape ↔ reshape, narrow ↔ pad (with the slice's step), transpose ↔ transpose: the rule table's
        // adjoints, each one run-time call over the function's own int[] and int parameters, at whatever rank they have.
        var source = GeneratorHarness.Run(GeneratorHarness.CompileAs("Gradgen.Runtime", Attribute, Functions)).Sources.Single().Value;

        Assert.Contains("ExpandBackward(int[] inShape, global::Gradgen.Tensor gradOutput)", source);
        Assert.Contains("CompiledGraph.SumToShapeOf(gradOutput, inShape)", Body(source, "ExpandBackward"));
        Assert.Contains("CompiledGraph.ReshapeAs(gradOutput, inShape)", Body(source, "ViewBackward"));
        Assert.Contains("SliceBackward(int[] inShape, int dim, int start, int step, global::Gradgen.Tensor gradOutput)", source);
        Assert.Contains("CompiledGraph.PadAs(gradOutput, inShape, dim, start, step)", Body(source, "SliceBackward"));
        Assert.Contains("gradOutput.Transpose(dim0, dim1)", Body(source, "TransposeBackward"));
        Assert.Contains("gradOutput.Permute(global::Gradgen.Nn.CompiledGraph.InversePermutation(order))", Body(source, "PermuteBackward"));
        foreach (var view in new[] { "ExpandBackward", "ViewBackward", "SliceBackward", "TransposeBackward", "PermuteBackward" })
        {
            Assert.DoesNotContain("CompiledGraph.Map", Body(source, view));
            Assert.DoesNotContain("Free(", Body(source, view));
        }
    }

    [Fact]
    public void OutsideTheRuntimeTheMarkerIsIgnored()
    {
        var output = GeneratorHarness.Run(GeneratorHarness.CompileAs("UserCode", Attribute, Functions));

        Assert.Empty(output.Sources);
        Assert.Contains(output.Compilation.GetDiagnostics(), d => d.Id == "CS8795");
    }

    [Theory]
    [InlineData("[EagerVjp(\"Reshape\")] internal static partial Tensor F(Tensor x, Tensor y, Tensor gradOutput);")]
    [InlineData("[EagerVjp(\"Sum\")] internal static partial Tensor F(Tensor x, Tensor gradOutput);")]
    [InlineData("[EagerVjp(\"Gather\")] internal static partial Tensor F(Tensor x, Tensor y, Tensor gradOutput);")]
    [InlineData("[EagerVjp(\"Sum\")] internal static partial Tensor F(Tensor x, Tensor y, float gradOutput);")]
    [InlineData("[EagerVjp(\"Narrow\")] internal static partial Tensor F(int[] x, int dim, int start, Tensor gradOutput);")]
    [InlineData("[EagerVjp(\"Transpose\")] internal static partial Tensor F(long dim0, int dim1, Tensor gradOutput);")]
    [InlineData("[EagerVjp(\"Expand\")] internal static partial Tensor F(Tensor x, Tensor gradOutput);")]
    [InlineData("[EagerVjp(\"Permute\")] internal static partial Tensor F(int dims, Tensor gradOutput);")]
    [InlineData("[EagerVjp(\"Cat\")] internal static partial Tensor F(int[] inShape, Tensor gradOutput);")]
    public void WhatTheGeneratorCannotServeGetsNoBodyAndTheCompilerSaysSo(string declaration)
    {
        var output = GeneratorHarness.Run(GeneratorHarness.CompileAs("Gradgen.Runtime", Attribute, "namespace Gradgen { internal static partial class V { " + declaration + " } }"));

        Assert.Empty(output.Sources);
        Assert.Contains(output.Compilation.GetDiagnostics(), d => d.Id == "CS8795");
    }

    private static string Body(string source, string method)
    {
        int start = source.IndexOf(" " + method + "(", StringComparison.Ordinal);
        int end = source.IndexOf("return ", start, StringComparison.Ordinal);
        return source.Substring(start, end - start);
    }

    private static string GoldenFolder([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden");
}
