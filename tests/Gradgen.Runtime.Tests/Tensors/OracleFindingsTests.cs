namespace Gradgen.Tests.Tensors;

/// <summary>
/// Disagreements with PyTorch 1.13 found by the differential oracle (tests/Gradgen.Oracle.Tests, docs/oracle.md),
/// each reduced to its minimal program and fixed; the expected values are PyTorch's on the same inputs. Issue 14's
/// own list of defects is PyTorchAgreementTests.
/// </summary>
public class OracleFindingsTests
{
    [Fact]
    public void A_scalar_minus_a_tensor_is_RsubBackward()
    {
        // (2 - x).grad_fn is RsubBackward1; x - 2 stays SubBackward0.
        var x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        Assert.Equal("RsubBackward", (2.0 - x).GradFn!.Name);
        Assert.Equal("RsubBackward", (2L - x).GradFn!.Name);
        Assert.Equal("SubBackward", (x - 2.0).GradFn!.Name);
        var y = 3.0 - x;
        y.Sum().Backward();
        Assert.Equal(new float[] { -1, -1 }, x.Grad!.ToArray<float>());
        Assert.Equal(new float[] { 2, 1 }, y.ToArray<float>());
    }

    [Fact]
    public void Abs_gradient_is_the_incoming_gradient_times_sgn_so_a_NaN_incoming_gradient_stays_NaN()
    {
        // torch: x = [0, nan, 2, -3]; x.abs().backward(g) gives g·sgn(x), sgn(0) = sgn(nan) = 0 (seed 551991140).
        var x = Tensor.FromArray(new double[] { 0, double.NaN, 2, -3 }, requiresGrad: true);
        x.Abs().Backward(Tensor.FromArray(new double[] { double.NaN, double.NaN, 5, 5 }));
        var nanIncoming = x.Grad!.ToArray<double>();
        Assert.True(double.IsNaN(nanIncoming[0]) && double.IsNaN(nanIncoming[1]), $"[{string.Join(", ", nanIncoming)}]");
        Assert.Equal(new[] { 5.0, -5.0 }, nanIncoming[2..]);

        var y = Tensor.FromArray(new double[] { 0, double.NaN, 2, -3 }, requiresGrad: true);
        y.Abs().Sum().Backward();
        Assert.Equal(new[] { 0.0, 0.0, 1.0, -1.0 }, y.Grad!.ToArray<double>());
    }

    [Fact]
    public void Flattening_a_single_dimension_returns_the_tensor_itself()
    {
        // torch.flatten of a 1-D tensor (or over one dimension) returns self: x.flatten() is x, still a leaf.
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }, requiresGrad: true);
        Assert.Same(x, x.Flatten());
        Assert.True(x.Flatten().IsLeaf);
        var m = Tensor.Zeros(2, 3);
        Assert.Same(m, m.Flatten(1, 1));
        Assert.Equal([6], m.Flatten().Shape.ToArray());
    }

    [Fact]
    public void T_of_a_vector_is_a_view_not_the_tensor_itself()
    {
        // torch.tensor([1., 2.], requires_grad=True).T: a PermuteBackward0 view, not a leaf.
        var x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        var t = x.T;
        Assert.NotSame(x, t);
        Assert.False(t.IsLeaf);
        Assert.True(t.RequiresGrad);
        Assert.Equal(new float[] { 1, 2 }, t.ToArray<float>());
        t.Sum().Backward();
        Assert.Equal(new float[] { 1, 1 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void LogSumExp_over_an_empty_dimension_requires_grad_like_its_input()
    {
        // torch.logsumexp(torch.zeros(3, 0, requires_grad=True), 1): [-inf]*3, requires_grad=True; backward gives a [3, 0] gradient.
        var x = Tensor.Zeros([3, 0], DType.Float32, requiresGrad: true);
        var r = x.LogSumExp(1);
        Assert.True(r.RequiresGrad);
        Assert.Equal(new[] { float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity }, r.ToArray<float>());
        r.Sum().Backward();
        Assert.Equal([3, 0], x.Grad!.Shape.ToArray());
    }

    [Fact]
    public void IndexSelect_checks_the_positions_even_where_the_result_is_empty()
    {
        // torch.zeros(3, 1, 0).index_select(0, torch.tensor([4, 1, 0])): IndexError, index out of range.
        var x = Tensor.Zeros(3, 1, 0);
        var index = Tensor.FromArray(new long[] { 4, 1, 0 });
        Assert.ThrowsAny<ArgumentException>(() => x.IndexSelect(0, index));
        Assert.Equal([2, 1, 0], x.IndexSelect(0, Tensor.FromArray(new long[] { 2, 1 })).Shape.ToArray());
    }

    [Fact]
    public void IndexSelect_of_a_0D_tensor_takes_its_one_element()
    {
        // torch.tensor(5., requires_grad=True).index_select(0, torch.tensor([0])): tensor(5.), 0-D, IndexSelectBackward0.
        var x = Tensor.Scalar(5f);
        x.RequiresGrad = true;
        foreach (long position in new long[] { 0, -1 })
        {
            var r = x.IndexSelect(0, Tensor.FromArray(new[] { position }));
            Assert.Equal(0, r.Ndim);
            Assert.Equal(5f, r.Item<float>());
            Assert.Equal("IndexSelectBackward", r.GradFn!.Name);
        }

        // PyTorch 1.13's backward fails here ("Dimension specified as 0 but tensor has no dimensions"); the selected
        // element's gradient is the incoming one.
        x.IndexSelect(0, Tensor.FromArray(new long[] { 0 })).Backward();
        Assert.Equal(1f, x.Grad!.Item<float>());

        // Several positions (or none) cannot fit in a 0-D result: PyTorch returns one value anyway; refused, naming the index.
        var e = Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.FromArray(new long[] { 0, 0 })));
        Assert.Contains("[2]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(0, Tensor.FromArray(new long[] { 1 })));
    }

    [Fact]
    public void Pow_one_half_is_the_square_root_at_infinities_and_signed_zero()
    {
        // torch.tensor([-inf, -0., 4.]) ** 0.5 == [nan, -0., 2.]; ** -0.5 == [nan, -inf, 0.5].
        var x = Tensor.FromArray(new float[] { float.NegativeInfinity, -0f, 4 });
        var r = x.Pow(0.5).ToArray<float>();
        Assert.True(float.IsNaN(r[0]));
        Assert.True(r[1] == 0 && float.IsNegative(r[1]));
        Assert.Equal(2f, r[2]);
        var q = x.Pow(-0.5).ToArray<float>();
        Assert.True(float.IsNaN(q[0]));
        Assert.Equal(float.NegativeInfinity, q[1]);
        Assert.Equal(0.5f, q[2]);
    }

    [Fact]
    public void An_in_place_operation_refuses_an_operand_that_partly_overlaps_the_tensor()
    {
        // x = torch.arange(4.).reshape(2, 2); x.add_(x.T): RuntimeError (some elements of the input tensor and the
        // written-to tensor refer to a single memory location); x.add_(x) doubles x.
        var x = Tensor.FromArray(new float[] { 0, 1, 2, 3 }).Reshape(2, 2).Contiguous();
        Assert.Throws<InvalidOperationException>(() => x.AddInPlace(x.T));
        Assert.Throws<InvalidOperationException>(() => x.AddInPlace(x[0]));
        x.AddInPlace(x);
        Assert.Equal(new float[] { 0, 2, 4, 6 }, x.ToArray<float>());
        var y = Tensor.Zeros(4);
        y.Narrow(0, 0, 2).AddInPlace(y.Narrow(0, 2, 2));    // disjoint parts of one storage
        Assert.Equal(new float[4], y.ToArray<float>());
    }

    [Fact]
    public void Elu_has_gradient_one_at_NaN()
    {
        // x = torch.tensor([nan, 0., -1.], dtype=torch.float64, requires_grad=True); F.elu(x).sum().backward()
        // x.grad == [1, 1, e^-1]; F.elu(x) == [nan, 0, e^-1 - 1].
        var x = Tensor.FromArray(new double[] { double.NaN, 0, -1 }, requiresGrad: true);
        var y = global::Gradgen.Nn.Functional.Elu(x);
        var v = y.ToArray<double>();
        Assert.True(double.IsNaN(v[0]));
        Assert.Equal(0, v[1]);
        Assert.Equal(Math.Exp(-1) - 1, v[2], 12);
        y.Sum().Backward();
        var g = x.Grad!.ToArray<double>();
        Assert.Equal(1, g[0]);
        Assert.Equal(1, g[1]);
        Assert.Equal(Math.Exp(-1), g[2], 12);
    }
}
