using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>
/// Conv2d, the pooling layers, Flatten, Identity and Embedding: forward values against float64 loops written here
/// from PyTorch's definitions, gradients by float64 GradCheck, parameter names, shapes and printing as PyTorch's.
/// </summary>
public class ConvolutionTests
{
    static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64);

    static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        foreach (var t in inputs) t.RequiresGrad = true;
        GradCheck.Assert(f, inputs);
    }

    static double At(double[] x, int[] shape, params int[] index)
    {
        int flat = 0;
        for (int d = 0; d < shape.Length; d++) flat = (flat * shape[d]) + index[d];
        return x[flat];
    }

    /// <summary>PyTorch's conv2d definition, term by term.</summary>
    internal static double[] ReferenceConv(Tensor input, Tensor weight, Tensor? bias, int stride, int padding, int dilation, int groups, out int[] shape)
    {
        var x = input.ToArray<double>();
        var w = weight.ToArray<double>();
        int[] xs = input.Shape.ToArray(), ws = weight.Shape.ToArray();
        int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], k = ws[2];
        int oh = ((h + (2 * padding) - (dilation * (k - 1)) - 1) / stride) + 1, ow = ((wd + (2 * padding) - (dilation * (k - 1)) - 1) / stride) + 1;
        shape = [n, o, oh, ow];
        var y = new double[n * o * oh * ow];
        int cg = c / groups, og = o / groups;
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double sum = bias is null ? 0 : bias.ToArray<double>()[oc];
                        int g = oc / og;
                        for (int ic = 0; ic < cg; ic++)
                            for (int p = 0; p < k; p++)
                                for (int q = 0; q < k; q++)
                                {
                                    int hy = (i * stride) - padding + (p * dilation), wx = (j * stride) - padding + (q * dilation);
                                    if (hy >= 0 && hy < h && wx >= 0 && wx < wd)
                                        sum += At(x, xs, b, (g * cg) + ic, hy, wx) * At(w, ws, oc, ic, p, q);
                                }

                        y[(((((b * o) + oc) * oh) + i) * ow) + j] = sum;
                    }

        return y;
    }

    internal static void Close(double[] expected, Tensor actual, double tolerance = 1e-12)
    {
        var a = actual.To(DType.Float64).ToArray<double>();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {a[i]:R}");
    }

    [Theory]
    [InlineData(1, 0, 1, 1)]
    [InlineData(2, 1, 1, 1)]
    [InlineData(1, 2, 2, 1)]
    [InlineData(2, 1, 1, 2)]
    public void Conv2d_matches_the_definition(int stride, int padding, int dilation, int groups)
    {
        var x = R(2, 4, 7, 6);
        var w = R(6, 4 / groups, 3, 3);
        var b = R(6);
        var expected = ReferenceConv(x, w, b, stride, padding, dilation, groups, out var shape);
        var y = Functional.Conv2d(x, w, b, stride, padding, dilation, groups);
        Assert.Equal(shape, y.Shape.ToArray());
        Close(expected, y);
        Close(ReferenceConv(x, w, null, stride, padding, dilation, groups, out _), Functional.Conv2d(x, w, null, stride, padding, dilation, groups));
        Close(expected, Functional.Conv2d(x.To(DType.Float32), w.To(DType.Float32), b.To(DType.Float32), stride, padding, dilation, groups), 1e-5);
    }

    [Fact] public void Conv2d_gradients() => Check(t => Functional.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1), R(2, 3, 6, 5), R(4, 3, 3, 3), R(4));

    [Fact] public void Conv2d_gradients_dilated_grouped() => Check(t => Functional.Conv2d(t[0], t[1], null, padding: 2, dilation: 2, groups: 2), R(1, 4, 5, 5), R(2, 2, 2, 2));

    [Fact]
    public void Conv2d_layer_has_pytorchs_parameters_init_printing_and_errors()
    {
        var conv = new Conv2d(1, 6, 5);
        Assert.Equal("Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))", conv.ToString());
        Assert.Equal("Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2, bias=False)", new Conv2d(4, 8, 3, stride: 2, padding: 1, groups: 2, bias: false).ToString());
        var state = conv.StateDict();
        Assert.Equal(["weight", "bias"], state.Keys);
        Assert.Equal("[6, 1, 5, 5]", state["weight"].Shape.ToString());
        Assert.Equal("[6]", state["bias"].Shape.ToString());
        double bound = 1 / Math.Sqrt(25);
        Assert.True(conv.Weight.ToArray<float>().All(v => Math.Abs(v) <= bound));
        Assert.Equal("[2, 6, 24, 24]", conv.Call(Tensor.Randn(2, 1, 28, 28)).Shape.ToString());
        Assert.Equal("[6, 24, 24]", conv.Call(Tensor.Randn(1, 28, 28)).Shape.ToString());
        Assert.Contains("divisible by groups", Assert.Throws<ArgumentException>(() => new Conv2d(3, 6, 3, groups: 2)).Message);
        Assert.Contains("smaller than the kernel", Assert.Throws<ArgumentException>(() => conv.Call(Tensor.Randn(1, 1, 3, 3))).Message);
        Assert.Contains("do not fit", Assert.Throws<ArgumentException>(() => conv.Call(Tensor.Randn(1, 2, 28, 28))).Message);
    }

    /// <summary>Max or mean over each window of every channel, padding excluded from the max (−∞) and from the mean unless <paramref name="includePad"/>.</summary>
    static double[] ReferencePool(Tensor input, int k, int stride, int padding, bool max, bool includePad = true, int dilation = 1)
    {
        var x = input.ToArray<double>();
        int[] xs = input.Shape.ToArray();
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3];
        int oh = ((h + (2 * padding) - (dilation * (k - 1)) - 1) / stride) + 1, ow = ((w + (2 * padding) - (dilation * (k - 1)) - 1) / stride) + 1;
        var y = new List<double>();
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double best = double.NegativeInfinity, sum = 0;
                        int inside = 0;
                        for (int p = 0; p < k; p++)
                            for (int q = 0; q < k; q++)
                            {
                                int hy = (i * stride) - padding + (p * dilation), wx = (j * stride) - padding + (q * dilation);
                                if (hy < 0 || hy >= h || wx < 0 || wx >= w) continue;
                                double v = At(x, xs, b, ch, hy, wx);
                                best = Math.Max(best, v);
                                sum += v;
                                inside++;
                            }

                        y.Add(max ? best : sum / (includePad ? k * k : inside));
                    }

        return [.. y];
    }

    /// <summary>
    /// Inputs large enough for the kernels to split the batch over threads (im2col, col2im, pooling planes) give what
    /// each image gives on its own (one image never goes parallel): forward values and input gradients.
    /// </summary>
    [Fact]
    public void Large_batches_split_over_threads_agree_with_image_by_image_results()
    {
        RandomGenerator.ManualSeed(21);
        var x = R(6, 3, 32, 32);
        var w = R(8, 3, 3, 3);
        Tensor Net(Tensor input) => Functional.AvgPool2d(Functional.MaxPool2d(Functional.Conv2d(input, w, null, padding: 1), 2, 1), 3, padding: 1, countIncludePad: false);
        var v = R(6, 8, 11, 11);

        var batched = x.Clone();
        batched.RequiresGrad = true;
        var y = Net(batched);
        (y * v).Sum().Backward();
        Close(ReferenceConv(x, w, null, 1, 1, 1, 1, out _), Functional.Conv2d(x, w, null, padding: 1));
        for (int b = 0; b < 6; b++)
        {
            var one = x.Narrow(0, b, 1).Clone();
            one.RequiresGrad = true;
            var yb = Net(one);
            (yb * v.Narrow(0, b, 1)).Sum().Backward();
            Close(yb.ToArray<double>(), y.Narrow(0, b, 1));
            Close(one.Grad!.ToArray<double>(), batched.Grad!.Narrow(0, b, 1));
        }
    }

    [Theory]
    [InlineData(2, 2, 0, 1)]
    [InlineData(3, 2, 1, 1)]
    [InlineData(3, 1, 1, 2)]
    public void MaxPool2d_matches_the_definition(int k, int stride, int padding, int dilation)
    {
        var x = R(2, 3, 7, 8);
        Close(ReferencePool(x, k, stride, padding, max: true, dilation: dilation), Functional.MaxPool2d(x, k, stride, padding, dilation));
        Check(t => Functional.MaxPool2d(t[0], k, stride, padding, dilation), R(1, 2, 6, 5));
    }

    [Fact]
    public void MaxPool2d_gives_a_tie_gradient_to_the_first_maximum_and_checks_padding()
    {
        var x = Tensor.FromArray(new double[] { 1, 1, 0, 1 }).Reshape(1, 1, 2, 2);
        x.RequiresGrad = true;
        new MaxPool2d(2).Call(x).Sum().Backward();
        Assert.Equal([1.0, 0, 0, 0], x.Grad!.ToArray<double>());
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).ToString());
        Assert.Contains("pad should be at most half", Assert.Throws<ArgumentException>(() => Functional.MaxPool2d(x, 2, padding: 2)).Message);
    }

    [Fact]
    public void MaxPool2d_propagates_the_first_NaN_of_a_window_as_PyTorch()
    {
        var x = Tensor.FromArray(new[] { 1.0, double.NaN, 5.0, double.NaN, 2.0, 3.0, 4.0, 0.0 }).Reshape(1, 1, 2, 4);
        x.RequiresGrad = true;
        var y = Functional.MaxPool2d(x, 2);
        Assert.True(double.IsNaN(y.ToArray<double>()[0]));
        Assert.True(double.IsNaN(y.ToArray<double>()[1]));
        y.Sum().Backward();
        Assert.Equal([0.0, 1, 0, 1, 0, 0, 0, 0], x.Grad!.ToArray<double>());
    }

    [Theory]
    [InlineData(2, 2, 0, true)]
    [InlineData(3, 2, 1, true)]
    [InlineData(3, 2, 1, false)]
    public void AvgPool2d_matches_the_definition(int k, int stride, int padding, bool countIncludePad)
    {
        var x = R(2, 3, 7, 6);
        Close(ReferencePool(x, k, stride, padding, max: false, includePad: countIncludePad), Functional.AvgPool2d(x, k, stride, padding, countIncludePad));
        Check(t => new AvgPool2d(k, stride, padding, countIncludePad).Call(t[0]), R(1, 2, 5, 6));
    }

    [Fact]
    public void AvgPool2d_ceil_mode_adds_a_partial_window_that_divides_by_what_it_covers_unless_a_divisor_is_given()
    {
        // 0 … 24 in a 5×5 image, 2×2 windows with stride 2: the ceil mode's third row and column of windows cover
        // one input row or column, and with no padding to count they divide by that (PyTorch's pool_size).
        var x = Tensor.Arange(0.0, 25, dtype: DType.Float64).Reshape(1, 1, 5, 5);
        Close([3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24], new AvgPool2d(2, ceilMode: true).Call(x));
        Close([4, 20.0 / 3, 13.0 / 3, 52.0 / 3, 20, 11, 41.0 / 3, 15, 8], new AvgPool2d(2, ceilMode: true, divisorOverride: 3).Call(x));
        Close([3, 5, 13, 15], new AvgPool2d(2).Call(x));

        // No window starts in the right padding: 5 rows padded by 1 take windows at rows −1 and 2 (one at 5 would
        // lie wholly in the padding), while 6 columns take a third at 5, which still covers column 5.
        Assert.Equal([1, 1, 2, 3], new AvgPool2d(2, 3, 1, ceilMode: true).Call(R(1, 1, 5, 6)).Shape.ToArray());
        Assert.Contains("divisor must be not zero", Assert.Throws<ArgumentException>(() => new AvgPool2d(2, divisorOverride: 0).Call(x)).Message);
    }

    [Theory]
    [InlineData(3, 2, 1, true, true, null)]
    [InlineData(3, 2, 1, true, false, null)]
    [InlineData(2, 3, 1, true, true, null)]
    [InlineData(3, 1, 1, false, true, 4)]
    public void AvgPool2d_with_ceil_mode_or_a_divisor_passes_gradcheck(int k, int stride, int padding, bool ceilMode, bool countIncludePad, int? divisor) =>
        Check(t => new AvgPool2d(k, stride, padding, countIncludePad, ceilMode, divisor).Call(t[0]), R(2, 2, 5, 6));

    [Fact]
    public void AdaptiveAvgPool2d_averages_pytorchs_cells()
    {
        var x = R(2, 3, 5, 7);
        var y = new AdaptiveAvgPool2d(3, 2).Call(x);
        Assert.Equal("[2, 3, 3, 2]", y.Shape.ToString());
        var data = x.ToArray<double>();
        int[] xs = [2, 3, 5, 7];
        var expected = new List<double>();
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 2; j++)
                    {
                        int h0 = i * 5 / 3, h1 = (int)Math.Ceiling((i + 1) * 5 / 3.0), w0 = j * 7 / 2, w1 = (int)Math.Ceiling((j + 1) * 7 / 2.0);
                        double sum = 0;
                        for (int p = h0; p < h1; p++)
                            for (int q = w0; q < w1; q++)
                                sum += At(data, xs, b, c, p, q);
                        expected.Add(sum / ((h1 - h0) * (w1 - w0)));
                    }

        Close([.. expected], y);
        Close(ReferencePool(x.Narrow(2, 0, 4).Narrow(3, 0, 4), 2, 2, 0, max: false), new AdaptiveAvgPool2d(2).Call(x.Narrow(2, 0, 4).Narrow(3, 0, 4)));
        Check(t => Functional.AdaptiveAvgPool2d(t[0], 2, 3), R(1, 2, 5, 4));
        Assert.Equal("AdaptiveAvgPool2d(output_size=(1, 1))", new AdaptiveAvgPool2d(1).ToString());
    }

    [Fact]
    public void Flatten_and_Identity()
    {
        var x = R(2, 3, 4);
        Assert.Equal("[2, 12]", new Flatten().Call(x).Shape.ToString());
        Assert.Equal("[6, 4]", new Flatten(0, 1).Call(x).Shape.ToString());
        Assert.Same(x, new Identity().Call(x));
        Assert.Equal("Flatten(start_dim=1, end_dim=-1)", new Flatten().ToString());
        Assert.Equal("Identity()", new Identity().ToString());
        Check(t => new Flatten().Call(t[0]) * 2, R(2, 3, 2));
    }

    [Fact]
    public void Embedding_looks_up_rows_and_adds_the_gradients_of_repeated_indices()
    {
        var e = new Embedding(5, 3, DType.Float64);
        Assert.Equal("Embedding(5, 3)", e.ToString());
        Assert.Equal(["weight"], e.StateDict().Keys);
        var index = Tensor.FromArray(new long[,] { { 4, 0 }, { 4, 2 } });
        var y = e.Call(index);
        Assert.Equal("[2, 2, 3]", y.Shape.ToString());
        var w = e.Weight.ToArray<double>();
        Assert.Equal(w[12..15], y.ToArray<double>()[..3]);
        Assert.Equal(w[6..9], y.ToArray<double>()[9..12]);
        y.Sum().Backward();
        Assert.Equal([1.0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2], e.Weight.Grad!.ToArray<double>());
        Assert.Throws<ArgumentException>(() => e.Call(Tensor.Zeros(2)));
    }
}
