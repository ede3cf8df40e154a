namespace Gradgen.Tests.Tensors;

public class ElementwiseTests
{
    static readonly double[] Xs = [-2.5, -1, -0.25, 0, 0.3, 1, 2.7];
    static readonly double[] Pos = [0.01, 0.3, 1, 2.7, 10];

    public static TheoryData<string> UnaryNames => new() { "Exp", "Log", "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Relu", "Abs", "Sqrt", "Neg" };

    static (Func<Tensor, Tensor> op, Func<double, double> reference, double[] domain) Unary(string name) => name switch
    {
        "Exp" => (t => t.Exp(), Math.Exp, Xs),
        "Log" => (Tensor.Log, Math.Log, Pos),
        "Sin" => (t => t.Sin(), Math.Sin, Xs),
        "Cos" => (Tensor.Cos, Math.Cos, Xs),
        "Tan" => (t => t.Tan(), Math.Tan, Xs),
        "Tanh" => (Tensor.Tanh, Math.Tanh, Xs),
        "Sigmoid" => (t => t.Sigmoid(), v => 1 / (1 + Math.Exp(-v)), Xs),
        "Relu" => (Tensor.Relu, v => Math.Max(v, 0), Xs),
        "Abs" => (t => t.Abs(), Math.Abs, Xs),
        "Sqrt" => (Tensor.Sqrt, Math.Sqrt, Pos),
        "Neg" => (t => -t, v => -v, Xs),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void Unary_forward_matches_Math_in_float32_and_float64(string name)
    {
        var (op, reference, domain) = Unary(name);
        var r64 = op(Tensor.FromArray(domain)).ToArray<double>();
        var r32 = op(Tensor.FromArray(domain, DType.Float32));
        Assert.Equal(DType.Float32, r32.DType);
        var f32 = r32.ToArray<float>();
        for (int i = 0; i < domain.Length; i++)
        {
            Assert.Equal(reference(domain[i]), r64[i], 1e-12);
            Assert.Equal(reference(domain[i]), f32[i], 1e-5 * Math.Max(1, Math.Abs(reference(domain[i]))));
        }
    }

    [Fact]
    public void Unary_ops_on_strided_views()
    {
        var a = Tensor.Arange(0.0, 6).Reshape(2, 3).T;
        Assert.Equal([0f, 3, 1, 4, 2, 5], a.Exp().Log().ToArray<float>().Select(v => MathF.Round(v, 4)).ToArray());
    }

    [Fact]
    public void Integer_dtypes_keep_or_promote_as_PyTorch()
    {
        var i = Tensor.FromArray(new[] { -2, 3 });
        Assert.Equal(DType.Int32, i.Abs().DType);
        Assert.Equal([2, 3], i.Abs().ToArray<int>());
        Assert.Equal([2, -3], (-i).ToArray<int>());
        Assert.Equal([0, 3], i.Relu().ToArray<int>());
        Assert.Equal(DType.Float32, i.Sin().DType);
        Assert.Equal(DType.Float32, i.Sqrt().DType);
        Assert.Equal(DType.Int32, (i + 2).DType);
        Assert.Equal(DType.Float32, (i + 2.5).DType);
        Assert.Equal(DType.Float32, (i / 2).DType);
        Assert.Equal([-1f, 1.5f], (i / 2).ToArray<float>());
        Assert.Equal(DType.Int64, (i + Tensor.FromArray(new[] { 1L, 1L })).DType);
        Assert.Equal(DType.Float32, (i + Tensor.FromArray(new[] { 1f, 1f })).DType);
        Assert.Equal(DType.Float64, (i + Tensor.FromArray(new[] { 1.0, 1.0 })).DType);
        // Zero-dimensional tensors and scalars do not widen a tensor of the same category.
        Assert.Equal(DType.Float32, (Tensor.Ones(2) + Tensor.Scalar(1, DType.Float64)).DType);
        Assert.Equal(DType.Float64, (Tensor.Ones(2) + Tensor.Ones([2], DType.Float64)).DType);
        Assert.Equal(DType.Int32, (i + Tensor.Scalar(1, DType.Int64)).DType);
        // A zero-dimensional operand of a higher category promotes (PyTorch: int32 tensor + float64 0-d tensor is float64).
        Assert.Equal(DType.Float64, (i + Tensor.Scalar(1, DType.Float64)).DType);
        Assert.Equal(DType.Float64, (Tensor.Ones([2], DType.Float64) * 2.5).DType);
        Assert.Equal(DType.Int64, (Tensor.FromArray(new[] { true }) + Tensor.FromArray(new[] { true })).DType);
        Assert.Equal([0L, 1, 8, 27], Tensor.Arange(4).Pow(3).ToArray<long>());
        Assert.Equal([4, 9], i.Pow(2).ToArray<int>());
        Assert.Equal([1, 1], i.Pow(0).ToArray<int>());
        Assert.Equal(DType.Float32, i.Pow(2.0).DType);
        Assert.Equal(DType.Float32, i.Pow(0.5).DType);
        Assert.Throws<ArgumentException>(() => i.Pow(-1));
        Assert.Equal([0.25f, 1f / 9], i.To(DType.Float32).Pow(-2).ToArray<float>());
    }

    [Fact]
    public void Binary_operators_with_tensors_and_scalars()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f });
        var b = Tensor.FromArray(new[] { 4f, 5f, 6f });
        Assert.Equal([5f, 7, 9], (a + b).ToArray<float>());
        Assert.Equal([-3f, -3, -3], (a - b).ToArray<float>());
        Assert.Equal([4f, 10, 18], (a * b).ToArray<float>());
        Assert.Equal([0.25f, 0.4f, 0.5f], (a / b).ToArray<float>());
        Assert.Equal([11f, 12, 13], (a + 10).ToArray<float>());
        Assert.Equal([9f, 8, 7], (10 - a).ToArray<float>());
        Assert.Equal([0f, 1, 2], (a - 1).ToArray<float>());
        Assert.Equal([0.5f, 1, 1.5f], (a * 0.5).ToArray<float>());
        Assert.Equal([6f, 3, 2], (6 / a).ToArray<float>());
        Assert.Equal([1f, 4, 9], a.Pow(2).ToArray<float>());
        Assert.Equal([1f, 32, 729], a.Pow(b).ToArray<float>());
        Assert.Equal([4f, 5, 6], Tensor.Maximum(a, b).ToArray<float>());
        Assert.Equal([1f, 2, 3], a.Minimum(b).ToArray<float>());
        Assert.Equal([2f, 2, 2.5f], a.Clamp(2, 2.5).ToArray<float>());
        Assert.Equal([2f, 2, 3], Tensor.Clamp(a, min: 2).ToArray<float>());
        Assert.Equal([1f, 2, 2], a.Clamp(max: 2).ToArray<float>());
        Assert.Throws<ArgumentException>(() => a.Clamp());
        Assert.Equal([1f, 1, 1], a.Clamp(3, 1).ToArray<float>());    // min > max: max everywhere, as PyTorch
        Assert.Equal([5f, 7, 9], a.Add(b).ToArray<float>());
        Assert.Equal([2f, 4, 6], a.Mul(2).ToArray<float>());
    }

    [Fact]
    public void Maximum_and_minimum_propagate_nan()
    {
        var a = Tensor.FromArray(new[] { float.NaN, 1f });
        var b = Tensor.FromArray(new[] { 0f, float.NaN });
        Assert.All(a.Maximum(b).ToArray<float>(), v => Assert.True(float.IsNaN(v)));
        Assert.All(a.Minimum(b).ToArray<float>(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Broadcasting_follows_numpy_rules()
    {
        var col = Tensor.FromArray(new[] { 1f, 2f }).Reshape(2, 1);
        var row = Tensor.FromArray(new[] { 10f, 20f, 30f });
        var r = col + row;
        Assert.Equal("[2, 3]", r.Shape.ToString());
        Assert.Equal([11f, 21, 31, 12, 22, 32], r.ToArray<float>());
        var batch = Tensor.Ones(4, 1, 3) * row;
        Assert.Equal("[4, 1, 3]", batch.Shape.ToString());
        Assert.Equal("[5, 2, 3]", (Tensor.Zeros(5, 1, 1) + col + row).Shape.ToString());
        Assert.Equal("[2, 0]", (Tensor.Zeros(2, 1) + Tensor.Zeros(0)).Shape.ToString());
    }

    [Fact]
    public void Broadcasting_errors_name_the_operation_shapes_and_dimension()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3, 4) + Tensor.Zeros(5));
        Assert.Equal("Add: shapes [3, 4] and [5] cannot be broadcast (dimension 1: 4 vs 5)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) * Tensor.Zeros(3, 3));
        Assert.Equal("Mul: shapes [2, 3] and [3, 3] cannot be broadcast (dimension 0: 2 vs 3)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2) > Tensor.Zeros(3));
        Assert.StartsWith("Gt: shapes [2] and [3]", e.Message);
    }

    [Fact]
    public void Comparisons_give_bool_tensors()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f });
        var b = Tensor.FromArray(new[] { 3f, 2f, 1f });
        Assert.Equal([false, false, true], (a > b).ToArray<bool>());
        Assert.Equal([true, false, false], (a < b).ToArray<bool>());
        Assert.Equal([false, true, true], (a >= b).ToArray<bool>());
        Assert.Equal([true, true, false], (a <= b).ToArray<bool>());
        Assert.Equal([false, true, false], a.Eq(b).ToArray<bool>());
        Assert.Equal([true, false, true], a.Ne(b).ToArray<bool>());
        Assert.Equal([false, true, false], a.Eq(2).ToArray<bool>());
        Assert.Equal([true, true, false], (2.5 > a).ToArray<bool>());
        Assert.Equal(DType.Bool, (a > 1).DType);
        Assert.Equal([false, true], (Tensor.FromArray(new[] { 1, 5 }) > 2.5).ToArray<bool>());
        // C#'s == stays reference equality.
        var c = a;
        Assert.True(c == a);
        Assert.False(a == b);
    }

    [Fact]
    public void Where_and_masked_selection()
    {
        var x = Tensor.FromArray(new[] { 1f, -2f, 3f, -4f });
        var w = Tensor.Where(x > 0, x, Tensor.Zeros(1));
        Assert.Equal([1f, 0, 3, 0], w.ToArray<float>());
        Assert.Equal([1f, 9, 3, 9], x.Where(x > 0, Tensor.Full([1], 9)).ToArray<float>());
        var m = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal([3f, 4], m[m > 2].ToArray<float>());
        Assert.Equal([2f, 4], m[Tensor.FromArray(new[] { false, true })].ToArray<float>());
        Assert.Throws<ArgumentException>(() => m[Tensor.Ones(2, 2)]);
        Assert.Throws<ArgumentException>(() => Tensor.Where(x, x, x));
        // The tensor broadcasts to the mask's shape too (PyTorch): rows of [1, 1] where the mask's row is true.
        Assert.Equal([1f, 1], Tensor.Ones(2)[Tensor.FromArray(new[] { true, false }).Reshape(2, 1).Expand(2, 2)].ToArray<float>());
    }

    [Fact]
    public void To_dtype_converts_and_is_identity_for_the_same_dtype()
    {
        var a = Tensor.FromArray(new[] { 1.9f, -1.9f, 0f });
        Assert.Same(a, a.To(DType.Float32));
        Assert.Equal([1, -1, 0], a.To(DType.Int32).ToArray<int>());
        Assert.Equal([1L, -1, 0], a.To(DType.Int64).ToArray<long>());
        Assert.Equal([true, true, false], a.To(DType.Bool).ToArray<bool>());
        Assert.Equal(1.899999976158142, a.To(DType.Float64)[0].Item<double>(), 12);
        Assert.Equal([1f, 0f], Tensor.FromArray(new[] { true, false }).To(DType.Float32).ToArray<float>());
    }

    [Fact]
    public void Cat_and_stack()
    {
        var a = Tensor.Arange(0.0, 6).Reshape(2, 3);
        var b = Tensor.Arange(6.0, 9).Reshape(1, 3);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (float)i).ToArray(), Tensor.Cat([a, b]).ToArray<float>());
        var c = Tensor.Cat([a, a], dim: 1);
        Assert.Equal("[2, 6]", c.Shape.ToString());
        Assert.Equal([0f, 1, 2, 0, 1, 2], c[0].ToArray<float>());
        var s = Tensor.Stack([a, a + 10], dim: 1);
        Assert.Equal("[2, 2, 3]", s.Shape.ToString());
        Assert.Equal([10f, 11, 12], s[0, 1].ToArray<float>());
        Assert.Equal(DType.Float64, Tensor.Cat([Tensor.Ones(1), Tensor.Ones([1], DType.Float64)]).DType);
        var e = Assert.Throws<ArgumentException>(() => Tensor.Cat([a, Tensor.Zeros(1, 4)]));
        Assert.Contains("dimension 1: 3 vs 4", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Stack([a, b]));
        Assert.Throws<ArgumentException>(() => Tensor.Cat([]));
    }
}
