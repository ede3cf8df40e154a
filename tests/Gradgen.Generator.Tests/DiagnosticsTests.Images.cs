using Gradgen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Tests;

/// <summary>Diagnostics of models over images (Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d, Flatten): shapes at compile time, and what stays eager.</summary>
public sealed partial class DiagnosticsTests
{
    [Fact]
    public void GG0017_AConvolutionFedTheWrongChannelCountShowsTheShape() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Conv2d a = new(1, 4, 3), b = new(3, 8, 3);
            public override Tensor Forward(Tensor x) => [|b.Forward(a.Forward(x))|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'b' takes 3 input channels, but its input has shape [N, 4, H, W]");

    [Fact]
    public void GG0017_ABatchNormOfTheWrongChannelCountShowsTheShape() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Conv2d conv = new(1, 4, 3);
            readonly Gradgen.Nn.BatchNorm2d norm = new(6);
            public override Tensor Forward(Tensor x) => [|norm.Forward(conv.Forward(x))|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'norm' normalises 6 channels, but its input has shape [N, 4, H, W]");

    [Fact]
    public void GG0016_AConvolutionWhoseBiasIsReadAtRunTime() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            static readonly bool UseBias = System.Environment.ProcessorCount > 1;
            readonly Gradgen.Nn.Conv2d conv = new(1, 4, 3, [|bias: UseBias|]);
            public override Tensor Forward(Tensor x) => conv.Forward(x);
        }
        """, DiagnosticSeverity.Info, messageContains: "the Conv2d's bias is not a constant");

    [Fact]
    public void GG0016_ABatchNormWhoseAffineIsReadAtRunTime() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            static readonly bool Affine = System.Environment.ProcessorCount > 1;
            readonly Gradgen.Nn.BatchNorm2d norm = new(4, [|affine: Affine|]);
            public override Tensor Forward(Tensor x) => norm.Forward(x);
        }
        """, DiagnosticSeverity.Info, messageContains: "the BatchNorm2d's affine is not a constant");

    [Fact]
    public void GG0017_AnAdaptivePoolingFixesTheFlattenedSizeAtCompileTime() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Conv2d conv = new(1, 4, 3);
            readonly Gradgen.Nn.AdaptiveAvgPool2d pool = new(2, 3);
            readonly Gradgen.Nn.Linear head = new(25, 10);
            public override Tensor Forward(Tensor x) => [|head.Forward(pool.Forward(conv.Forward(x)).Flatten(1))|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'head' takes 25 input features, but its input has shape [N, 24]");

    [Fact]
    public void GG0016_AReshapeBySizeOfAnotherValue() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 6);
            public override Tensor Forward(Tensor x)
            {
                var h = a.Forward(x).Sum(0, true);
                return h.Reshape([|x.Shape[0]|], -1);
            }
        }
        """, DiagnosticSeverity.Info, messageContains: "is a size known only at run time that is not one of");

    [Fact]
    public void ACnnCompilesForImagesOnly()
    {
        var output = GeneratorHarness.Run("""
            using Gradgen;
            using Gradgen.Nn;
            public sealed partial class Cnn : Module
            {
                readonly Conv2d conv = new(1, 4, 3, padding: 1, bias: false);
                readonly BatchNorm2d norm = new(4);
                readonly MaxPool2d pool = new(2);
                readonly Linear head = new(4 * 4 * 4, 10);
                public override Tensor Forward(Tensor x)
                {
                    var h = pool.Forward(Functional.Relu(norm.Forward(conv.Forward(x))));
                    return head.Forward(h.View(h.Shape[0], -1));
                }
            }
            """);

        Assert.DoesNotContain(output.Diagnostics, d => d.Id is "GG0016" or "GG0017");
        var model = Assert.Single(output.Sources, s => s.Key.Contains("Cnn.Model", StringComparison.Ordinal)).Value;
        Assert.Contains("4 => GradgenCallRank4(input)", model, StringComparison.Ordinal);
        Assert.DoesNotContain("GradgenCallRank2", model, StringComparison.Ordinal);
        Assert.Contains("CanRun(input, 4, false", model, StringComparison.Ordinal);
        Assert.Contains(".View(t", model, StringComparison.Ordinal);
        Assert.Contains(".Shape[0], -1)", model, StringComparison.Ordinal);
        // The input's, weight's and bias's gradients of a layer come from one call, each asked for only where needed.
        Assert.Contains("CompiledGraph.Conv2dGradients(", model, StringComparison.Ordinal);
        Assert.Contains("CompiledGraph.BatchNormGradients(", model, StringComparison.Ordinal);
        Assert.Contains("CompiledGraph.MaxPool2dWithIndices(", model, StringComparison.Ordinal);
        Assert.Contains("CompiledGraph.MaxPool2dGradient(", model, StringComparison.Ordinal);
        Assert.DoesNotContain(output.Compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void AverageAndAdaptivePoolingCompileWithTheirGradientFromTheRuleTable()
    {
        var output = GeneratorHarness.Run("""
            using Gradgen;
            using Gradgen.Nn;
            public sealed partial class Cnn : Module
            {
                readonly Conv2d conv = new(1, 4, 3, padding: 1);
                readonly AvgPool2d pool = new(3, stride: 2, padding: 1, ceilMode: true);
                readonly AdaptiveAvgPool2d cells = new(outputW: 3, outputH: 2);
                readonly Linear head = new(4 * 2, 10);
                public override Tensor Forward(Tensor x) => head.Forward(cells.Forward(pool.Forward(conv.Forward(x))).Sum(3).Flatten(1));
            }
            """);

        // The adaptive pooling's sizes are read by parameter name: [N, 4, 2, 3] summed over its width is the head's 8 features.
        Assert.DoesNotContain(output.Diagnostics, d => d.Id is "GG0016" or "GG0017");
        var model = Assert.Single(output.Sources, s => s.Key.Contains("Cnn.Model", StringComparison.Ordinal)).Value;
        Assert.Contains("CanRun(input, 4, false", model, StringComparison.Ordinal);
        // Both layers are one op whose windows the run time reads from the module; the backward calls the gradient the rule names, for each.
        Assert.Contains("CompiledGraph.AvgPool2d(t3, this.pool)", model, StringComparison.Ordinal);
        Assert.Contains("CompiledGraph.AvgPool2d(t4, this.cells)", model, StringComparison.Ordinal);
        Assert.Matches(@"CompiledGraph\.AvgPool2dGradient\(t\d+, t4, this\.cells\)", model);
        Assert.Matches(@"CompiledGraph\.AvgPool2dGradient\(t\d+, t3, this\.pool\)", model);
        Assert.DoesNotContain(output.Compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
    }
}
