namespace Gradgen.Tests.Autograd;

public class AutogradTests
{
    static Tensor Leaf(params double[] v)
    {
        var t = Tensor.FromArray(v);
        t.RequiresGrad = true;
        return t;
    }

    [Fact]
    public void RequiresGrad_is_settable_on_floating_leaves_only()
    {
        var x = Tensor.Ones(2);
        Assert.False(x.RequiresGrad);
        x.RequiresGrad = true;
        Assert.True(x.RequiresGrad);
        var y = x * 2;
        Assert.True(y.RequiresGrad);
        Assert.False(y.IsLeaf);
        var e = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Contains("leaf", e.Message);
        Assert.Contains("MulBackward", e.Message);
        var i = Tensor.FromArray(new[] { 1, 2 });
        Assert.Contains("floating-point", Assert.Throws<InvalidOperationException>(() => i.RequiresGrad = true).Message);
        x.RequiresGrad = false;
        Assert.False((x * 2).RequiresGrad);
    }

    [Fact]
    public void GradFn_names_and_next_functions()
    {
        var x = Leaf(1, 2);
        var w = Tensor.FromArray(new[] { 3.0, 4.0 });
        var y = x.Sin() * w;
        Assert.Equal("MulBackward", y.GradFn!.Name);
        Assert.Equal("<MulBackward>", y.GradFn.ToString());
        Assert.Equal(2, y.GradFn.NextFunctions.Count);
        var sin = y.GradFn.NextFunctions[0]!;
        Assert.Equal("SinBackward", sin.Name);
        Assert.Null(y.GradFn.NextFunctions[1]);
        var acc = Assert.IsType<AccumulateGrad>(sin.NextFunctions[0]);
        Assert.Same(x, acc.Variable);
        Assert.Same(acc, (x + 1).GradFn!.NextFunctions[0]);
        Assert.Null(x.GradFn);
        Assert.True(x.IsLeaf);
    }

    [Fact]
    public void Grad_fn_names_of_common_operations()
    {
        var x = Leaf(1, 2, 3, 4);
        Assert.Equal("AddBackward", (x + 1).GradFn!.Name);
        Assert.Equal("SubBackward", (x - x).GradFn!.Name);
        Assert.Equal("DivBackward", (x / 2).GradFn!.Name);
        Assert.Equal("NegBackward", (-x).GradFn!.Name);
        Assert.Equal("PowBackward", x.Pow(2).GradFn!.Name);
        Assert.Equal("ExpBackward", x.Exp().GradFn!.Name);
        Assert.Equal("SumBackward", x.Sum().GradFn!.Name);
        Assert.Equal("MeanBackward", x.Mean().GradFn!.Name);
        Assert.Equal("ViewBackward", x.Reshape(2, 2).GradFn!.Name);
        Assert.Equal("TransposeBackward", x.Reshape(2, 2).T.GradFn!.Name);
        Assert.Equal("UnsqueezeBackward", x.Unsqueeze(0).GradFn!.Name);
        Assert.Equal("SelectBackward", x[0].GradFn!.Name);
        Assert.Equal("SliceBackward", x[1..].GradFn!.Name);
        Assert.Equal("IndexBackward", x[x > 2].GradFn!.Name);
        Assert.Equal("MmBackward", x.Reshape(2, 2).MatMul(x.Reshape(2, 2)).GradFn!.Name);
        Assert.Equal("CatBackward", Tensor.Cat([x, x]).GradFn!.Name);
        Assert.Equal("StackBackward", Tensor.Stack([x, x]).GradFn!.Name);
        Assert.Equal("WhereBackward", Tensor.Where(x > 2, x, x * 0).GradFn!.Name);
        Assert.Equal("MaxBackward", x.Max().GradFn!.Name);
        Assert.Equal("ClampBackward", x.Clamp(0, 1).GradFn!.Name);
    }

    [Fact]
    public void Backward_of_a_scalar_needs_no_gradient()
    {
        var x = Leaf(1, 2, 3);
        (x * x).Sum().Backward();
        Assert.Equal([2.0, 4, 6], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Gradients_accumulate_across_backward_calls_until_cleared()
    {
        var x = Leaf(1, 2);
        (x * 3).Sum().Backward();
        (x * 3).Sum().Backward();
        Assert.Equal([6.0, 6], x.Grad!.ToArray<double>());
        x.Grad = null;
        Assert.Null(x.Grad);
        (x * 3).Sum().Backward();
        Assert.Equal([3.0, 3], x.Grad!.ToArray<double>());
        x.Grad.Zero();
        (x * 3).Sum().Backward();
        Assert.Equal([3.0, 3], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void A_leaf_used_several_times_gets_the_sum_of_its_paths()
    {
        var x = Leaf(2, 3);
        (x * x + x + x.Sin()).Sum().Backward();
        Assert.Equal(2 * 2 + 1 + Math.Cos(2), x.Grad![0].Item<double>(), 12);
        Assert.Equal(2 * 3 + 1 + Math.Cos(3), x.Grad![1].Item<double>(), 12);
    }

    [Fact]
    public void Non_leaf_tensors_do_not_keep_their_gradient()
    {
        var x = Leaf(1, 2);
        var y = x * 2;
        y.Sum().Backward();
        Assert.Null(y.Grad);
        Assert.NotNull(x.Grad);
    }

    [Fact]
    public void Backward_through_a_freed_graph_throws_unless_retained()
    {
        var x = Leaf(1, 2);
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal([4.0, 8], x.Grad!.ToArray<double>());
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("the graph was freed after the first Backward", e.Message);
        Assert.Contains("retainGraph: true", e.Message);
    }

    [Fact]
    public void A_graph_without_saved_tensors_can_be_run_again_as_in_PyTorch()
    {
        var x = Leaf(1, 2);
        var y = (x + 1).Sum();
        y.Backward();
        y.Backward();
        Assert.Equal([2.0, 2], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Implicit_gradient_needs_a_scalar_output()
    {
        var x = Leaf(1, 2, 3);
        var e = Assert.Throws<InvalidOperationException>(() => (x * 2).Backward());
        Assert.Contains("grad can be implicitly created only for scalar outputs", e.Message);
        Assert.Contains("pass a gradient of shape [3]", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Gradient_of_the_wrong_shape_is_rejected()
    {
        var x = Leaf(1, 2, 3);
        var e = Assert.Throws<ArgumentException>(() => (x * 2).Backward(Tensor.Ones(2)));
        Assert.StartsWith("Backward: the gradient has shape [2] but the tensor has shape [3]", e.Message);
        Assert.Throws<ArgumentException>(() => (x * 2).Backward(Tensor.Ones([3], DType.Int32)));
    }

    [Fact]
    public void Backward_on_a_tensor_that_does_not_require_grad_throws()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Tensor.Ones(1).Backward());
        Assert.Contains("does not require grad", e.Message);
    }

    [Fact]
    public void Backward_with_an_explicit_gradient_weights_the_rows()
    {
        var x = Leaf(1, 2, 3);
        (x * x).Backward(Tensor.FromArray(new[] { 1.0, 0.5, 0 }));
        Assert.Equal([2.0, 2, 0], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Backward_on_a_leaf_itself()
    {
        var x = Tensor.Scalar(3, requiresGrad: true);
        x.Backward();
        Assert.Equal(1f, x.Grad!.Item<float>());
    }

    [Fact]
    public void Detach_shares_data_but_leaves_the_graph()
    {
        var x = Leaf(1, 2);
        var y = x * 2;
        var d = y.Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        Assert.Null(d.GradFn);
        Assert.Equal([2.0, 4], d.ToArray<double>());
        d.Fill(7);
        Assert.Equal([7.0, 7], y.ToArray<double>());
    }

    [Fact]
    public void NoGrad_turns_recording_off_and_restores_it()
    {
        var x = Leaf(1, 2);
        Assert.True(Gradgen.Autograd.IsGradEnabled);
        using (Gradgen.Autograd.NoGrad())
        {
            Assert.False(Gradgen.Autograd.IsGradEnabled);
            var y = x * 2;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
            using (Gradgen.Autograd.EnableGrad())
                Assert.True((x * 2).RequiresGrad);
            Assert.False(Gradgen.Autograd.IsGradEnabled);
        }
        Assert.True(Gradgen.Autograd.IsGradEnabled);
        Assert.True((x * 2).RequiresGrad);
    }

    [Fact]
    public void Broadcast_gradients_are_summed_back_to_the_input_shapes()
    {
        var a = Tensor.Ones([3, 1], DType.Float64, requiresGrad: true);
        var b = Tensor.Ones([4], DType.Float64, requiresGrad: true);
        (a * b * 2).Sum().Backward();
        Assert.Equal("[3, 1]", a.Grad!.Shape.ToString());
        Assert.Equal([8.0, 8, 8], a.Grad.ToArray<double>());
        Assert.Equal("[4]", b.Grad!.Shape.ToString());
        Assert.Equal([6.0, 6, 6, 6], b.Grad.ToArray<double>());
    }

    [Fact]
    public void Gradients_flow_through_views_to_the_base()
    {
        var x = Tensor.Arange(0.0, 6, dtype: DType.Float64, requiresGrad: true);
        var v = x.Reshape(2, 3).T;
        (v[1] * 10 + v[.., 0].Sum()).Sum().Backward();
        Assert.Equal([2.0, 12, 2, 0, 10, 0], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void Mixed_dtypes_give_each_leaf_a_gradient_of_its_own_dtype()
    {
        var a = Tensor.Ones([2], DType.Float32, requiresGrad: true);
        var b = Tensor.Ones([2], DType.Float64, requiresGrad: true);
        var y = a * b;
        Assert.Equal(DType.Float64, y.DType);
        y.Sum().Backward();
        Assert.Equal(DType.Float32, a.Grad!.DType);
        Assert.Equal(DType.Float64, b.Grad!.DType);
        var c = Tensor.Ones([2], DType.Float32, requiresGrad: true);
        c.To(DType.Float64).Sum().Backward();
        Assert.Equal(DType.Float32, c.Grad!.DType);
    }

    [Fact]
    public void Grad_setter_checks_the_shape()
    {
        var x = Leaf(1, 2);
        var e = Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Zeros([3], DType.Float64));
        Assert.Contains("[3]", e.Message);
        x.Grad = Tensor.Zeros([2], DType.Float64);
        (x * 1).Sum().Backward();
        Assert.Equal([1.0, 1], x.Grad.ToArray<double>());
    }

    [Fact]
    public void In_place_on_a_leaf_that_requires_grad_needs_no_grad_mode()
    {
        var p = Leaf(1, 2);
        var e = Assert.Throws<InvalidOperationException>(() => p.AddInPlace(Tensor.Ones(2)));
        Assert.Contains("leaf tensor that requires grad", e.Message);
        (p * p).Sum().Backward();
        using (Gradgen.Autograd.NoGrad()) p.AddInPlace(p.Grad!, alpha: -0.1);
        Assert.Equal([0.8, 1.6], p.ToArray<double>().Select(v => Math.Round(v, 12)).ToArray());
        Assert.True(p.RequiresGrad);
        var y = p * 2;
        Assert.Throws<NotSupportedException>(() => y.MulInPlace(2));
    }

    [Fact]
    public void Modifying_a_saved_tensor_in_place_is_detected_at_backward()
    {
        var x = Leaf(1, 2);
        var w = Tensor.FromArray(new[] { 3.0, 4.0 });
        var y = (x * w).Sum();
        w.MulInPlace(2);
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("modified by an in-place operation", e.Message);
        Assert.Contains("MulBackward", e.Message);
        Assert.Contains("version 0", e.Message);
        Assert.Contains("version 1", e.Message);
    }

    [Fact]
    public void MatMul_checks_the_versions_of_its_saved_operands_and_frees_them()
    {
        var x = Tensor.Ones([2, 3], DType.Float64, requiresGrad: true);
        var w = Tensor.Ones([3, 4], DType.Float64);
        var y = x.MatMul(w).Sum();
        w.MulInPlace(2);
        Assert.Contains("MmBackward", Assert.Throws<InvalidOperationException>(() => y.Backward()).Message);
        var y2 = x.MatMul(Tensor.Ones([3, 4], DType.Float64)).Sum();
        y2.Backward();
        Assert.Contains("freed", Assert.Throws<InvalidOperationException>(() => y2.Backward()).Message);
        var m = x.Max(1).Sum();
        m.Backward();
        Assert.Throws<InvalidOperationException>(() => m.Backward());
    }

    [Fact]
    public void Modifying_a_saved_output_through_a_view_is_detected()
    {
        var x = Leaf(1, 2);
        var y = x.Exp();
        var s = y.Sum();
        using (Gradgen.Autograd.NoGrad()) y.Detach()[0].Fill(0);
        Assert.Throws<InvalidOperationException>(() => s.Backward());
    }

    [Fact]
    public void In_place_ops_compute_with_broadcasting_and_check_shapes()
    {
        var a = Tensor.Zeros(2, 3);
        a.AddInPlace(Tensor.FromArray(new[] { 1f, 2f, 3f }));
        a.MulInPlace(2);
        a.SubInPlace(Tensor.Ones(2, 1));
        Assert.Equal([1f, 3, 5, 1, 3, 5], a.ToArray<float>());
        a.DivInPlace(Tensor.Full([1], 2));
        a.AddInPlace(1);
        Assert.Equal([1.5f, 2.5f, 3.5f], a[0].ToArray<float>());
        a.T.CopyFrom(Tensor.Arange(0.0, 6).Reshape(3, 2));
        Assert.Equal([0f, 2, 4, 1, 3, 5], a.ToArray<float>());
        var e = Assert.Throws<ArgumentException>(() => a.AddInPlace(Tensor.Ones(4, 2, 3)));
        Assert.Contains("cannot be broadcast to the tensor's shape [2, 3]", e.Message);
        var i = Tensor.Zeros([2], DType.Int32);
        Assert.Throws<ArgumentException>(() => i.AddInPlace(Tensor.Ones(2)));
        i.AddInPlace(3);
        var expanded = Tensor.Zeros(1, 3).Expand(2, 3);
        Assert.Contains("same memory location", Assert.Throws<InvalidOperationException>(() => expanded.AddInPlace(1)).Message);
        Assert.Throws<InvalidOperationException>(() => expanded.CopyFrom(Tensor.Ones(2, 3)));
        Assert.Equal([3, 3], i.ToArray<int>());
    }
}
