using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>Every layer, activation and loss against central finite differences (GradCheck, Float64).</summary>
public class GradCheckNnTests
{
    public GradCheckNnTests() => RandomGenerator.ManualSeed(11);

    static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64);

    static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var r = GradCheck.Run(f, inputs);
        Assert.True(r.Passed, r.ToString());
    }

    [Fact] public void Functional_linear_with_bias() => Check(x => Functional.Linear(x[0], x[1], x[2]), R(5, 3), R(4, 3), R(4));
    [Fact] public void Functional_linear_without_bias() => Check(x => Functional.Linear(x[0], x[1]), R(5, 3), R(4, 3));
    [Fact] public void Functional_linear_batched_3d_input() => Check(x => Functional.Linear(x[0], x[1], x[2]), R(2, 3, 4), R(5, 4), R(5));
    [Fact] public void Functional_linear_1d_input() => Check(x => Functional.Linear(x[0], x[1], x[2]), R(3), R(2, 3), R(2));
    [Fact] public void Functional_linear_transposed_input() => Check(x => Functional.Linear(x[0].T, x[1], x[2]), R(3, 5), R(4, 3), R(4));

    [Fact]
    public void Functional_linear_large_enough_for_the_packed_kernel() =>
        Check(x => Functional.Linear(x[0], x[1], x[2]), R(17, 33), R(19, 33), R(19));

    [Fact]
    public void Linear_module_parameters_get_the_gradients_of_x_Wt_plus_b()
    {
        var l = new Linear(3, 4, dtype: DType.Float64);
        var x = R(5, 3);
        x.RequiresGrad = true;
        var y = l.Call(x);
        Assert.Equal("AddmmBackward", y.GradFn!.Name);
        var v = R(5, 4);
        (y * v).Sum().Backward();
        // Reference: the same products through MatMul.
        var w = l.Weight.Detach();
        Close.All(v.MatMul(w).ToArray<double>(), x.Grad!.ToArray<double>(), 1e-12);
        Close.All(v.T.MatMul(x.Detach()).ToArray<double>(), l.Weight.Grad!.ToArray<double>(), 1e-12);
        Close.All(v.Sum(0).ToArray<double>(), l.Bias!.Grad!.ToArray<double>(), 1e-12);
        Close.All(x.Detach().MatMul(w.T).Add(l.Bias.Detach()).ToArray<double>(), y.ToArray<double>(), 1e-12);
    }

    [Fact]
    public void Linear_float32_matches_matmul()
    {
        var l = new Linear(40, 24);
        var x = Tensor.Randn(37, 40);
        var y = l.Call(x);
        var reference = x.MatMul(l.Weight.Detach().T) + l.Bias!.Detach();
        Close.All(reference.ToArray<float>(), y.ToArray<float>(), 1e-4);
    }

    [Fact]
    public void Linear_rejects_wrong_shapes_and_dtypes()
    {
        var l = new Linear(2, 3);
        var e = Assert.Throws<ArgumentException>(() => l.Call(Tensor.Zeros(4, 5)));
        Assert.Contains("[4, 5]", e.Message);
        Assert.Contains("in_features is 2", e.Message);
        Assert.Throws<ArgumentException>(() => l.Call(Tensor.Zeros([4, 2], DType.Float64)));
        Assert.Throws<ArgumentException>(() => l.Call(Tensor.Scalar(1)));
    }

    [Fact]
    public void In_place_change_of_the_weight_before_backward_is_detected()
    {
        var l = new Linear(2, 2);
        var y = l.Call(Tensor.Ones(1, 2)).Sum();
        using (Gradgen.Autograd.NoGrad()) l.Weight.MulInPlace(2);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Fact] public void Relu_module() => Check(x => new ReLU().Call(x[0]), Tensor.FromArray(new[] { -1.5, -0.2, 0.3, 2.0 }));
    [Fact] public void Sigmoid_module() => Check(x => new Sigmoid().Call(x[0]), R(3, 4));
    [Fact] public void Tanh_module() => Check(x => new Tanh().Call(x[0]), R(3, 4));
    [Fact] public void Functional_relu() => Check(x => Functional.Relu(x[0]), Tensor.FromArray(new[] { -1.5, -0.2, 0.3, 2.0 }));
    [Fact] public void Functional_sigmoid() => Check(x => Functional.Sigmoid(x[0]), R(6));
    [Fact] public void Functional_tanh() => Check(x => Functional.Tanh(x[0]), R(6));
    [Fact] public void Softmax_last_dim() => Check(x => Functional.Softmax(x[0], -1), R(3, 5));
    [Fact] public void Softmax_middle_dim() => Check(x => Functional.Softmax(x[0], 1), R(2, 3, 4));
    [Fact] public void Softmax_module() => Check(x => new Softmax(0).Call(x[0]), R(4, 2));
    [Fact] public void LogSoftmax_last_dim() => Check(x => Functional.LogSoftmax(x[0], 1), R(3, 5));
    [Fact] public void LogSoftmax_first_dim() => Check(x => Functional.LogSoftmax(x[0], 0), R(2, 3, 4));
    [Fact] public void LogSoftmax_module() => Check(x => new LogSoftmax(-1).Call(x[0]), R(4, 3));

    [Fact]
    public void Softmax_is_stable_for_large_logits()
    {
        var x = Tensor.FromArray(new float[] { 1000, 1001, 1002 });
        var s = Functional.Softmax(x, 0).ToArray<float>();
        Close.All([0.09003057f, 0.24472848f, 0.66524094f], s, 1e-6);
        var l = Functional.LogSoftmax(Tensor.FromArray(new float[] { -1000, 0, 1000 }), 0).ToArray<float>();
        Assert.Equal([-2000f, -1000f, 0f], l);
        Assert.Equal(1f, Functional.Softmax(Tensor.Randn(7, 9) * 50, 1).Sum(1).ToArray<float>().Max(), 1e-5f);
    }

    [Fact] public void Mse_mean() => Check(x => new MSELoss().Forward(x[0], x[1]), R(4, 3), R(4, 3));
    [Fact] public void Mse_sum() => Check(x => new MSELoss(Reduction.Sum).Forward(x[0], x[1]), R(5), R(5));
    [Fact] public void Mse_none() => Check(x => new MSELoss(Reduction.None).Forward(x[0], x[1]), R(2, 3), R(2, 3));

    [Fact]
    public void Mse_value()
    {
        var l = new MSELoss().Call(Tensor.FromArray(new[] { 1f, 2f, 3f }), Tensor.FromArray(new[] { 1f, 0f, 0f }));
        Assert.Equal(13f / 3, l.Item<float>(), 1e-6f);
        Assert.Equal("MseLossBackward", new MSELoss().Call(Tensor.Ones([2], DType.Float32, requiresGrad: true), Tensor.Zeros(2)).GradFn!.Name);
        var e = Assert.Throws<ArgumentException>(() => new MSELoss().Call(Tensor.Zeros(4, 1), Tensor.Zeros(4)));
        Assert.Contains("[4, 1]", e.Message);
    }

    static Tensor Classes(params long[] c) => Tensor.FromArray(c);

    [Fact] public void Cross_entropy_mean() => Check(x => new CrossEntropyLoss().Forward(x[0], Classes(0, 2, 1, 2)), R(4, 3));
    [Fact] public void Cross_entropy_sum() => Check(x => new CrossEntropyLoss(Reduction.Sum).Forward(x[0], Classes(1, 0)), R(2, 5));
    [Fact] public void Cross_entropy_none() => Check(x => new CrossEntropyLoss(Reduction.None).Forward(x[0], Classes(1, 0, 3)), R(3, 4));
    [Fact] public void Cross_entropy_1d_logits() => Check(x => new CrossEntropyLoss().Forward(x[0], Tensor.Scalar(2, DType.Int64)), R(4));
    [Fact] public void Cross_entropy_probabilities() => Check(x => new CrossEntropyLoss().Forward(x[0], Functional.Softmax(x[1], 1)), R(3, 4), R(3, 4));

    [Fact]
    public void Cross_entropy_value_matches_the_formula()
    {
        var logits = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 1000, 0, -1000 } });
        var l = new CrossEntropyLoss(Reduction.None).Call(logits, Classes(2, 0)).ToArray<double>();
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        Assert.Equal(lse - 3, l[0], 1e-12);
        Assert.Equal(0, l[1], 1e-12);
    }

    [Fact]
    public void Cross_entropy_errors_name_the_problem()
    {
        var ce = new CrossEntropyLoss();
        var e = Assert.Throws<ArgumentException>(() => ce.Call(Tensor.Zeros(2, 3), Classes(0, 3)));
        Assert.Contains("target 3 at position 1 is out of range for 3 classes", e.Message);
        Assert.Contains("out of range", Assert.Throws<ArgumentException>(() => ce.Call(Tensor.Zeros(2, 3), Classes(-1, 0))).Message);
        Assert.Contains("Int64", Assert.Throws<ArgumentException>(() => ce.Call(Tensor.Zeros(2, 3), Tensor.FromArray(new[] { 0, 1 }))).Message);
        Assert.Contains("[2]", Assert.Throws<ArgumentException>(() => ce.Call(Tensor.Zeros(2, 3), Classes(0, 1, 2))).Message);
        Assert.Contains("[N, C]", Assert.Throws<ArgumentException>(() => ce.Call(Tensor.Zeros(2, 3, 4), Classes(0, 1))).Message);
        Assert.Contains("Float32 or Float64", Assert.Throws<ArgumentException>(() => ce.Call(Tensor.Zeros([2, 3], DType.Int64), Classes(0, 1))).Message);
        Assert.Contains("probabilities", Assert.Throws<ArgumentException>(() => ce.Call(Tensor.Zeros(2, 3), Tensor.Zeros(2))).Message);
    }

    [Fact] public void Bce_with_logits_mean() => Check(x => new BCEWithLogitsLoss().Forward(x[0], x[1]), R(4, 3) * 3, Tensor.Rand([4, 3], DType.Float64));
    [Fact] public void Bce_with_logits_sum() => Check(x => new BCEWithLogitsLoss(Reduction.Sum).Forward(x[0], x[1]), R(6), Tensor.Rand([6], DType.Float64));
    [Fact] public void Bce_with_logits_none_at_zero() => Check(x => new BCEWithLogitsLoss(Reduction.None).Forward(x[0], x[1]), Tensor.FromArray(new[] { 0.0, -2, 2 }), Tensor.FromArray(new[] { 0.25, 1, 0 }));

    [Fact]
    public void Bce_with_logits_is_stable()
    {
        var l = new BCEWithLogitsLoss(Reduction.None).Call(Tensor.FromArray(new float[] { 100, -100, 0 }), Tensor.FromArray(new float[] { 0, 0, 1 })).ToArray<float>();
        Assert.Equal(100f, l[0], 1e-4f);
        Assert.Equal(0f, l[1], 1e-6f);
        Assert.Equal(MathF.Log(2), l[2], 1e-6f);
        var x = Tensor.FromArray(new float[] { 100, -100 }, requiresGrad: true);
        new BCEWithLogitsLoss(Reduction.Sum).Call(x, Tensor.FromArray(new float[] { 0, 1 })).Backward();
        Assert.Equal([1f, -1f], x.Grad!.ToArray<float>());
    }
}
