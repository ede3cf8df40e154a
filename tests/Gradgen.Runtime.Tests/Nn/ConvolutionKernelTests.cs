using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>
/// The image-by-image convolution kernel at the shapes that take its different paths: a 1×1 window read in place,
/// stride-1 "same" windows unfolded as one run per tap (with and without dilation), strided and padded windows
/// unfolded row by row, groups, one image and one or three channels, non-square images. Values against PyTorch's
/// definition in float64, gradients by finite differences, and Float32 against Float64.
/// </summary>
public class ConvolutionKernelTests
{
    static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64);

    /// <summary>batch, channels, height, width, out channels, kernel, stride, padding, dilation, groups.</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int, int> Shapes => new()
    {
        { 1, 1, 5, 7, 2, 1, 1, 0, 1, 1 },   // 1×1 window: the image is its own columns
        { 2, 3, 6, 5, 4, 1, 2, 0, 1, 1 },   // 1×1 window with stride 2
        { 1, 1, 6, 6, 3, 5, 1, 2, 1, 1 },   // 5×5 "same": one run per tap
        { 2, 3, 7, 5, 2, 5, 1, 2, 1, 1 },   // 5×5 "same" on a non-square image
        { 2, 3, 8, 7, 4, 3, 2, 1, 1, 1 },   // stride 2 with padding: row by row
        { 1, 3, 7, 7, 3, 3, 1, 2, 2, 3 },   // dilated "same", depthwise (groups = channels)
        { 2, 4, 5, 6, 6, 5, 2, 3, 1, 2 },   // padding wider than the image's border, two groups
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_matches_the_definition_in_float64_and_float32(int n, int c, int h, int w, int o, int k, int stride, int padding, int dilation, int groups)
    {
        var (x, weight, bias) = Inputs(n, c, h, w, o, k, groups);
        var expected = ConvolutionTests.ReferenceConv(x, weight, bias, stride, padding, dilation, groups, out var shape);

        var y = Functional.Conv2d(x, weight, bias, stride, padding, dilation, groups);
        Assert.Equal(shape, y.Shape.ToArray());
        ConvolutionTests.Close(expected, y);
        ConvolutionTests.Close(expected, Functional.Conv2d(x.To(DType.Float32), weight.To(DType.Float32), bias.To(DType.Float32), stride, padding, dilation, groups), 1e-5);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gradients_match_finite_differences(int n, int c, int h, int w, int o, int k, int stride, int padding, int dilation, int groups)
    {
        var (x, weight, bias) = Inputs(n, c, h, w, o, k, groups);
        var inputs = new[] { x, weight, bias };
        foreach (var t in inputs)
        {
            t.RequiresGrad = true;
        }

        GradCheck.Assert(t => Functional.Conv2d(t[0], t[1], t[2], stride, padding, dilation, groups), inputs);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float32_gradients_match_float64(int n, int c, int h, int w, int o, int k, int stride, int padding, int dilation, int groups)
    {
        var (x, weight, bias) = Inputs(n, c, h, w, o, k, groups);
        var single = Gradients(x.To(DType.Float32), weight.To(DType.Float32), bias.To(DType.Float32), stride, padding, dilation, groups);
        var reference = Gradients(x, weight, bias, stride, padding, dilation, groups);
        for (int i = 0; i < 3; i++)
        {
            ConvolutionTests.Close(reference[i].ToArray<double>(), single[i], 1e-4);
        }
    }

    /// <summary>
    /// A batch large enough to be split over threads gives each parameter the sum of what its images give one at a
    /// time (each chunk of images keeps its own partial weight and bias gradients), and each image its own gradient.
    /// </summary>
    [Fact]
    public void Weight_and_bias_gradients_of_a_split_batch_are_the_sums_over_its_images()
    {
        var x = R(9, 3, 20, 20);
        var weight = R(5, 3, 5, 5);
        var bias = R(5);
        var v = R(9, 5, 20, 20);
        var whole = Gradients(x, weight, bias, 1, 2, 1, 1, v);
        var sums = new[] { Tensor.ZerosLike(weight), Tensor.ZerosLike(bias) };
        for (int b = 0; b < 9; b++)
        {
            var one = Gradients(x.Narrow(0, b, 1).Clone(), weight, bias, 1, 2, 1, 1, v.Narrow(0, b, 1));
            ConvolutionTests.Close(one[0].ToArray<double>(), whole[0].Narrow(0, b, 1));
            sums[0] += one[1];
            sums[1] += one[2];
        }

        ConvolutionTests.Close(sums[0].ToArray<double>(), whole[1], 1e-10);
        ConvolutionTests.Close(sums[1].ToArray<double>(), whole[2], 1e-10);
    }

    [Fact]
    public void Only_the_gradients_asked_for_are_computed_and_the_node_is_pytorchs()
    {
        var x = R(2, 3, 6, 6);
        var weight = R(4, 3, 3, 3);
        weight.RequiresGrad = true;
        var y = Functional.Conv2d(x, weight, null, padding: 1);
        Assert.Equal("ConvolutionBackward0", y.GradFn!.Name);
        y.Sum().Backward();
        Assert.Null(x.Grad);
        Assert.NotNull(weight.Grad);

        var frozen = R(4, 3, 3, 3);
        var v = R(2, 4, 6, 6);
        x.RequiresGrad = true;
        var expected = Gradients(x, frozen, R(4), 1, 1, 1, 1, v)[0];
        (Functional.Conv2d(x, frozen, null, padding: 1) * v).Sum().Backward();
        ConvolutionTests.Close(expected.ToArray<double>(), x.Grad!);
        Assert.Null(frozen.Grad);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void An_epilogue_that_reads_a_second_value_sees_its_element_at_each_output_position(int n, int c, int h, int w, int o, int k, int stride, int padding, int dilation, int groups)
    {
        // (conv(x) + b) + r, as a residual added after the layer: every image and group reads r where it writes y.
        var (x, weight, bias) = Inputs(n, c, h, w, o, k, groups);
        var (x32, w32, b32) = (x.To(DType.Float32), weight.To(DType.Float32), bias.To(DType.Float32));
        var plain = Functional.Conv2d(x32, w32, b32, stride, padding, dilation, groups);
        var residual = Tensor.Randn(plain.Shape.ToArray());

        var fused = Functional.Conv2d<PlusOtherEpilogue>(x32, w32, b32, stride, padding, dilation, groups, residual);
        var expected = ConvolutionTests.ReferenceConv(x, weight, bias, stride, padding, dilation, groups, out _).Zip(residual.ToArray<float>(), (y, r) => y + r).ToArray();
        ConvolutionTests.Close(expected, fused, 1e-5);

        var wrong = Assert.Throws<ArgumentException>(() => Functional.Conv2d<PlusOtherEpilogue>(x32, w32, b32, stride, padding, dilation, groups, residual.Reshape(-1)));
        Assert.Contains($"a Float32 of shape [{residual.NumElements}]", wrong.Message);
        Assert.Contains($"[{string.Join(", ", plain.Shape.ToArray())}]", wrong.Message);
    }

    /// <summary>value + other: an epilogue that reads a second value of the output's shape.</summary>
    private readonly struct PlusOtherEpilogue : Gradgen.Kernels.IGemmEpilogue
    {
        public static bool ReadsOther => true;

        public static float Apply(float value, float other) => value + other;

        public static System.Runtime.Intrinsics.Vector256<float> Apply(System.Runtime.Intrinsics.Vector256<float> value, System.Runtime.Intrinsics.Vector256<float> other) => value + other;

        public static System.Runtime.Intrinsics.Vector512<float> Apply(System.Runtime.Intrinsics.Vector512<float> value, System.Runtime.Intrinsics.Vector512<float> other) => value + other;
    }

    [Fact]
    public void Parameters_of_another_dtype_are_refused_naming_the_dtypes()
    {
        var error = Assert.Throws<ArgumentException>(() => Functional.Conv2d(R(1, 1, 4, 4), Tensor.Randn(2, 1, 3, 3)));
        Assert.Contains("input (Float64), weight (Float32) and bias (none)", error.Message);
    }

    /// <summary>col2im through the stride-1 "same" path zeroes the padding windows of what it adds: it must do so on its own copy, never on the gradient it was given.</summary>
    [Fact]
    public void Average_pooling_with_same_windows_leaves_the_incoming_gradient_as_it_was()
    {
        var x = R(2, 2, 5, 5);
        x.RequiresGrad = true;
        var y = Functional.AvgPool2d(x, 3, 1, 1);
        var g = R(2, 2, 5, 5);
        var before = g.ToArray<double>();
        y.Backward(g);
        Assert.Equal(before, g.ToArray<double>());
        var inputs = new[] { x.Detach() };
        inputs[0].RequiresGrad = true;
        GradCheck.Assert(t => Functional.AvgPool2d(t[0], 3, 1, 1, countIncludePad: false), inputs);
    }

    /// <summary>A random Float64 input [n, c, h, w], weight [o, c / groups, k, k] and bias [o].</summary>
    static (Tensor X, Tensor Weight, Tensor Bias) Inputs(int n, int c, int h, int w, int o, int k, int groups) => (R(n, c, h, w), R(o, c / groups, k, k), R(o));

    /// <summary>The gradients of x, weight and bias of Σ y·v, v being <paramref name="weights"/> or a seeded random tensor, so that every output element counts differently.</summary>
    static Tensor[] Gradients(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups, Tensor? weights = null)
    {
        var inputs = new[] { x.Detach(), weight.Detach(), bias.Detach() };
        foreach (var t in inputs)
        {
            t.RequiresGrad = true;
        }

        var y = Functional.Conv2d(inputs[0], inputs[1], inputs[2], stride, padding, dilation, groups);
        RandomGenerator.ManualSeed(5);
        var v = (weights ?? Tensor.Randn(y.Shape.ToArray(), DType.Float64)).To(y.DType);
        (y * v).Sum().Backward();
        return [inputs[0].Grad!, inputs[1].Grad!, inputs[2].Grad!];
    }
}
