namespace Gradgen.Tests.Tensors;

/// <summary>Expected strings are what PyTorch prints for the same tensors (dtype names in Gradgen's words).</summary>
public class PrintingTests
{
    [Fact]
    public void Fixed_notation_with_a_common_width() =>
        Assert.Equal("tensor([-1.5000,  2.2500])", Tensor.FromArray(new[] { -1.5f, 2.25f }).ToString());

    [Fact]
    public void Integer_valued_floats_use_the_widest_integer() =>
        Assert.Equal("tensor([100.,   1.])", Tensor.FromArray(new[] { 100f, 1f }).ToString());

    [Fact]
    public void Scientific_notation_when_the_range_is_wide_or_values_tiny()
    {
        Assert.Equal("tensor([1.0000e-05, 1.0000e+00])", Tensor.FromArray(new[] { 1e-5f, 1f }).ToString());
        Assert.Equal("tensor([1.0000e+00, 1.0000e+09])", Tensor.FromArray(new[] { 1f, 1e9f }).ToString());
        Assert.Equal("tensor(1.1211e-11)", Tensor.Scalar(1.1211e-11).ToString());
    }

    [Fact]
    public void Non_finite_values()
    {
        Assert.Equal("tensor([1.5000,    nan,    inf])", Tensor.FromArray(new[] { 1.5f, float.NaN, float.PositiveInfinity }).ToString());
        Assert.Equal("tensor([-inf, 1.])", Tensor.FromArray(new[] { float.NegativeInfinity, 1f }).ToString());
        Assert.Equal("tensor([nan, nan])", Tensor.FromArray(new[] { float.NaN, float.NaN }).ToString());
    }

    [Fact]
    public void Scalars()
    {
        Assert.Equal("tensor(3.5000)", Tensor.Scalar(3.5).ToString());
        Assert.Equal("tensor(2.)", Tensor.Scalar(2).ToString());
        Assert.Equal("tensor(7)", Tensor.Scalar(7, DType.Int64).ToString());
        Assert.Equal("tensor(2., dtype=Float64)", Tensor.Scalar(2, DType.Float64).ToString());
        Assert.Equal("tensor(True)", Tensor.Scalar(1, DType.Bool).ToString());
    }

    [Fact]
    public void Integers_and_dtype_suffixes()
    {
        Assert.Equal("tensor([  1, -20, 300])", Tensor.FromArray(new[] { 1L, -20, 300 }).ToString());
        Assert.Equal("tensor([1, 2], dtype=Int32)", Tensor.FromArray(new[] { 1, 2 }).ToString());
        Assert.Equal("tensor([ True, False])", Tensor.FromArray(new[] { true, false }).ToString());
    }

    [Fact]
    public void Autograd_suffixes()
    {
        var x = Tensor.Ones([2], DType.Float32, requiresGrad: true);
        Assert.Equal("tensor([1., 1.], requires_grad=True)", x.ToString());
        Assert.Equal("tensor([0.8415, 0.8415], grad_fn=<SinBackward>)", x.Sin().ToString());
        Assert.Equal("tensor(2., grad_fn=<SumBackward>)", x.Sum().ToString());
        Assert.Equal("tensor([1., 1.], dtype=Float64, grad_fn=<ToCopyBackward>)", x.To(DType.Float64).ToString());
        Assert.Equal("tensor([1., 1.])", x.Detach().ToString());
    }

    [Fact]
    public void Empty_tensors()
    {
        Assert.Equal("tensor([])", Tensor.Zeros(0).ToString());
        Assert.Equal("tensor([], size=(2, 0))", Tensor.Zeros(2, 0).ToString());
        Assert.Equal("tensor([], dtype=Int32)", Tensor.Zeros([0], DType.Int32).ToString());
    }

    [Fact]
    public void Three_dimensional_tensors_separate_blocks_with_a_blank_line()
    {
        var t = Tensor.Arange(0.0, 8).Reshape(2, 2, 2);
        Assert.Equal("tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])", t.ToString());
    }

    [Fact]
    public void Large_vectors_are_summarized()
    {
        Assert.Equal(
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])",
            Tensor.Arange(0.0, 2000).ToString());
        Assert.Equal("tensor([0., 0., 0.,  ..., 0., 0., 0.])", Tensor.Zeros(1001).ToString());
    }

    [Fact]
    public void Large_matrices_are_summarized()
    {
        const string row = "[0., 0., 0.,  ..., 0., 0., 0.]";
        string expected = "tensor([" + row + ",\n        " + row + ",\n        " + row + ",\n        ...,\n        " +
                          row + ",\n        " + row + ",\n        " + row + "])";
        Assert.Equal(expected, Tensor.Zeros(100, 100).ToString());
    }

    [Fact]
    public void Long_rows_wrap_at_80_columns()
    {
        var t = Tensor.Linspace(0, 1, 12);
        Assert.Equal(
            "tensor([0.0000, 0.0909, 0.1818, 0.2727, 0.3636, 0.4545, 0.5455, 0.6364, 0.7273,\n        0.8182, 0.9091, 1.0000])",
            t.ToString());
    }

    [Fact]
    public void Views_print_their_own_elements() =>
        Assert.Equal("tensor([[0., 2.],\n        [1., 3.]])", Tensor.Arange(0.0, 4).Reshape(2, 2).T.ToString());
}
