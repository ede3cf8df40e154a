namespace Gradgen.Tests.Autograd;

/// <summary>
/// The eager views, whose backward the generator writes from the rule table ([EagerVjp] with the input's shape and the
/// call's dims and positions as run-time arguments): float64 gradchecks at ranks 1–4 along every dim (negative too),
/// the names of their autograd nodes, and that a backward which was a view of the gradient is one still.
/// </summary>
public class ViewVjpTests
{
    static readonly int[][] Shapes = [[5], [3, 4], [2, 3, 4], [2, 1, 3, 2]];

    /// <summary>Every (rank, dim) case, dims counted from the front and from the end.</summary>
    public static TheoryData<int, int> Dims()
    {
        var data = new TheoryData<int, int>();
        for (int r = 0; r < Shapes.Length; r++)
        {
            int rank = Shapes[r].Length;
            for (int d = -rank; d < rank; d++) data.Add(r, d);
        }
        return data;
    }

    public static TheoryData<int> Ranks() => [0, 1, 2, 3];

    static Tensor Values(int[] shape, int seed)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var rng = new Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).Reshape(shape);
    }

    static void Check(Func<Tensor, Tensor> f, Tensor x) => EagerVjpTests.Check(f, x);

    [Theory]
    [MemberData(nameof(Ranks))]
    public void Expand_passes_gradcheck_with_new_leading_dims_and_size_one_dims_repeated(int shape)
    {
        // Every size-1 dim repeated (3 wherever the input has 1), two new leading dims, and a -1 that keeps a size.
        var ones = Shapes[shape].Select((s, i) => i % 2 == 0 ? 1 : s).ToArray();
        var target = new[] { 2, 3 }.Concat(ones.Select(s => s == 1 ? 3 : s)).ToArray();
        Check(x => x.Expand(target), Values(ones, 1));
        var keep = new[] { 4 }.Concat(ones.Select(_ => -1)).ToArray();
        Check(x => x.Expand(keep), Values(ones, 2));
    }

    [Theory]
    [MemberData(nameof(Ranks))]
    public void ExpandAs_passes_gradcheck_as_the_expand_to_the_other_tensors_shape(int shape)
    {
        var ones = Shapes[shape].Select((s, i) => i % 2 == 0 ? 1 : s).ToArray();
        var like = Tensor.Zeros(new[] { 2 }.Concat(ones.Select(s => s == 1 ? 3 : s)).ToArray(), DType.Float64);
        Check(x => x.ExpandAs(like), Values(ones, 5));
    }

    [Theory]
    [MemberData(nameof(Ranks))]
    public void Reshape_view_and_flatten_pass_gradcheck_to_every_rank(int shape)
    {
        var x = Values(Shapes[shape], 3);
        int n = x.NumElements;
        Check(t => t.Reshape(-1), x);
        Check(t => t.View(n, 1), x);
        Check(t => t.Flatten(), x);
        foreach (var other in Shapes.Where(s => s.Aggregate(1, (a, b) => a * b) == n))
        {
            Check(t => t.Reshape(other), x);
        }

        // A reshape of a transposed input copies (its strides allow no view); its gradient still goes to the right place.
        if (x.Ndim >= 2) Check(t => t.Transpose(0, -1).Reshape(-1), x);
    }

    [Theory]
    [MemberData(nameof(Dims))]
    public void Slice_narrow_and_select_pass_gradcheck_along_every_dim(int shape, int dim)
    {
        var x = Values(Shapes[shape], 4);
        int size = x.Shape[dim < 0 ? dim + x.Ndim : dim];
        Check(t => t.Slice(dim, 0, size, 2), x);
        Check(t => t.Slice(dim, -2, size + 5, 1), x);
        Check(t => t.Narrow(dim, size - 1, 1), x);
        Check(t => t.Narrow(dim, -size, size), x);
        Check(t => t.Select(dim, -1), x);
        Check(t => t.Select(dim, 0), x);
    }

    [Theory]
    [MemberData(nameof(Dims))]
    public void Transpose_passes_gradcheck_for_every_pair_of_dims(int shape, int dim)
    {
        var x = Values(Shapes[shape], 5);
        for (int other = -x.Ndim; other < x.Ndim; other++)
        {
            int o = other;
            Check(t => t.Transpose(dim, o), x);
        }
    }

    [Theory]
    [MemberData(nameof(Ranks))]
    public void Permute_passes_gradcheck_for_every_order_negative_dims_too(int shape)
    {
        var x = Values(Shapes[shape], 7);
        foreach (var order in Orders(x.Ndim))
        {
            Check(t => t.Permute(order), x);
            Check(t => t.Permute(order.Select(d => d - x.Ndim).ToArray()), x);
        }
    }

    static IEnumerable<int[]> Orders(int n) =>
        n == 0 ? [[]] : Orders(n - 1).SelectMany(rest => Enumerable.Range(0, n).Select(at => rest.Take(at).Append(n - 1).Concat(rest.Skip(at)).ToArray()));

    [Theory]
    [MemberData(nameof(Dims))]
    public void Squeeze_and_unsqueeze_pass_gradcheck_at_every_dim(int shape, int dim)
    {
        var x = Values(Shapes[shape], 6);
        Check(t => t.Unsqueeze(dim), x);
        Check(t => t.Unsqueeze(dim < 0 ? dim - 1 : dim + 1), x);
        Check(t => t.Squeeze(dim), x);
        Check(t => t.Squeeze(), x);
        Check(t => t.Unsqueeze(dim).Squeeze(dim), x);
    }

    [Fact]
    public void A_strided_slice_sends_each_gradient_to_the_element_it_read_and_zero_elsewhere()
    {
        var x = Tensor.Zeros([2, 7], DType.Float64);
        x.RequiresGrad = true;
        x.Slice(1, 1, 6, 2).Backward(Tensor.FromArray(new[,] { { 1.0, 2, 3 }, { 4, 5, 6 } }));
        Assert.Equal([0, 1, 0, 2, 0, 3, 0, 0, 4, 0, 5, 0, 6, 0], x.Grad!.ToArray<double>());

        var y = Tensor.Zeros([3, 2], DType.Float64);
        y.RequiresGrad = true;
        y.Select(0, -1).Backward(Tensor.FromArray(new[] { 7.0, 8 }));
        Assert.Equal([0, 0, 0, 0, 7, 8], y.Grad!.ToArray<double>());
    }

    [Fact]
    public void The_backward_nodes_keep_their_names()
    {
        var x = Tensor.Randn([2, 1, 3], DType.Float64, requiresGrad: true);
        Assert.Equal("ViewBackward", x.View(6).GradFn!.Name);
        Assert.Equal("ViewBackward", x.Reshape(3, 2).GradFn!.Name);
        Assert.Equal("TransposeBackward", x.Transpose(0, 2).GradFn!.Name);
        Assert.Equal("PermuteBackward", x.Permute(2, 0, 1).GradFn!.Name);
        Assert.Equal("UnsqueezeBackward", x.Unsqueeze(0).GradFn!.Name);
        Assert.Equal("SqueezeBackward", x.Squeeze(1).GradFn!.Name);
        Assert.Equal("SqueezeBackward", x.Squeeze().GradFn!.Name);
        Assert.Equal("SliceBackward", x.Slice(2, 0, 3, 2).GradFn!.Name);
        Assert.Equal("SliceBackward", x.Narrow(0, 1, 1).GradFn!.Name);
        Assert.Equal("SelectBackward", x.Select(2, 1).GradFn!.Name);
        Assert.Equal("ExpandBackward", x.Expand(4, 2, 5, 3).GradFn!.Name);
    }

    [Fact]
    public void The_backward_of_a_view_is_a_view_of_the_gradient_even_a_strided_one()
    {
        // The incoming gradient transposed (not contiguous): the backward of transpose, squeeze, unsqueeze and view
        // gives views of its storage, as the hand-written ones did, and no reshape to a fixed rank copies it.
        var g = Tensor.Arange(0.0, 24, dtype: DType.Float64).Reshape(2, 3, 4).Transpose(0, 2);
        Assert.False(g.IsContiguous);
        Assert.Same(g.storage, EagerVjps.TransposeBackward(0, 2, g).storage);
        Assert.True(EagerVjps.TransposeBackward(0, 2, g).IsContiguous);
        Assert.Same(g.storage, EagerVjps.PermuteBackward([2, 1, 0], g).storage);
        Assert.True(EagerVjps.PermuteBackward([2, 1, 0], g).IsContiguous);
        Assert.Same(g.storage, EagerVjps.ViewBackward([4, 1, 3, 2], g).storage);
        Assert.Same(g.storage, EagerVjps.ViewBackward([4, 3, 2, 1, 1], g).storage);
        var kept = g.Narrow(1, 0, 1);
        Assert.Same(g.storage, EagerVjps.ViewBackward([4, 2], kept).storage);

        // Expand's: summed with the gradient read through its strides (an expanded gradient is not materialised).
        var expanded = Tensor.FromArray(new[] { 1.0, 2 }).Expand(3, 2);
        Assert.Equal([3.0, 6], EagerVjps.ExpandBackward([2], expanded).ToArray<double>());
        Assert.Equal([1.0, 2], EagerVjps.ExpandBackward([1, 2], expanded.Narrow(0, 0, 1)).ToArray<double>());
    }

    [Fact]
    public void Float32_gradients_agree_with_float64()
    {
        var x64 = Values([3, 4, 5], 9);
        var x32 = x64.To(DType.Float32);
        foreach (Func<Tensor, Tensor> f in new Func<Tensor, Tensor>[] { t => t.Slice(1, 1, 4, 2), t => t.Transpose(-1, 0), t => t.Select(2, 3), t => t.Unsqueeze(1).Expand(3, 2, 4, 5), t => t.View(12, 5) })
        {
            var l64 = x64.Detach().Clone();
            l64.RequiresGrad = true;
            var y64 = f(l64);
            y64.Backward(Tensor.Arange(1.0, y64.NumElements + 1, dtype: DType.Float64).Reshape(y64.Shape.ToArray()));
            var l32 = x32.Detach().Clone();
            l32.RequiresGrad = true;
            var y32 = f(l32);
            y32.Backward(Tensor.Arange(1.0, y32.NumElements + 1, dtype: DType.Float32).Reshape(y32.Shape.ToArray()));
            Assert.Equal(l64.Grad!.ToArray<double>(), l32.Grad!.ToArray<float>().Select(v => (double)v));
        }
    }
}
