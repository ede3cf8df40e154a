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

    private static string Generated(string source)
    {
        var output = GeneratorHarness.Run("using Gradgen;\n" + source);
        Assert.Empty(output.CompilationProblems);
        Assert.DoesNotContain(output.Diagnostics, d => d.Id == "GG0016");
        return Assert.Single(output.Sources, s => s.Key.EndsWith("Head.Model.g.cs", StringComparison.Ordinal)).Value;
    }
}
