using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.Tests.Optim;

/// <summary>torch.optim.SGD's documented rule, checked against values computed by hand.</summary>
public class SgdTests
{
    /// <summary>Runs steps on a one-element parameter starting at <paramref name="p0"/> with the given gradients; returns the parameter after each step.</summary>
    static double[] Run(DType dtype, double p0, double[] grads, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
    {
        var p = new Parameter(Tensor.Full([1], p0, dtype));
        var opt = new Sgd([p], lr, momentum, dampening, weightDecay, nesterov);
        var result = new double[grads.Length];
        for (int i = 0; i < grads.Length; i++)
        {
            p.Grad = Tensor.Full([1], grads[i], dtype);
            opt.Step();
            result[i] = p.Item<double>();
        }
        return result;
    }

    static void Expect(double[] expected, Func<DType, double[]> run)
    {
        Close(expected, run(DType.Float64), 1e-12);
        Close(expected, run(DType.Float32), 1e-6);
    }

    static void Close(double[] expected, double[] actual, double tol)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"step {i + 1}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    // p ← p − lr·g: 1 − 0.1·0.5 = 0.95, then 0.95 − 0.1·(−1) = 1.05.
    [Fact] public void Plain() => Expect([0.95, 1.05], d => Run(d, 1, [0.5, -1], lr: 0.1));

    // b₁ = g₁ = 1, p = −0.1; b₂ = 0.9·1 + 2 = 2.9, p = −0.39; b₃ = 0.9·2.9 − 1 = 1.61, p = −0.551.
    [Fact] public void Momentum() => Expect([-0.1, -0.39, -0.551], d => Run(d, 0, [1, 2, -1], lr: 0.1, momentum: 0.9));

    // The first buffer is the gradient itself (no dampening): b₁ = 1; b₂ = 0.9 + 0.5·2 = 1.9; b₃ = 1.71 − 0.5 = 1.21.
    [Fact] public void Dampening() => Expect([-0.1, -0.29, -0.411], d => Run(d, 0, [1, 2, -1], lr: 0.1, momentum: 0.9, dampening: 0.5));

    // g ← g + 0.1·p: d₁ = 1.1, p = 0.89; d₂ = 1 + 0.089 = 1.089, p = 0.7811.
    [Fact] public void Weight_decay() => Expect([0.89, 0.7811], d => Run(d, 1, [1, 1], lr: 0.1, weightDecay: 0.1));

    // b₁ = 1, g = 1 + 0.9·1 = 1.9, p = −0.19; b₂ = 2.9, g = 2 + 2.61 = 4.61, p = −0.651; b₃ = 1.61, g = −1 + 1.449 = 0.449, p = −0.6959.
    [Fact] public void Nesterov() => Expect([-0.19, -0.651, -0.6959], d => Run(d, 0, [1, 2, -1], lr: 0.1, momentum: 0.9, nesterov: true));

    // d₁ = 1 + 0.1 = 1.1, b₁ = 1.1, g = 1.1 + 0.99 = 2.09, p = 0.791;
    // d₂ = 2 + 0.0791 = 2.0791, b₂ = 0.99 + 2.0791 = 3.0691, g = 2.0791 + 2.76219 = 4.84129, p = 0.306871.
    [Fact] public void Nesterov_with_weight_decay() => Expect([0.791, 0.306871], d => Run(d, 1, [1, 2], lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true));

    // d = g + 0.01·p; b₁ = d₁; b₂ = 0.9·b₁ + 0.75·d₂; p ← p − 0.5·b.
    [Fact]
    public void Everything_but_nesterov()
    {
        double p = 2, b = 0;
        var expected = new double[2];
        double[] g = [0.3, -0.7];
        for (int i = 0; i < 2; i++)
        {
            double d = g[i] + 0.01 * p;
            b = i == 0 ? d : 0.9 * b + 0.75 * d;
            p -= 0.5 * b;
            expected[i] = p;
        }
        Expect(expected, dt => Run(dt, 2, g, lr: 0.5, momentum: 0.9, dampening: 0.25, weightDecay: 0.01));
    }

    [Fact]
    public void Step_updates_every_element_skips_parameters_without_grad_and_bumps_versions()
    {
        var a = new Parameter(Tensor.FromArray(new[] { 1f, 2f, 3f }));
        var b = new Parameter(Tensor.FromArray(new[] { 5f }));
        var opt = new Sgd([a, b], lr: 0.5, momentum: 0.5);
        (a * a).Sum().Backward();
        opt.Step();
        Assert.Equal([0f, 0f, 0f], a.ToArray<float>());
        Assert.Equal([5f], b.ToArray<float>());
        Assert.Null(opt.MomentumBuffer(1));
        Assert.Equal([2f, 4f, 6f], opt.MomentumBuffer(0)!.ToArray<float>());
        Assert.NotNull(a.Grad);
        opt.ZeroGrad();
        Assert.Null(a.Grad);
        opt.Step(); // no gradients: nothing moves
        Assert.Equal([0f, 0f, 0f], a.ToArray<float>());
    }

    [Fact]
    public void A_graph_that_saved_a_parameter_refuses_backward_after_a_step()
    {
        var l = new Linear(2, 1);
        var opt = new Sgd(l.Parameters(), lr: 0.1);
        l.Call(Tensor.Ones(1, 2)).Sum().Backward();
        var pending = l.Call(Tensor.Ones(1, 2)).Sum();
        opt.Step();
        Assert.Throws<InvalidOperationException>(() => pending.Backward());
    }

    [Fact]
    public void Invalid_arguments_throw_pytorchs_messages()
    {
        var p = new Parameter(Tensor.Zeros(1));
        Assert.Contains("Invalid learning rate: -1", Assert.Throws<ArgumentException>(() => new Sgd([p], lr: -1)).Message);
        Assert.Contains("Invalid momentum value: -0.5", Assert.Throws<ArgumentException>(() => new Sgd([p], lr: 0.1, momentum: -0.5)).Message);
        Assert.Contains("Invalid weight_decay value: -1", Assert.Throws<ArgumentException>(() => new Sgd([p], lr: 0.1, weightDecay: -1)).Message);
        Assert.Contains("Nesterov momentum requires a momentum and zero dampening", Assert.Throws<ArgumentException>(() => new Sgd([p], lr: 0.1, nesterov: true)).Message);
        Assert.Contains("Nesterov momentum requires a momentum and zero dampening", Assert.Throws<ArgumentException>(() => new Sgd([p], lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true)).Message);
        Assert.Contains("empty parameter list", Assert.Throws<ArgumentException>(() => new Sgd([], lr: 0.1)).Message);
        Assert.Contains("non-leaf", Assert.Throws<ArgumentException>(() => new Sgd([p * 2], lr: 0.1)).Message);
        Assert.Contains("more than once", Assert.Throws<ArgumentException>(() => new Sgd([p, p], lr: 0.1)).Message);
    }

    [Fact]
    public void Strided_parameter_follows_the_same_rule()
    {
        var baseTensor = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        var p = new Parameter(baseTensor.T);
        var opt = new Sgd([p], lr: 0.1, momentum: 0.9, weightDecay: 0.1);
        for (int i = 0; i < 2; i++)
        {
            p.Grad = Tensor.Ones([2, 2], DType.Float64);
            opt.Step();
        }
        // Element (0, 0) starts at 1 with gradient 1 each step: d₁ = 1.1, p = 0.89; d₂ = 1.089, b₂ = 0.99 + 1.089 = 2.079, p = 0.6821.
        Assert.Equal(0.6821, p.ToArray<double>()[0], 1e-12);
    }
}
