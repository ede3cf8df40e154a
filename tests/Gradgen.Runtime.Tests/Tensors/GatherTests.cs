namespace Gradgen.Tests.Tensors;

public class GatherTests
{
    [Fact]
    public void Gather_picks_along_a_dimension_as_PyTorch()
    {
        var t = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } });
        var r = t.Gather(1, Tensor.FromArray(new long[,] { { 0, 0 }, { 1, 0 } }));
        Assert.Equal(new float[,] { { 1, 1 }, { 4, 3 } }, r.ToArray2D<float>());
        Assert.Equal([3f, 2f], t.Gather(0, Tensor.FromArray(new long[,] { { 1, 0 } })).Reshape(-1).ToArray<float>());
        Assert.Equal([2f, 3f], t.Gather(1, Tensor.FromArray(new[] { -1, 0 }).Reshape(2, 1)).Reshape(-1).ToArray<float>());
        Assert.Equal([2L], Tensor.FromArray(new long[,] { { 1, 2 }, { 3, 4 } }).Gather(1, Tensor.FromArray(new long[,] { { 1 } })).Reshape(-1).ToArray<long>());
    }

    [Fact]
    public void Index_select_repeats_and_reorders_slices()
    {
        var t = Tensor.Arange(0.0, 6).Reshape(3, 2);
        Assert.Equal([4f, 5, 0, 1, 4, 5], t.IndexSelect(0, Tensor.FromArray(new[] { 2L, 0, 2 })).ToArray<float>());
        Assert.Equal([1f, 3, 5], t.IndexSelect(1, Tensor.FromArray(new[] { 1L })).Reshape(-1).ToArray<float>());
        Assert.Equal("[0, 2]", t.IndexSelect(0, Tensor.Zeros([0], DType.Int64)).Shape.ToString());
    }

    [Fact]
    public void Index_errors_are_reported_before_reading()
    {
        var t = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.Gather(1, Tensor.FromArray(new long[,] { { 3 } })));
        Assert.Contains("index 3 is out of range for dimension 1 of size 3", e.Message);
        Assert.Throws<ArgumentException>(() => t.Gather(1, Tensor.Zeros(2, 3)));
        Assert.Throws<ArgumentException>(() => t.Gather(1, Tensor.Zeros([3, 1], DType.Int64)));
        Assert.Throws<ArgumentException>(() => t.Gather(1, Tensor.Zeros([2], DType.Int64)));
        Assert.Throws<ArgumentException>(() => t.IndexSelect(0, Tensor.Zeros([1, 1], DType.Int64)));
    }

    [Fact]
    public void Gradients_scatter_back_and_add_up_for_repeated_indices()
    {
        var x = Tensor.Arange(0.0, 6, dtype: DType.Float64, requiresGrad: true).Reshape(3, 2);
        x.IndexSelect(0, Tensor.FromArray(new[] { 2L, 0, 2 })).Sum().Backward();
        var leaf = x.GradFn!.NextFunctions[0] as AccumulateGrad;
        Assert.Equal([1.0, 1, 0, 0, 2, 2], leaf!.Variable.Grad!.ToArray<double>());
        Assert.Equal("GatherBackward", x.Gather(1, Tensor.Zeros([3, 1], DType.Int64)).GradFn!.Name);
        Assert.Equal("IndexSelectBackward", x.IndexSelect(1, Tensor.Zeros([1], DType.Int64)).GradFn!.Name);
    }

    [Fact]
    public void GradCheck_of_gather_index_select_and_a_cross_entropy()
    {
        Gradgen.RandomGenerator.ManualSeed(5);
        var target = Tensor.FromArray(new[] { 2L, 0, 1, 2 }).Reshape(4, 1);
        var r = GradCheck.Run(x =>
        {
            var logits = x[0];
            var max = logits.Detach().Max(1, keepDim: true);
            var logSoftmax = logits - max - (logits - max).Exp().Sum(1, keepDim: true).Log();
            return -logSoftmax.Gather(1, target).Mean() + x[0].IndexSelect(1, Tensor.FromArray(new[] { 1L, 1 })).Sin().Sum();
        }, [Tensor.Randn([4, 3], DType.Float64)]);
        Assert.True(r.Passed, r.ToString());
    }
}

public class MaskViewTests
{
    [Fact]
    public void A_mask_that_is_a_contiguous_view_with_an_offset_selects_its_own_elements()
    {
        var big = Tensor.FromArray(new[] { true, true, false, true, false });
        var mask = big.Narrow(0, 2, 3); // [false, true, false], storage offset 2
        Assert.True(mask.IsContiguous);
        Assert.Equal(2, mask.StorageOffset);
        var x = Tensor.FromArray(new float[] { 10, 20, 30 });
        Assert.Equal([20f], x[mask].ToArray<float>());
    }
}
