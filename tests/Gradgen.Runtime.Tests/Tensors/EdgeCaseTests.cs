namespace Gradgen.Tests.Tensors;

public class EdgeCaseTests
{
    [Fact]
    public void Zero_dimensional_tensors_take_part_in_every_operation()
    {
        var s = Tensor.Scalar(2);
        var v = Tensor.FromArray(new[] { 1f, 2f });
        Assert.Equal(0, (s * s).Ndim);
        Assert.Equal([2f, 4f], (s * v).ToArray<float>());
        Assert.Equal(4f, s.Pow(2).Item<float>());
        Assert.Equal(2f, s.Sum().Item<float>());
        Assert.Equal(2f, s.Max().Item<float>());
        Assert.Equal("[1]", s.Unsqueeze(0).Shape.ToString());
        Assert.Equal(0, s.Reshape().Ndim);
        Assert.Equal("[2]", Tensor.Stack([s, s]).Shape.ToString());
    }

    [Fact]
    public void Empty_tensors_flow_through_operations()
    {
        var e = Tensor.Zeros(0, 3);
        Assert.Equal("[0, 3]", (e + 1).Shape.ToString());
        Assert.Equal("[3]", e.Sum(0).Shape.ToString());
        Assert.Equal([0f, 0, 0], e.Sum(0).ToArray<float>());
        Assert.Equal(0f, e.Sum().Item<float>());
        Assert.True(float.IsNaN(e.Mean().Item<float>()));
        Assert.Equal("[0, 2]", e.MatMul(Tensor.Zeros(3, 2)).Shape.ToString());
        Assert.Equal([0f, 0, 0, 0], Tensor.Zeros(2, 0).MatMul(Tensor.Zeros(0, 2)).ToArray<float>());
        Assert.Equal("[0]", e.Reshape(-1).Shape.ToString());
        Assert.Empty(e[e > 0].ToArray<float>());
    }

    [Fact]
    public void Scientific_values_with_negative_numbers_print_with_a_common_width() =>
        Assert.Equal("tensor([-1.0000e-05,  1.0000e+03])", Tensor.FromArray(new[] { -1e-5, 1e3 }, DType.Float32).ToString());

    [Fact]
    public void Dimension_errors_name_the_operation_and_range()
    {
        var t = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.Sum(-3));
        Assert.Contains("Sum: dimension -3 is out of range for a tensor with 2 dimensions (expected a value in [-2, 1])", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Transpose(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Max(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Size(2));
    }

    [Fact]
    public void Null_operands_are_rejected_before_anything_runs()
    {
        Tensor? n = null;
        Assert.Throws<ArgumentNullException>(() => Tensor.Ones(1) + n!);
        Assert.Throws<ArgumentNullException>(() => Tensor.Ones(1).MatMul(n!));
        Assert.Throws<ArgumentNullException>(() => Tensor.Sin(n!));
    }

    [Fact]
    public void Large_int64_values_survive_conversions_and_sums()
    {
        long big = (1L << 53) + 1;
        var t = Tensor.FromArray(new[] { big, 1L });
        Assert.Equal(big + 1, t.Sum().Item<long>());
        Assert.Equal(big, t.To(DType.Int64).Max().Item<long>());
        Assert.Equal([big, 1L], t.ToArray<long>());
    }
}
