namespace Gradgen.Tests.Tensors;

public class ReductionTests
{
    static Tensor M => Tensor.FromArray(new float[,] { { 1, 5, 2 }, { 7, 0, 3 } });

    [Fact]
    public void Sum_and_mean_over_all_and_one_dimension()
    {
        Assert.Equal(18f, M.Sum().Item<float>());
        Assert.Equal(0, M.Sum().Ndim);
        Assert.Equal([8f, 5, 5], M.Sum(0).ToArray<float>());
        Assert.Equal([8f, 10], M.Sum(-1).ToArray<float>());
        Assert.Equal("[2, 1]", M.Sum(1, keepDim: true).Shape.ToString());
        Assert.Equal(3f, M.Mean().Item<float>());
        Assert.Equal([4f, 2.5f, 2.5f], M.Mean(0).ToArray<float>());
        Assert.Equal("[1, 3]", M.Mean(0, keepDim: true).Shape.ToString());
        Assert.Equal(18f, Tensor.Sum(M).Item<float>());
        Assert.Equal(3f, Tensor.Mean(M).Item<float>());
        Assert.Equal([8f, 10], Tensor.Sum(M.T, 0).ToArray<float>());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void Sums_over_leading_dimensions_add_each_column_in_row_order(DType dtype)
    {
        // 7 rows of 37 columns: whole vectors of the row kernel and a tail; Float32 accumulates in Float64, then rounds once.
        const int rows = 7, columns = 37;
        var values = Enumerable.Range(0, rows * columns).Select(i => Math.Round(Math.Sin(i) * 1000) / 64).ToArray();
        var x = Tensor.FromArray(values).Reshape(rows, columns).To(dtype);
        var sums = x.Sum(0).To(DType.Float64).ToArray<double>();
        for (int c = 0; c < columns; c++)
        {
            double expected = 0;
            for (int r = 0; r < rows; r++)
            {
                expected += dtype == DType.Int64 ? Math.Truncate(values[(r * columns) + c]) : dtype == DType.Float32 ? (float)values[(r * columns) + c] : values[(r * columns) + c];
            }

            Assert.Equal(dtype == DType.Float32 ? (float)expected : expected, sums[c]);
        }
    }

    [Fact]
    public void Integer_sums_are_int64_and_mean_needs_floats()
    {
        var i = Tensor.FromArray(new[] { 1, 2, 3 });
        Assert.Equal(DType.Int64, i.Sum().DType);
        Assert.Equal(6L, i.Sum().Item<long>());
        Assert.Equal(2L, Tensor.FromArray(new[] { true, false, true }).Sum().Item<long>());
        var e = Assert.Throws<InvalidOperationException>(() => i.Mean());
        Assert.Contains("Int32", e.Message);
    }

    [Fact]
    public void Max_min_and_argmax()
    {
        Assert.Equal(7f, M.Max().Item<float>());
        Assert.Equal(0f, Tensor.Min(M).Item<float>());
        var v = M.Max(1);
        var idx = M.ArgMax(1);
        Assert.Equal([5f, 7], v.ToArray<float>());
        Assert.Equal([1L, 0], idx.ToArray<long>());
        var (mv, mi) = M.Min(0, keepDim: true);
        Assert.Equal("[1, 3]", mv.Shape.ToString());
        Assert.Equal([1f, 0, 2], mv.ToArray<float>());
        Assert.Equal([0L, 1, 0], mi.ToArray<long>());
        Assert.Equal(3L, M.ArgMax().Item<long>());
        Assert.Equal(4L, M.ArgMin().Item<long>());
        Assert.Equal([1L, 0, 1], M.ArgMax(0).ToArray<long>());
        Assert.Equal("[2, 1]", M.ArgMax(1, keepDim: true).Shape.ToString());
        Assert.Equal(3, Tensor.FromArray(new[] { 1, 3, 2 }).Max().Item<int>());
        Assert.True(float.IsNaN(Tensor.FromArray(new[] { 1f, float.NaN, 2f }).Max().Item<float>()));
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(0).Max());
        Assert.Throws<ArgumentOutOfRangeException>(() => M.Sum(2));
    }

    [Fact]
    public void Reductions_over_views()
    {
        var t = Tensor.Arange(0.0, 24).Reshape(2, 3, 4).Permute(2, 0, 1);
        Assert.Equal("[4, 2]", t.Sum(2).Shape.ToString());
        Assert.Equal(276f, t.Sum().Item<float>());
        Assert.Equal([12f, 48], t.Sum(2)[0].ToArray<float>());
        var v = t.Max(0);
        var i = t.ArgMax(0);
        Assert.Equal([3f, 7, 11, 15, 19, 23], v.Reshape(-1).ToArray<float>());
        Assert.All(i.ToArray<long>(), x => Assert.Equal(3L, x));
    }
}
