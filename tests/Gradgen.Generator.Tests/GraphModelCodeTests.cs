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
    public void AGraphWithAnElementwiseStepHasItsKernelInCSharpAndCudaAndAConvolutionsActivationIsItsEpilogue()
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

        // The convolution's gradients read its input and filters, ReLU's derivative its output: the convolution's
        // output is read by the ReLU alone, which the product applies as it writes each element.
        Assert.Matches(@"CompiledGraph\.Conv2dThenMap<GradgenGraph_Head\.Kernel0AfterProductAt0, [^;]*, t\d+, t\d+, t\d+, this\.conv\);", model);
        Assert.DoesNotContain("CompiledGraph.Conv2d(", model, StringComparison.Ordinal);
    }

    [Fact]
    public void AResidualAddedAfterAConvolutionIsThatConvolutionsEpilogue()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Conv2d conv1 = new(2, 2, 3, padding: 1), conv2 = new(2, 2, 3, padding: 1);
                public override Tensor Forward(Tensor x) => Gradgen.Nn.Functional.Relu(conv2.Forward(Gradgen.Nn.Functional.Relu(conv1.Forward(x))) + x);
            }
            """);

        // relu(conv2(h) + x): the sum and its ReLU read conv2's output alone, so conv2 writes relu(· + x) directly,
        // reading x (the input, t0) at each position; conv1's ReLU is its epilogue too.
        Assert.Matches(@"CompiledGraph\.Conv2dThenMap<GradgenGraph_Head\.Kernel\d+AfterProductAt0, [^;]*, this\.conv2, t0, 0\);", model);
        Assert.Matches(@"CompiledGraph\.Conv2dThenMap<GradgenGraph_Head\.Kernel\d+AfterProductAt0, [^;]*, this\.conv1\);", model);
        Assert.DoesNotContain("CompiledGraph.Conv2d(", model, StringComparison.Ordinal);

        // A convolution on a device is not one of Gemm.cu's products: its epilogues have no device function.
        Assert.DoesNotContain("_after_product_at", model, StringComparison.Ordinal);
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
    public void AResidualAddIsTheEpilogueOfItsLayersProductAndItsBackwardPassesTheGradientOnWithoutACopy()
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

        // The add's backward reads neither of its inputs, so b's output is read by the add alone: the add is the
        // epilogue of b's product (b's output is its input 1, h is the other), and b's output is never stored.
        Assert.Matches(@"CompiledGraph\.LinearThenMap<GradgenGraph_Head\.Kernel\d+AfterProductAt1, [^(]*\(""Head_kernel\d+"", HeadGraphCudaSource, (t\d+), t\d+, t\d+, \1, 1\);", model);
        Assert.DoesNotMatch(@"// b\s+var t\d+ = global::Gradgen\.Nn\.CompiledGraph\.Linear\(", model);

        // On a device the same kernel is the epilogue of Gemm.cu's product: a function of the product's element and the
        // other value's, in the model's CUDA C, listed in its header for the backend and the NVRTC corpus test.
        Assert.Matches(@"__device__ __forceinline__ float Head_kernel\d+_after_product_at1\(float product, float other\)\s*\{\s*const float p0 = other;\s*const float p1 = product;", model);
        Assert.Matches(@"// Product epilogues: (Head_kernel\d+_after_product_at\d, )*Head_kernel\d+_after_product_at1[,;]", model);

        // No kernel stores one of its inputs unchanged: the add's gradient is g itself, for both of its inputs.
        Assert.DoesNotMatch(@"TSimd\.Store\(p\d+, s\.Out", model);

        // The relu's derivative reads its output (z ≤ 0 exactly where relu(z) ≤ 0), so the relu is a's epilogue too, and
        // the node keeps only what its backward reads: the relu's output (b's weight gradient and the relu's
        // derivative) and the sum (head's weight gradient).
        Assert.Matches(@"// a; a\.Forward\(x\)\.Relu\(\)\s+var (t\d+) = global::Gradgen\.Nn\.CompiledGraph\.LinearThenMap<GradgenGraph_Head\.Kernel\d+AfterProductAt0, ", model);
        string kept = Regex.Match(model, @"\}, \[(?<kept>[^\]]*)\], 0").Groups["kept"].Value;
        Assert.Equal(2, kept.Split(", ").Length);
    }

    [Fact]
    public void AnActivationWhoseDerivativeTheRulesWriteFromItsOutputIsTheEpilogueOfTheLayerBeforeIt()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear a = new(6, 8), head = new(8, 3);
                public override Tensor Forward(Tensor x) => head.Forward(Gradgen.Nn.Functional.Tanh(a.Forward(x))) * 2;
            }
            """);

        // tanh′ = 1 − y²: the backward reads the activation's output, so a's output is read by the tanh alone and is
        // never stored; the tanh is a's epilogue, as the scale is head's.
        Assert.Equal(2, Regex.Matches(model, @"CompiledGraph\.LinearThenMap<GradgenGraph_Head\.Kernel\d+AfterProductAt0, [^;]*, null, 0\);").Count);
        Assert.DoesNotContain("CompiledGraph.Linear(", model, StringComparison.Ordinal);
        Assert.Contains("TSimd.Multiply(p1, p1)", model, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1f", true)]
    [InlineData("1f", false)]
    public void AClampLikeSelectReadsItsOutputOnlyWhereTheConstantItGivesPassesItsComparison(string constant, bool fromOutput)
    {
        // z ≤ 0 ? −1 : z keeps the answer of z ≤ 0 (−1 ≤ 0), so its derivative may test y; z ≤ 0 ? 1 : z does not.
        string model = Generated($$"""
            public static partial class Acts
            {
                [Differentiable]
                public static float Floor(float z) => z <= 0 ? {{constant}} : z;
            }

            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear a = new(6, 8), head = new(8, 3);
                public override Tensor Forward(Tensor x) => head.Forward(Acts.Floor(a.Forward(x))) * 2;
            }
            """);

        Assert.Equal(fromOutput, Regex.IsMatch(model, @"// a; Acts\.Floor\(a\.Forward\(x\)\)\s+var t\d+ = global::Gradgen\.Nn\.CompiledGraph\.LinearThenMap<"));
        Assert.Equal(!fromOutput, model.Contains("// a\n", StringComparison.Ordinal) || Regex.IsMatch(model, @"// a\s+var t\d+ = global::Gradgen\.Nn\.CompiledGraph\.Linear\("));
    }

    [Fact]
    public void TheForwardFreesAtOnceWhatTheBackwardDoesNotRead()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear a = new(6, 8), head = new(8, 3);
                public override Tensor Forward(Tensor x)
                {
                    var h = a.Forward(x);
                    return head.Forward(h.Relu()) + h.Sum(1, true);
                }
            }
            """);

        // The add's backward passes g on and reads neither input, so head's output is read by the add alone. The add
        // broadcasts the sum ([B, 1]), so it is not head's epilogue: head's output goes back to the storage cache as soon
        // as the output is computed, and the node does not keep it.
        string headOutput = Regex.Match(model, @"// head\s+var (t\d+) = global::Gradgen\.Nn\.CompiledGraph\.Linear\(").Groups[1].Value;
        Assert.NotEmpty(headOutput);
        Assert.Contains($"// Not read by the backward: back to the storage cache now.\n        global::Gradgen.Nn.CompiledGraph.Free({headOutput});", model.Replace("\r\n", "\n"), StringComparison.Ordinal);
        string kept = Regex.Match(model, @"\}, \[(?<kept>[^\]]*)\], 0").Groups["kept"].Value;
        Assert.DoesNotContain(headOutput, kept.Split(", "));
    }

    [Fact]
    public void AnActivationsDerivativeRunsAsTheEpilogueOfTheProductThatCarriesItsGradient()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear a = new(6, 8), head = new(8, 3);
                public override Tensor Forward(Tensor x) => head.Forward(Gradgen.Nn.Functional.Gelu(a.Forward(x)));
            }
            """);

        // g·W of head, times gelu′ of a's output as each element is written: one call, the product never stored.
        Assert.Matches(@"CompiledGraph\.MatMulThenMap<GradgenGraph_Head\.Kernel\d+AfterProductAt1, GradgenGraph_Head\.Kernel\d+<float>, GradgenGraph_Head\.Kernel\d+<double>>\(""Head_kernel\d+"", HeadGraphCudaSource, t\d+, t\d+, t\d+, 1\);", model);
        Assert.Contains("public readonly struct Kernel", model, StringComparison.Ordinal);
        Assert.Contains("AfterProductAt1 : global::Gradgen.Kernels.IGemmEpilogue", model, StringComparison.Ordinal);

        // The input's gradient is a product the model returns: it stays a product of its own.
        Assert.Single(Regex.Matches(model, @"CompiledGraph\.MatMul\("));
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

    [Fact]
    public void ALinearChainTriesTheNarrowStrategyFirstThenRunsTheGeneralPlanWithItsActivationsFused()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear hidden = new(784, 256), output = new(256, 10);
                public override Tensor Forward(Tensor x) => output.Forward(hidden.Forward(x).Relu());
            }
            """);
        int narrow = model.IndexOf("CompiledModel.RunNarrow<GradgenChain_Head.LayerActivations>(", StringComparison.Ordinal);
        int general = model.IndexOf("return GradgenCallRank2(input);", StringComparison.Ordinal);
        Assert.True(narrow > 0 && general > narrow, "narrow, then the general plan");

        // No device strategy of its own either: on a device the general plan runs, its epilogues in Gemm.cu's products.
        Assert.DoesNotContain("RunOnDevice", model, StringComparison.Ordinal);
        Assert.DoesNotContain("DerivativeCudaSource", model, StringComparison.Ordinal);

        // No packed path of its own: ReLU is the hidden product's epilogue, ReLU′ (from its output) that of the product
        // that carries the gradient into it, and the pre-activation is neither stored nor kept for the backward.
        Assert.Contains("CompiledGraph.LinearThenMap<GradgenGraph_Head.Kernel0AfterProductAt0", model, StringComparison.Ordinal);
        Assert.Contains("CompiledGraph.MatMulThenMap<GradgenGraph_Head.Kernel1AfterProductAt0", model, StringComparison.Ordinal);
        Assert.DoesNotContain("CompiledModel.Linear", model, StringComparison.Ordinal);
        Assert.Matches(@"\}, \[t4\], 0, 1, 3\);", model);
    }

    [Fact]
    public void ALinearChainWithLayersWithoutBiasGetsTheNarrowStrategy()
    {
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear hidden = new(2, 3, bias: false), output = new(3, 1);
                public override Tensor Forward(Tensor x) => output.Forward(hidden.Forward(x).Relu());
            }
            """);
        Assert.Contains("if (global::Gradgen.Nn.CompiledModel.IsNarrow(layer0, layer1) && global::Gradgen.Nn.CompiledModel.CanRun(input, layer0, layer1))", model, StringComparison.Ordinal);
        Assert.Contains("CompiledModel.RunNarrow<GradgenChain_Head.LayerActivations>(", model, StringComparison.Ordinal);
    }

    [Fact]
    public void LayersBuiltWithSizesTheGeneratorCannotSeeStillFuseTheirActivation()
    {
        // hidden's outputs and output's inputs are one unknown size once output reads hidden's activation: the gradient
        // that reaches the activation has its input's shape, so no Σ to that shape reads the pre-activation.
        string model = Generated("""
            public sealed partial class Head : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear hidden, output;
                public Head(int inputs, int width) { hidden = new(inputs, width); output = new(width, 1); }
                public override Tensor Forward(Tensor x) => output.Forward(Gradgen.Nn.Functional.Tanh(hidden.Forward(x)));
            }
            """);
        Assert.Contains("CompiledGraph.LinearThenMap<", model, StringComparison.Ordinal);
        Assert.DoesNotContain("CompiledGraph.Linear(t0", model, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(model, @"CompiledGraph\.SumToShapeOf\(").Count);    // the two biases' gradients, nothing else
    }

    private static string Generated(string source)
    {
        var output = GeneratorHarness.Run("using Gradgen;\n" + source);
        Assert.Empty(output.CompilationProblems);
        Assert.DoesNotContain(output.Diagnostics, d => d.Id == "GG0016");
        return Assert.Single(output.Sources, s => s.Key.EndsWith("Head.Model.g.cs", StringComparison.Ordinal)).Value;
    }
}
