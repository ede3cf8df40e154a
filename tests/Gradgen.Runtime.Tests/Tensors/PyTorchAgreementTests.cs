namespace Gradgen.Tests.Tensors;

/// <summary>
/// Cases where Gradgen disagreed with PyTorch 1.13 (issue 14's list of defects): each asserts the value PyTorch gives,
/// computed with python3-torch 1.13.1 on the same inputs (the expected values are written next to each case).
/// </summary>
public class PyTorchAgreementTests
{
    private static Tensor Leaf(params float[] values)
    {
        var t = Tensor.FromArray(values);
        t.RequiresGrad = true;
        return t;
    }

    [Fact]
    public void Elementwise_operations_of_a_tensor_with_an_empty_inner_dimension_give_empty_results()
    {
        // torch.zeros(4, 0).exp().shape == [4, 0]; a tensor without elements is contiguous whatever its strides.
        Assert.Equal([4, 0], Tensor.Zeros(4, 0).Exp().Shape.ToArray());
        Assert.Equal([4, 0], Tensor.Zeros(4, 0).Sigmoid().Shape.ToArray());
        Assert.Equal([4, 0], Tensor.Zeros(4, 0).Relu().Shape.ToArray());
        Assert.True(Tensor.Zeros(4, 0).IsContiguous);
    }

    [Fact]
    public void A_row_of_a_tensor_with_no_columns_reads_and_clones_as_empty()
    {
        // torch.zeros(3, 0)[1] has shape [0]; its clone too.
        var row = Tensor.Zeros(3, 0)[1];
        Assert.Empty(row.ToArray<float>());
        Assert.Equal([0], row.Clone().Shape.ToArray());
    }

    [Fact]
    public void A_batched_product_with_an_empty_dimension_is_empty_forward_and_backward()
    {
        // torch.ones(1, 5) @ torch.ones(2, 5, 0): shape [2, 1, 0]; a.grad zeros [1, 5], b.grad shape [2, 5, 0].
        var a = Tensor.Ones([1, 5], DType.Float32, requiresGrad: true);
        var b = Tensor.Ones([2, 5, 0], DType.Float32, requiresGrad: true);
        var r = a.MatMul(b);
        Assert.Equal([2, 1, 0], r.Shape.ToArray());
        r.Sum().Backward();
        Assert.Equal(new float[5], a.Grad!.ToArray<float>());
        Assert.Equal([2, 5, 0], b.Grad!.Shape.ToArray());
    }

    [Fact]
    public void A_product_over_an_empty_inner_dimension_is_zeros()
    {
        // torch.ones(2, 0) @ torch.ones(0, 3) == zeros(2, 3).
        Assert.Equal(new float[6], Tensor.Ones(2, 0).MatMul(Tensor.Ones(0, 3)).ToArray<float>());
    }

    [Fact]
    public void The_matrix_product_propagates_NaN_times_zero_forward_and_backward()
    {
        // [[0, 1]] @ [[nan], [2]] = [[nan]]; backward of ones: a.grad [[nan, 2]], b.grad [[0], [1]].
        var a = Tensor.FromArray(new float[] { 0, 1 }).Reshape(1, 2);
        var b = Tensor.FromArray(new float[] { float.NaN, 2 }).Reshape(2, 1);
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        var r = a.MatMul(b);
        Assert.True(float.IsNaN(r.Item<float>()));
        r.Backward(Tensor.Ones(1, 1));
        var ga = a.Grad!.ToArray<float>();
        Assert.True(float.IsNaN(ga[0]));
        Assert.Equal(2f, ga[1]);
        Assert.Equal([0f, 1f], b.Grad!.ToArray<float>());

        // A NaN gradient reaches every element of both gradients: [[1, 2]] @ [[3], [4]] backward of [[nan]].
        var c = Tensor.FromArray(new float[] { 1, 2 }).Reshape(1, 2);
        var d = Tensor.FromArray(new float[] { 3, 4 }).Reshape(2, 1);
        c.RequiresGrad = true;
        d.RequiresGrad = true;
        c.MatMul(d).Backward(Tensor.Full([1, 1], double.NaN));
        Assert.All(c.Grad!.ToArray<float>(), v => Assert.True(float.IsNaN(v)));
        Assert.All(d.Grad!.ToArray<float>(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void The_matrix_product_refuses_mixed_dtypes_naming_both()
    {
        // PyTorch: "expected scalar type Float but found Double".
        var e = Assert.Throws<ArgumentException>(() => Tensor.Ones(2, 2).MatMul(Tensor.Ones([2, 2], DType.Float64)));
        Assert.Contains("Float32", e.Message, StringComparison.Ordinal);
        Assert.Contains("Float64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clamp_with_min_above_max_gives_max_everywhere_and_no_gradient()
    {
        // torch.tensor([0, 1.5, 3]).clamp(2, 1) == [1, 1, 1]; the gradient is [0, 0, 0].
        var x = Leaf(0, 1.5f, 3);
        var y = x.Clamp(2, 1);
        Assert.Equal([1f, 1f, 1f], y.ToArray<float>());
        y.Sum().Backward();
        Assert.Equal([0f, 0f, 0f], x.Grad!.ToArray<float>());
        Assert.Equal([1L, 1L], Tensor.FromArray(new long[] { 0, 5 }).Clamp(2, 1).ToArray<long>());
    }

    [Fact]
    public void The_full_maximum_gives_its_gradient_to_the_NaNs_and_exactly_zero_elsewhere()
    {
        // x.max() of [1, nan, 3]: grad [0, 1, 0]; of [1, nan, nan]: [0, 0.5, 0.5].
        var x = Leaf(1, float.NaN, 3);
        x.Max().Backward();
        Assert.Equal([0f, 1f, 0f], x.Grad!.ToArray<float>());
        var two = Leaf(1, float.NaN, float.NaN);
        two.Max().Backward();
        Assert.Equal([0f, 0.5f, 0.5f], two.Grad!.ToArray<float>());

        // An upstream NaN reaches only the selected elements: max of [1, 3, 3] backward of nan: [0, nan, nan];
        // min of [1, 3, 2]: [nan, 0, 0].
        var tie = Leaf(1, 3, 3);
        tie.Max().Backward(Tensor.Full([], double.NaN));
        var g = tie.Grad!.ToArray<float>();
        Assert.Equal(0f, g[0]);
        Assert.True(float.IsNaN(g[1]) && float.IsNaN(g[2]));
        var low = Leaf(1, 3, 2);
        low.Min().Backward(Tensor.Full([], double.NaN));
        var gl = low.Grad!.ToArray<float>();
        Assert.True(float.IsNaN(gl[0]));
        Assert.Equal([0f, 0f], gl[1..]);
    }

    [Fact]
    public void Maximum_and_minimum_give_both_sides_the_gradient_where_one_is_NaN()
    {
        // torch.maximum([nan, 1], [1, nan]).sum().backward(): a.grad [1, 1], b.grad [1, 1]; minimum the same.
        foreach (bool maximum in new[] { true, false })
        {
            var a = Leaf(float.NaN, 1);
            var b = Leaf(1, float.NaN);
            (maximum ? a.Maximum(b) : a.Minimum(b)).Sum().Backward();
            Assert.Equal([1f, 1f], a.Grad!.ToArray<float>());
            Assert.Equal([1f, 1f], b.Grad!.ToArray<float>());
        }
    }

    [Fact]
    public void Abs_has_gradient_zero_at_NaN_and_at_zero()
    {
        // torch.tensor([nan, -2, 0]).abs().sum().backward(): [0, -1, 0].
        var x = Leaf(float.NaN, -2, 0);
        x.Abs().Sum().Backward();
        Assert.Equal([0f, -1f, 0f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void MaskedSelect_broadcasts_the_tensor_to_the_mask_and_sums_the_gradient_back()
    {
        // torch.masked_select(ones(3), ones(2, 3) > 0): shape [6], x.grad [2, 2, 2], MaskedSelectBackward; x[mask] is IndexBackward.
        var x = Tensor.Ones([3], DType.Float32, requiresGrad: true);
        var y = x.MaskedSelect(Tensor.Ones(2, 3) > 0);
        Assert.Equal([6], y.Shape.ToArray());
        Assert.Equal("MaskedSelectBackward", y.GradFn!.Name);
        y.Sum().Backward();
        Assert.Equal([2f, 2f, 2f], x.Grad!.ToArray<float>());
        Assert.Equal("IndexBackward", x[Tensor.Ones(3) > 0].GradFn!.Name);
    }

    [Fact]
    public void BCEWithLogits_of_infinite_logits_gives_PyTorchs_values()
    {
        // BCEWithLogitsLoss()([inf], [0]) = inf with gradient 1; ([inf], [1]) = nan; ([-inf], [1]) = nan; ([inf], [0.5]) = inf.
        var loss = new Gradgen.Nn.BCEWithLogitsLoss();
        var x = Leaf(float.PositiveInfinity);
        var l = loss.Call(x, Tensor.FromArray(new float[] { 0 }));
        Assert.Equal(float.PositiveInfinity, l.Item<float>());
        l.Backward();
        Assert.Equal([1f], x.Grad!.ToArray<float>());
        Assert.True(float.IsNaN(loss.Call(Tensor.FromArray(new float[] { float.PositiveInfinity }), Tensor.FromArray(new float[] { 1 })).Item<float>()));
        Assert.True(float.IsNaN(loss.Call(Tensor.FromArray(new float[] { float.NegativeInfinity }), Tensor.FromArray(new float[] { 1 })).Item<float>()));
        Assert.Equal(float.PositiveInfinity, loss.Call(Tensor.FromArray(new float[] { float.PositiveInfinity }), Tensor.FromArray(new float[] { 0.5f })).Item<float>());
    }
}
