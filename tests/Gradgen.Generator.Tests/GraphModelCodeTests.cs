using System.Text.RegularExpressions;
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
    public void AnAddsBackwardPassesTheGradientOnWithoutACopyAndFreesWhatTheBackwardDoesNotRead()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear a = new(6, 8), b = new(8, 8), head = new(8, 3);
                public override Tensor Forward(Tensor x)
                {
                    var h = a.Forward(x).Relu();
                    return head.Forward(h + b.Forward(h));
                }
            }
            """);

        // No kernel stores one of its inputs unchanged: the add's gradient is g itself, for both of its inputs.
        Assert.DoesNotMatch(@"TSimd\.Store\(p\d+, s\.Out", model);

        // b's output is read by nothing the backward runs: it goes back to the storage cache as the forward ends, and the
        // node keeps only what its backward reads: a's output (the relu's derivative), the relu's (b's weight gradient)
        // and the sum (head's weight gradient).
        string bOutput = Regex.Match(model, @"// b\s+var (t\d+) = global::Gradgen\.Nn\.CompiledGraph\.Linear\(").Groups[1].Value;
        string kept = Regex.Match(model, @"\}, \[(?<kept>[^\]]*)\], 0").Groups["kept"].Value;
        Assert.NotEmpty(bOutput);
        Assert.Contains($"CompiledGraph.Free({bOutput}", model, StringComparison.Ordinal);
        Assert.Equal(3, kept.Split(", ").Length);
        Assert.DoesNotContain(bOutput, kept.Split(", "));
    }

    private static string Generated(string source)
    {
        var output = GeneratorHarness.Run("using Gradgen;\n" + source);
        Assert.Empty(output.CompilationProblems);
        Assert.DoesNotContain(output.Diagnostics, d => d.Id == "GG0016");
        return Assert.Single(output.Sources, s => s.Key.EndsWith("Head.Model.g.cs", StringComparison.Ordinal)).Value;
    }
}
