using Gradgen.Generator.Tests.Infrastructure;

namespace Gradgen.Generator.Tests;

/// <summary>What a compiled model's generated file holds: only kernels something launches.</summary>
public sealed class GraphModelCodeTests
{
    [Fact]
    public void AGraphWithoutElementwiseStepsHasNoCudaSourceAndNoKernelClass()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Conv2d conv = new(1, 2, 3);
                readonly Gradgen.Nn.Linear head = new(2 * 4 * 4, 3);
                public override Tensor Forward(Tensor x) => head.Forward(conv.Forward(x).Flatten(1));
            }
            """);
        Assert.Contains("GradgenCanCompile", model, StringComparison.Ordinal);
        Assert.DoesNotContain("GraphCudaSource", model, StringComparison.Ordinal);
        Assert.DoesNotContain("file static class GradgenGraph_Head", model, StringComparison.Ordinal);
    }

    [Fact]
    public void AGraphWithAnElementwiseStepHasItsKernelInCSharpAndCuda()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Conv2d conv = new(1, 2, 3);
                readonly Gradgen.Nn.Linear head = new(2 * 4 * 4, 3);
                public override Tensor Forward(Tensor x) => head.Forward(conv.Forward(x).Relu().Flatten(1));
            }
            """);
        Assert.Contains("internal const string HeadGraphCudaSource", model, StringComparison.Ordinal);
        Assert.Contains("// Kernels: Head_kernel0", model, StringComparison.Ordinal);
        Assert.Contains("file static class GradgenGraph_Head", model, StringComparison.Ordinal);
    }

    [Fact]
    public void PermuteExpandSelectAndSliceStayViewsAndTheirGradientsAreTheRuleTables()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear a = new(6, 8), time = new(5, 5), head = new(4, 3);
                readonly Gradgen.Nn.Parameter bias = new(Tensor.Zeros([1, 8]));
                public override Tensor Forward(Tensor x)
                {
                    var h = time.Forward(a.Forward(x).Permute(0, 2, 1)).Permute(0, -1, 1);
                    var cls = h.Select(1, 0) + bias.Expand(x.Shape[0], -1);
                    return head.Forward(cls.Slice(-1, 1, 100, 2));
                }
            }
            """);

        // The forward: each a view of its input, no copy.
        Assert.Contains(".Permute(0, 2, 1);", model, StringComparison.Ordinal);
        Assert.Contains(".Narrow(1, 0, 1);", model, StringComparison.Ordinal);
        Assert.Contains(".Squeeze(1);", model, StringComparison.Ordinal);
        Assert.Contains(".Expand(t0.Shape[0], -1);", model, StringComparison.Ordinal);
        Assert.Contains(".Slice(1, 1, 8, 2);", model, StringComparison.Ordinal);

        // The backward: inverse permute, sum to the expanded shape, the slice's and the select's pads.
        Assert.Contains(".Permute(global::Gradgen.Nn.CompiledGraph.InversePermutation(0, 2, 1));", model, StringComparison.Ordinal);
        Assert.Contains("CompiledGraph.PadAs(", model, StringComparison.Ordinal);
        Assert.Matches(@"CompiledGraph\.PadAs\(t\d+, t\d+, 1, 1, 2\)", model);
        Assert.Matches(@"CompiledGraph\.PadAs\(t\d+, t\d+, 1, 0\)", model);
        Assert.Contains("CompiledGraph.SumToShapeOf(", model, StringComparison.Ordinal);
    }

    [Fact]
    public void TheIndexerAndExpandAsAreTheSameViewsAsSelectSliceAndExpand()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear a = new(6, 8), gate = new(8, 1), head = new(8, 3);
                public override Tensor Forward(Tensor x)
                {
                    var h = a.Forward(x);
                    var pooled = h[.., 0] + h[.., ^1] + h[.., 1..].Mean(1) + h[.., ..^1, 2..].Mean(1).Sum(-1, keepDim: true);
                    return head.Forward(pooled * gate.Forward(pooled).ExpandAs(pooled));
                }
            }
            """);

        // x[.., 0] and x[.., ^1] on the caller's T: a narrow of one position (from the end at run time) and a squeeze.
        Assert.Contains(".Narrow(1, 0, 1);", model, StringComparison.Ordinal);
        Assert.Contains(".Narrow(1, -1, 1);", model, StringComparison.Ordinal);
        Assert.Contains(".Squeeze(1);", model, StringComparison.Ordinal);

        // Ranges over T are slices the run time clamps (an open end is int.MaxValue); over the constant 8, a narrow.
        Assert.Contains(".Slice(1, 1, int.MaxValue, 1);", model, StringComparison.Ordinal);
        Assert.Contains(".Slice(1, 0, -1, 1);", model, StringComparison.Ordinal);
        Assert.Contains(".Narrow(2, 2, 6);", model, StringComparison.Ordinal);

        // ExpandAs: an expand whose batch size is read from the other tensor, and its gradient the rule table's sum.
        Assert.Matches(@"\.Expand\(t\d+\.Shape\[0\], 8\);", model);
        Assert.Contains("SumToShapeOf(", model, StringComparison.Ordinal);
    }

    private static string Generated(string source)
    {
        var output = GeneratorHarness.Run("using Gradgen;\n" + source);
        Assert.Empty(output.CompilationProblems);
        Assert.DoesNotContain(output.Diagnostics, d => d.Id == "GG0016");
        return Assert.Single(output.Sources, s => s.Key.EndsWith("Head.Model.g.cs", StringComparison.Ordinal)).Value;
    }
}
