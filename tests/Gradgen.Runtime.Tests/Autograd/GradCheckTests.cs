namespace Gradgen.Tests.Autograd;

/// <summary>Every differentiable operation against central finite differences in Float64.</summary>
public class GradCheckTests
{
    static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64);

    /// <summary>Values in [lo, hi] kept away from the kinks at 0 (Relu, Abs) by construction.</summary>
    static Tensor U(double lo, double hi, params int[] shape) => Tensor.Rand(shape, DType.Float64) * (hi - lo) + lo;

    static Tensor AwayFromZero(params int[] shape)
    {
        var r = R(shape);
        return Tensor.Where(r > 0, r + 0.1, r - 0.1);
    }

    static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var r = GradCheck.Run(f, inputs);
        Assert.True(r.Passed, r.ToString());
    }

    public GradCheckTests() => Gradgen.RandomGenerator.ManualSeed(7);

    [Fact] public void Exp() => Check(x => x[0].Exp(), R(3, 4));
    [Fact] public void Log() => Check(x => Tensor.Log(x[0]), U(0.5, 3, 3, 4));
    [Fact] public void Sin() => Check(x => x[0].Sin(), R(3, 4));
    [Fact] public void Cos() => Check(x => Tensor.Cos(x[0]), R(3, 4));
    [Fact] public void Tan() => Check(x => x[0].Tan(), U(-1, 1, 3, 4));
    [Fact] public void Tanh() => Check(x => Tensor.Tanh(x[0]), R(3, 4));
    [Fact] public void Sigmoid() => Check(x => x[0].Sigmoid(), R(3, 4));
    [Fact] public void Relu() => Check(x => x[0].Relu(), AwayFromZero(3, 4));
    [Fact] public void Abs() => Check(x => Tensor.Abs(x[0]), AwayFromZero(3, 4));
    [Fact] public void Sqrt() => Check(x => x[0].Sqrt(), U(0.5, 3, 3, 4));
    [Fact] public void Neg() => Check(x => -x[0], R(3, 4));
    [Fact] public void Pow_scalar() { var c = U(0.5, 2, 1); Check(x => x[0].Pow(3) + x[0].Pow(2) + c.Pow(0.5) * x[0], R(3, 4)); }
    [Fact] public void Pow_fractional() => Check(x => x[0].Pow(0.5) + x[0].Pow(-1.5), U(0.5, 3, 5));
    [Fact] public void Pow_zero_exponent_has_zero_gradient() => Check(x => x[0].Pow(0), R(4));
    [Fact] public void Clamp() => Check(x => x[0].Clamp(-0.5, 0.5), Tensor.FromArray(new[] { -1.0, -0.3, 0.2, 0.9 }));

    [Fact] public void Add_broadcast() => Check(x => x[0] + x[1], R(3, 1), R(4));
    [Fact] public void Sub_broadcast() => Check(x => x[0] - x[1], R(2, 3, 1), R(3, 4));
    [Fact] public void Mul_broadcast() => Check(x => x[0] * x[1], R(3, 1), R(1, 4));
    [Fact] public void Div_broadcast() => Check(x => x[0] / x[1], R(3, 4), U(0.5, 2, 4));
    [Fact] public void Pow_tensor() => Check(x => x[0].Pow(x[1]), U(0.5, 2, 3, 1), R(3));
    [Fact] public void Maximum() => Check(x => x[0].Maximum(x[1]), R(3, 4), R(4));
    [Fact] public void Minimum() => Check(x => Tensor.Minimum(x[0], x[1]), R(3, 4), R(3, 1));
    [Fact] public void Scalar_operands() => Check(x => (2 * x[0] - 1) / 3 + 1 / (x[0] * x[0] + 1) - (5 - x[0]), R(5));

    [Fact] public void Reshape_and_view() { var c = R(2, 6); Check(x => x[0].Reshape(4, 3).View(2, 6) * c, R(3, 4)); }
    [Fact] public void Reshape_of_transposed_copies() { var c = R(12); Check(x => x[0].T.Reshape(-1) * c, R(3, 4)); }
    [Fact] public void Transpose_and_permute() { var c = R(3, 2, 4); Check(x => x[0].Transpose(0, 2).Permute(1, 2, 0) * c, R(2, 3, 4)); }
    [Fact] public void T_and_matmul() => Check(x => x[0].T.MatMul(x[1]), R(3, 2), R(3, 4));
    [Fact] public void Unsqueeze_squeeze_flatten() { var c = R(12); Check(x => x[0].Unsqueeze(1).Squeeze(1).Unsqueeze(0).Squeeze().Flatten() * c, R(3, 4)); }
    [Fact] public void Narrow_select_slice() => Check(x => x[0].Narrow(1, 1, 2).Sum() + x[0].Select(0, -1).Sin().Sum() + x[0].Slice(1, 0, 4, 2).Exp().Sum(), R(3, 4));
    [Fact] public void Indexer() => Check(x => x[0][1.., ^1] * x[0][0, 1..3].Sum(), R(3, 4));
    [Fact] public void Expand() { var c = R(2, 3, 4); Check(x => x[0].Expand(2, 3, 4) * c, R(3, 1)); }
    [Fact] public void Contiguous_and_clone() { var c = R(4, 3); Check(x => x[0].T.Contiguous().Clone() * c, R(3, 4)); }

    [Fact] public void Sum_all_and_dim() => Check(x => x[0].Sum() * x[0].Sum(1) + x[0].Sum(0, keepDim: true).Sum(), R(3, 4));
    [Fact] public void Mean_all_and_dim() => Check(x => x[0].Mean() * x[0].Mean(-1, keepDim: true), R(3, 4));
    [Fact] public void Max_and_min() => Check(x => x[0].Max() + x[0].Min() + x[0].Max(1).Sum() + x[0].Min(0, keepDim: true).Values.Sum(), R(3, 4));

    [Fact] public void MatMul_2d() => Check(x => x[0].MatMul(x[1]), R(3, 5), R(5, 2));
    [Fact] public void MatMul_vectors() => Check(x => x[0].MatMul(x[1]) + x[1].MatMul(x[2]).Sum() + x[2].T.MatMul(x[1]).Sum(), R(5), R(5), R(5, 3));
    [Fact] public void MatMul_batched_broadcast() => Check(x => x[0].MatMul(x[1]), R(2, 1, 3, 4), R(3, 4, 2));

    [Fact] public void Cat_and_stack() => Check(x => Tensor.Cat([x[0], x[1].Sin()], 1) * Tensor.Stack([x[0], x[1]], 1).Reshape(2, 6), R(2, 3), R(2, 3));
    [Fact] public void Where() => Check(x => Tensor.Where(x[0] > 0, x[0] * 2, x[1]), R(3, 4), R(4));
    [Fact] public void Masked_selection() => Check(x => x[0][x[0] > 0].Exp(), AwayFromZero(3, 4));

    [Fact]
    public void The_tutorials_gaussian_windowed_sine() =>
        Check(x => Tensor.Sin(2.0 * Math.PI * x[0]) * Tensor.Exp(-(x[0] - 5).Pow(2) / 3), Tensor.Linspace(0, 10, 50, DType.Float64));

    [Fact]
    public void A_small_network() =>
        Check(x => (x[0].MatMul(x[1]) + x[2]).Sigmoid().MatMul(x[3]).Tanh().Mean(), R(4, 3), R(3, 5), R(5), R(5, 2));

    [Fact]
    public void A_wrong_gradient_is_reported_with_the_worst_element()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 });
        var r = GradCheck.Run(t => t[0] * t[0].Detach(), [x]);
        Assert.False(r.Passed);
        Assert.Equal(0, r.InputIndex);
        Assert.Equal(2 * r.Analytic, r.Numeric, 1e-6);
        Assert.Contains("worst element is input 0 at", r.ToString());
        var e = Assert.Throws<GradCheckException>(() => GradCheck.Assert(t => t[0] * t[0].Detach(), x));
        Assert.Contains("analytic", e.Message);
        Assert.Contains("numeric", e.Message);
    }

    [Fact]
    public void Float32_inputs_are_checked_in_float64()
    {
        var r = GradCheck.Assert(t => t[0].Exp() * t[1], Tensor.Randn(3), Tensor.FromArray(new[] { 1, 2, 3 }));
        Assert.True(r.Passed);
    }
}
