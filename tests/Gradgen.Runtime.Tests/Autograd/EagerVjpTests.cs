namespace Gradgen.Tests.Autograd;

/// <summary>
/// The eager reductions and gathers, whose backward the generator writes from the rule table ([EagerVjp], rank 3
/// along dim 1): float64 gradchecks at ranks 1–4 along every dim (negative too) with keepDim both ways, and the
/// semantics PyTorch gives at ties and NaNs, which the finite differences cannot see.
/// </summary>
public class EagerVjpTests
{
    static readonly int[][] Shapes = [[5], [3, 4], [2, 3, 4], [2, 1, 3, 2]];

    /// <summary>Every (rank, dim, keepDim) case, dims both counted from the front and from the end.</summary>
    public static TheoryData<int, int, bool> Cases()
    {
        var data = new TheoryData<int, int, bool>();
        for (int r = 0; r < Shapes.Length; r++)
        {
            int rank = Shapes[r].Length;
            for (int d = -rank; d < rank; d++)
            {
                data.Add(r, d, false);
                data.Add(r, d, true);
            }
        }
        return data;
    }

    /// <summary>Distinct values (no ties, so that max and min are differentiable where finite differences look).</summary>
    static Tensor Distinct(int[] shape, int seed)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var rng = new Random(seed);
        var values = Enumerable.Range(0, n).Select(i => i * 0.37 - n * 0.15).OrderBy(_ => rng.Next()).ToArray();
        return Tensor.FromArray(values).Reshape(shape);
    }

    /// <summary>A float64 gradcheck of <paramref name="f"/> at <paramref name="x"/> (shared by <see cref="ViewVjpTests"/>).</summary>
    internal static void Check(Func<Tensor, Tensor> f, Tensor x)
    {
        // A weighted sum of the result, so that every element of the gradient differs (a plain Sum would hide a mix-up).
        var r = GradCheck.Run(t =>
        {
            var y = f(t[0]);
            var w = Tensor.Arange(1.0, y.NumElements + 1, dtype: DType.Float64).Reshape(y.Shape.ToArray());
            return (y * w).Sum();
        }, [x]);
        Assert.True(r.Passed, r.ToString());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sum_along_a_dim_passes_gradcheck(int shape, int dim, bool keepDim) => Check(x => x.Sum(dim, keepDim), Distinct(Shapes[shape], 1));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Mean_along_a_dim_passes_gradcheck(int shape, int dim, bool keepDim) => Check(x => x.Mean(dim, keepDim), Distinct(Shapes[shape], 2));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Amax_along_a_dim_passes_gradcheck(int shape, int dim, bool keepDim) => Check(x => x.Max(dim, keepDim), Distinct(Shapes[shape], 3));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Min_values_along_a_dim_pass_gradcheck(int shape, int dim, bool keepDim) => Check(x => x.Min(dim, keepDim).Values, Distinct(Shapes[shape], 4));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gather_and_index_select_pass_gradcheck(int shape, int dim, bool keepDim)
    {
        var x = Distinct(Shapes[shape], 5);
        int d = dim < 0 ? dim + x.Ndim : dim;
        int size = x.Shape[d];
        // Repeated positions (their gradients add up); keepDim picks an index smaller than x in the other dims.
        var indexShape = x.Shape.ToArray();
        indexShape[d] = 3;
        if (keepDim)
        {
            for (int i = 0; i < indexShape.Length; i++) if (i != d) indexShape[i] = Math.Max(1, indexShape[i] - 1);
        }
        int n = indexShape.Aggregate(1, (a, b) => a * b);
        var index = Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)(i * 7 % size)).ToArray()).Reshape(indexShape);
        Check(t => t.Gather(dim, index), x);
        Check(t => t.IndexSelect(dim, Tensor.FromArray(new long[] { size - 1, 0, size - 1 })), x);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Whole_tensor_reductions_pass_gradcheck(int shape)
    {
        var x = Distinct(Shapes[shape], 6);
        Check(t => t.Sum(), x);
        Check(t => t.Mean(), x);
        Check(t => t.Max(), x);
        Check(t => t.Min(), x);
    }

    static double[] Grad(Tensor x, Func<Tensor, Tensor> f, Tensor? g = null)
    {
        var leaf = Leaf(x);
        var y = f(leaf);
        y.Backward(g ?? Tensor.OnesLike(y));
        return leaf.Grad!.ToArray<double>();
    }

    static Tensor Leaf(Tensor x)
    {
        var leaf = x.Detach().Clone();
        leaf.RequiresGrad = true;
        return leaf;
    }

    [Fact]
    public void Ties_share_the_gradient_of_amax_and_of_the_whole_max_and_min_but_min_with_indices_gives_it_to_the_index()
    {
        var x = Tensor.FromArray(new[,] { { 1.0, 3, 3 }, { 2, 2, 2 } });
        Assert.Equal([0, 0.5, 0.5, 1 / 3.0, 1 / 3.0, 1 / 3.0], Grad(x, t => t.Max(1)));
        Assert.Equal([0.5, 0, 0.5, 0, 0, 0], Grad(Tensor.FromArray(new[,] { { 1.0, 3, 1 }, { 2, 2, 2 } }), t => t.Min()));
        Assert.Equal([0, 0.5, 0.5, 0, 0, 0], Grad(x, t => t.Max()));
        var (_, indices) = x.Min(1);
        Assert.Equal([0L, 0], indices.ToArray<long>());
        Assert.Equal([1, 0, 0, 1, 0, 0], Grad(x, t => t.Min(1).Values));
    }

    [Fact]
    public void A_nan_maximum_takes_the_gradient_of_the_whole_max_but_makes_its_amax_row_nan_as_pytorch()
    {
        var x = Tensor.FromArray(new[,] { { 1.0, double.NaN, double.NaN }, { 4, 5, 6 } });
        // torch.max(): evenly_distribute_backward, the NaNs share the gradient.
        Assert.Equal([0, 0.5, 0.5, 0, 0, 0], Grad(x, t => t.Max()));
        Assert.Equal([0, 0.5, 0.5, 0, 0, 0], Grad(x, t => t.Min()));
        // torch.amax(dim): (g / count)·mask with no element equal to NaN: 0·∞, NaN across the row, as PyTorch 1.13.
        var amax = Grad(x, t => t.Max(1));
        Assert.All(amax.Take(3), v => Assert.True(double.IsNaN(v)));
        Assert.Equal([0, 0, 1], amax.Skip(3));
    }

    [Fact]
    public void A_nan_gradient_reaches_only_the_maximum_of_the_whole_max_but_every_element_of_amax()
    {
        var x = Tensor.FromArray(new[] { 1.0, 7, 3 });
        var whole = Grad(x, t => t.Max(), Tensor.Scalar(double.NaN, DType.Float64));
        Assert.Equal(0, whole[0]);
        Assert.True(double.IsNaN(whole[1]));
        Assert.Equal(0, whole[2]);
        Assert.All(Grad(x, t => t.Max(0), Tensor.Scalar(double.NaN, DType.Float64)), v => Assert.True(double.IsNaN(v)));
    }

    [Fact]
    public void Sum_and_mean_backward_are_expanded_views_not_copies()
    {
        var g = Tensor.FromArray(new[,] { { 1f, 2 }, { 3, 4 } });
        int[] inShape = [2, 5, 2];
        var sum = EagerVjps.Along(EagerVjps.SumBackward, inShape, 1, null, null, g);
        Assert.Equal(inShape, sum.Shape.ToArray());
        Assert.Same(g.storage, sum.storage);
        Assert.Equal(0, sum.Strides[1]);
        Assert.Equal([1f, 2, 1, 2, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4], sum.ToArray<float>());
        var mean = EagerVjps.Along(EagerVjps.MeanBackward, inShape, 1, null, null, g);
        Assert.Equal(0, mean.Strides[1]);
        Assert.Equal([0.2f, 0.4f, 0.2f, 0.4f, 0.2f, 0.4f, 0.2f, 0.4f, 0.2f, 0.4f, 0.6f, 0.8f, 0.6f, 0.8f, 0.6f, 0.8f, 0.6f, 0.8f, 0.6f, 0.8f], mean.ToArray<float>());
    }

    [Fact]
    public void The_backward_nodes_keep_their_names()
    {
        var x = Tensor.Randn([2, 3], DType.Float64, requiresGrad: true);
        Assert.Equal("SumBackward", x.Sum(1).GradFn!.Name);
        Assert.Equal("MeanBackward", x.Mean().GradFn!.Name);
        Assert.Equal("AmaxBackward", x.Max(0).GradFn!.Name);
        Assert.Equal("MaxBackward", x.Max().GradFn!.Name);
        Assert.Equal("MinBackward", x.Min(1).Values.GradFn!.Name);
        Assert.Equal("GatherBackward", x.Gather(1, Tensor.Zeros([2, 1], DType.Int64)).GradFn!.Name);
    }

    [Fact]
    public void Float32_gradients_agree_with_float64()
    {
        var x64 = Distinct([3, 4, 5], 9);
        var x32 = x64.To(DType.Float32);
        foreach (Func<Tensor, Tensor> f in new Func<Tensor, Tensor>[] { t => t.Sum(1), t => t.Mean(-1, true), t => t.Max(0), t => t.Min(2).Values, t => t.Max() })
        {
            var expected = Grad(x64, f);
            var leaf = Leaf(x32);
            var y = f(leaf);
            y.Backward(Tensor.OnesLike(y));
            var actual = leaf.Grad!.ToArray<float>();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6);
        }
    }

    [Fact]
    public void Where_passes_gradcheck_with_broadcasting_and_sends_each_gradient_to_the_branch_taken()
    {
        var condition = Tensor.FromArray(new[] { true, false, true, false, false, true }).Reshape(2, 3);
        var r = GradCheck.Run(t => (Tensor.Where(condition, t[0], t[1]) * Tensor.Arange(1.0, 7, dtype: DType.Float64).Reshape(2, 3)).Sum(),
            [Distinct([2, 3], 11), Distinct([3], 12)]);
        Assert.True(r.Passed, r.ToString());

        var x = Tensor.FromArray(new[] { 1.0, 2, 3 });
        x.RequiresGrad = true;
        var y = Tensor.FromArray(new[] { 5.0 });
        y.RequiresGrad = true;
        var w = Tensor.Where(Tensor.FromArray(new[] { true, false, false }), x, y);
        Assert.Equal("WhereBackward", w.GradFn!.Name);
        w.Backward(Tensor.FromArray(new[] { double.NaN, 2, 3 }));
        Assert.True(double.IsNaN(x.Grad!.ToArray<double>()[0]));
        Assert.Equal([0, 0], x.Grad!.ToArray<double>().Skip(1));
        Assert.Equal([5.0], y.Grad!.ToArray<double>());
    }

    [Fact]
    public void Where_of_mixed_dtypes_gives_each_input_its_own_dtype()
    {
        var x = Tensor.FromArray(new[] { 1f, 2 });
        x.RequiresGrad = true;
        var y = Tensor.FromArray(new[] { 3.0, 4 });
        y.RequiresGrad = true;
        var w = Tensor.Where(Tensor.FromArray(new[] { true, false }), x, y);
        Assert.Equal(DType.Float64, w.DType);
        w.Sum().Backward();
        Assert.Equal(DType.Float32, x.Grad!.DType);
        Assert.Equal([1f, 0], x.Grad!.ToArray<float>());
        Assert.Equal([0.0, 1], y.Grad!.ToArray<double>());
    }

    /// <summary>A mask of <paramref name="shape"/> holding about half trues, at positions that depend on <paramref name="seed"/>.</summary>
    static Tensor HalfMask(int[] shape, int seed)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(_ => rng.Next(2) == 1).ToArray()).Reshape(shape);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Indexing_by_a_mask_and_masked_select_pass_gradcheck(int shape)
    {
        // Their backward is the rule table's gather rule over the flattened input: the gradient scattered back to the selected positions.
        var mask = HalfMask(Shapes[shape], 20 + shape);
        Check(x => x[mask], Distinct(Shapes[shape], 13));
        Check(x => x.MaskedSelect(mask), Distinct(Shapes[shape], 14));

        // A mask of the last dim only, broadcast over the others: the expanded view sums the gradient back.
        var last = HalfMask([Shapes[shape][^1]], 30 + shape);
        Check(x => x.MaskedSelect(last), Distinct(Shapes[shape], 15));
    }

    [Fact]
    public void An_all_false_mask_selects_nothing_and_an_all_true_mask_everything_in_row_major_order()
    {
        var x = Leaf(Distinct([2, 3, 2], 16));
        var none = x[Tensor.Zeros([2, 3, 2], DType.Bool)];
        Assert.Equal([0], none.Shape.ToArray());
        none.Sum().Backward();
        Assert.Equal(new double[12], x.Grad!.ToArray<double>());
        Check(t => t[Tensor.Zeros([2, 3, 2], DType.Bool)], Distinct([2, 3, 2], 16));

        var y = Leaf(Distinct([2, 3, 2], 17));
        var all = y.MaskedSelect(Tensor.Ones([2, 3, 2], DType.Bool));
        Assert.Equal(y.Detach().ToArray<double>(), all.ToArray<double>());
        all.Backward(Tensor.Arange(1.0, 13, dtype: DType.Float64));
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (double)i), y.Grad!.ToArray<double>());
        Assert.Equal("MaskedSelectBackward", all.GradFn!.Name);
        Assert.Equal("IndexBackward", y[Tensor.Ones([2, 3, 2], DType.Bool)].GradFn!.Name);
    }
}
