namespace Gradgen.Tests.Tensors;

public class ViewTests
{
    static Tensor Range(params int[] shape) => Tensor.Arange(0.0, new Shape(shape).NumElements).Reshape(shape);

    [Fact]
    public void Reshape_of_contiguous_is_a_view_sharing_storage()
    {
        var a = Range(6);
        var b = a.Reshape(2, 3);
        Assert.True(b.IsContiguous);
        b.Fill(1);
        Assert.All(a.ToArray<float>(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Reshape_infers_minus_one_and_reports_bad_shapes()
    {
        Assert.Equal("[3, 4]", Range(12).Reshape(3, -1).Shape.ToString());
        Assert.Equal("[2, 2, 3]", Range(12).View(-1, 2, 3).Shape.ToString());
        var e = Assert.Throws<ArgumentException>(() => Range(10).Reshape(3, 4));
        Assert.Equal("Reshape: shape [3, 4] is invalid for input of size 10 (shape [10]).", e.Message);
        Assert.Throws<ArgumentException>(() => Range(10).Reshape(-1, -1));
        Assert.Throws<ArgumentException>(() => Range(10).Reshape(3, -1));
    }

    [Fact]
    public void View_of_transposed_throws_but_reshape_copies()
    {
        var t = Range(2, 3).T;
        Assert.False(t.IsContiguous);
        var e = Assert.Throws<InvalidOperationException>(() => t.View(6));
        Assert.Contains("Use Reshape", e.Message);
        var r = t.Reshape(6);
        Assert.Equal([0f, 3, 1, 4, 2, 5], r.ToArray<float>());
        r.Fill(9);
        Assert.Equal(0f, t[0, 0].Item<float>());
    }

    [Fact]
    public void View_works_on_some_non_contiguous_geometries()
    {
        // [4, 6] narrowed to columns 0..6 of a [4, 12]: rows are contiguous chunks, so splitting a row is a view.
        var a = Range(4, 12).Narrow(1, 0, 6);
        var v = a.View(4, 2, 3);
        Assert.Equal([12, 3, 1], v.Strides);
        Assert.Equal(a.Reshape(-1).ToArray<float>(), v.Reshape(-1).ToArray<float>());
    }

    [Fact]
    public void Transpose_permute_and_T()
    {
        var a = Range(2, 3, 4);
        var p = a.Permute(2, 0, 1);
        Assert.Equal("[4, 2, 3]", p.Shape.ToString());
        Assert.Equal(a[1, 2, 3].Item<float>(), p[3, 1, 2].Item<float>());
        var t = a.Transpose(0, -1);
        Assert.Equal("[4, 3, 2]", t.Shape.ToString());
        Assert.Equal(a[1, 0, 2].Item<float>(), t[2, 0, 1].Item<float>());
        Assert.Equal([0f, 3, 1, 4, 2, 5], Range(2, 3).T.Contiguous().ToArray<float>());
        Assert.Throws<InvalidOperationException>(() => a.T);
        Assert.Throws<ArgumentException>(() => a.Permute(0, 0, 1));
        Assert.Throws<ArgumentException>(() => a.Permute(0, 1));
        // As PyTorch, T of a vector is a view of it (x.T is x.permute(0)), not the tensor itself.
        var v = Range(3);
        Assert.NotSame(v, v.T);
        Assert.Equal(v.ToArray<float>(), v.T.ToArray<float>());
    }

    [Fact]
    public void Unsqueeze_squeeze_flatten()
    {
        var a = Range(2, 3);
        Assert.Equal("[1, 2, 3]", a.Unsqueeze(0).Shape.ToString());
        Assert.Equal("[2, 3, 1]", a.Unsqueeze(-1).Shape.ToString());
        Assert.Equal("[2, 1, 3]", a.Unsqueeze(1).Shape.ToString());
        Assert.Equal("[2, 3]", a.Unsqueeze(1).Unsqueeze(0).Squeeze().Shape.ToString());
        Assert.Equal("[2, 3]", a.Unsqueeze(1).Squeeze(1).Shape.ToString());
        Assert.Equal("[2, 1, 3]", a.Unsqueeze(1).Squeeze(0).Shape.ToString());
        Assert.Equal("[6]", a.Flatten().Shape.ToString());
        Assert.Equal("[2, 12]", Range(2, 3, 4).Flatten(1).Shape.ToString());
        Assert.Equal("[1]", Tensor.Scalar(3).Flatten().Shape.ToString());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => a.Unsqueeze(4));
        Assert.Contains("Unsqueeze: dimension 4 is out of range", e.Message);
    }

    [Fact]
    public void Narrow_select_slice_and_indexer()
    {
        var a = Range(3, 4);
        Assert.Equal([4f, 5, 6, 7], a[1].ToArray<float>());
        Assert.Equal([3f, 7, 11], a[.., 3].ToArray<float>());
        Assert.Equal([3f, 7, 11], a[.., ^1].ToArray<float>());
        Assert.Equal([11f], a[-1, 3..].ToArray<float>());
        Assert.Equal([5f, 6, 9, 10], a[1.., 1..3].ToArray<float>());
        Assert.Equal([1f, 3, 5, 7, 9, 11], a.Reshape(-1).Slice(0, 1, 100, 2).ToArray<float>());
        Assert.Equal([1f], a.Reshape(-1).Slice(0, 1, int.MaxValue, int.MaxValue).ToArray<float>());
        Assert.Equal([8f, 9, 10, 11], a.Narrow(0, -1, 1).Reshape(-1).ToArray<float>());
        Assert.Equal(6f, a.Select(1, 2)[1].Item<float>());
        Assert.Contains("index 3 is out of range for dimension 0 of size 3", Assert.Throws<ArgumentOutOfRangeException>(() => a[3]).Message);
        // ^0 is one past the end, as for arrays (it is not position 0).
        Assert.Contains("index ^0 is out of range for dimension 1 of size 4", Assert.Throws<ArgumentOutOfRangeException>(() => a[.., ^0]).Message);
        Assert.Equal([0f, 1, 2, 3], a[^3].ToArray<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Narrow(1, 2, 3));
        Assert.Throws<ArgumentException>(() => a[0, 0, 0]);
        var s = a[1..2, 1..3];
        s.Fill(-1);
        Assert.Equal(-1f, a[1, 2].Item<float>());
    }

    [Fact]
    public void Expand_and_contiguous()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f }).Unsqueeze(1);
        var e = a.Expand(2, 3);
        Assert.Equal([0, 0], new[] { e.Strides[1], 0 });
        Assert.Equal([1f, 1, 1, 2, 2, 2], e.Contiguous().ToArray<float>());
        Assert.Equal("[4, 2, 3]", a.Expand(4, -1, 3).Shape.ToString());
        Assert.Throws<ArgumentException>(() => a.Expand(3, 3));
        var c = Range(2, 2);
        Assert.Same(c, c.Contiguous());
    }

    [Fact]
    public void ExpandAs_takes_the_other_tensors_shape_as_torch_expand_as_does()
    {
        // torch.tensor([[1.], [2.]]).expand_as(torch.zeros(2, 3)) == [[1, 1, 1], [2, 2, 2]]: a stride-0 view, no copy.
        var gate = Tensor.FromArray(new[] { 1f, 2f }).Unsqueeze(1);
        var rows = Tensor.Zeros(2, 3);
        var e = gate.ExpandAs(rows);
        Assert.Equal("[2, 3]", e.Shape.ToString());
        Assert.Equal(0, e.Strides[1]);
        Assert.Equal([1f, 1, 1, 2, 2, 2], e.Contiguous().ToArray<float>());
        gate.Fill(5);
        Assert.Equal([5f, 5, 5, 5, 5, 5], e.Contiguous().ToArray<float>());

        // New leading dims as expand's, trailing dims aligned: [3] as [2, 4, 3].
        var row = Tensor.FromArray(new[] { 1f, 2f, 3f });
        Assert.Equal("[2, 4, 3]", row.ExpandAs(Tensor.Zeros(2, 4, 3)).Shape.ToString());
        Assert.Equal([1f, 2, 3, 1, 2, 3], row.ExpandAs(Tensor.Zeros(2, 3)).ToArray<float>());

        // PyTorch: "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 1".
        var wrong = Assert.Throws<ArgumentException>(() => Range(2, 3).ExpandAs(Tensor.Zeros(2, 4)));
        Assert.Contains("ExpandAs: cannot expand [2, 3] as [2, 4]: dimension 1 has size 3, which is neither 1 nor 4", wrong.Message);
        var fewer = Assert.Throws<ArgumentException>(() => Range(2, 3).ExpandAs(Tensor.Zeros(3)));
        Assert.Contains("cannot expand [2, 3] as [3], which has fewer dimensions", fewer.Message);
    }

    [Fact]
    public void ExpandAs_records_ExpandBackward_and_sums_the_copies_into_the_input_only()
    {
        var gate = Tensor.FromArray(new[] { 1.0, 2.0 }).Reshape(2, 1);
        gate.RequiresGrad = true;
        var like = Tensor.Zeros([2, 3], DType.Float64);
        like.RequiresGrad = true;
        var y = gate.ExpandAs(like);
        Assert.Equal("ExpandBackward", y.GradFn!.Name);
        (y * Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }).Reshape(2, 3)).Sum().Backward();
        Assert.Equal([6.0, 15.0], gate.Grad!.ToArray<double>());
        Assert.Null(like.Grad);
    }
}
