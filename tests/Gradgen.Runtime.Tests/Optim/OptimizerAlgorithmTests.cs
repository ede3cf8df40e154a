using Gradgen.Nn;
using Gradgen.Optim;
using static Gradgen.Tests.Optim.OptimizerReference;

namespace Gradgen.Tests.Optim;

/// <summary>
/// Every optimizer replays the same 20 gradients on a 5×7 parameter (SIMD vectors and a scalar tail; and a strided
/// view, which runs the rule as tensor operations) and must end where PyTorch's documented algorithm in float64 ends.
/// </summary>
public class OptimizerAlgorithmTests
{
    const int Rows = 5, Cols = 7, N = Rows * Cols, Steps = 20;

    static Tensor Values(Func<int, double> value, DType dtype) =>
        Tensor.FromArray(Enumerable.Range(0, N).Select(value).ToArray()).Reshape(Rows, Cols).To(dtype);

    /// <summary>Runs <see cref="Steps"/> steps of the optimizer made by <paramref name="make"/>; returns the parameter's values in row-major order.</summary>
    internal static double[] Run(Func<Tensor, Optimizer> make, DType dtype, bool strided)
    {
        Tensor data;
        if (strided)
        {
            // The transpose of a [Cols, Rows] tensor holding the values column by column: a non-contiguous [Rows, Cols] view.
            var columns = new double[Cols, Rows];
            for (int r = 0; r < Rows; r++)
                for (int c = 0; c < Cols; c++)
                    columns[c, r] = Start((r * Cols) + c);
            data = Tensor.FromArray(columns, dtype).T;
            Assert.False(data.IsContiguous);
        }
        else
        {
            data = Values(Start, dtype);
        }

        var p = new Parameter(data);
        var optimizer = make(p);
        for (int t = 1; t <= Steps; t++)
        {
            p.Grad = Values(i => Gradient(t, i), dtype);
            optimizer.Step();
        }

        return p.Detach().To(DType.Float64).Contiguous().ToArray<double>();
    }

    static void Expect(double[] expected, Func<Tensor, Optimizer> make)
    {
        // The reference must have moved: a Step that did nothing cannot pass.
        Assert.True(Enumerable.Range(0, N).Max(i => Math.Abs(expected[i] - Start(i))) > 1e-3, "the reference barely moved; pick a larger learning rate");
        Close(expected, Run(make, DType.Float64, strided: false), 1e-12, "Float64");
        Close(expected, Run(make, DType.Float64, strided: true), 1e-12, "Float64 strided");
        Close(expected, Run(make, DType.Float32, strided: false), 2e-4, "Float32");
    }

    internal static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}, element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Fact] public void Adam_defaults() => Expect(Adam(N, Steps, 1e-3, 0.9, 0.999, 1e-8, 0, false, false, false), p => new Adam([p]));

    [Fact] public void Adam_large_lr() => Expect(Adam(N, Steps, 0.05, 0.9, 0.999, 1e-8, 0, false, false, false), p => new Adam([p], lr: 0.05));

    [Fact] public void Adam_weight_decay_amsgrad() => Expect(Adam(N, Steps, 0.05, 0.8, 0.99, 1e-6, 0.1, true, false, false), p => new Adam([p], lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, amsgrad: true));

    [Fact] public void Adam_maximize_with_small_beta1() => Expect(Adam(N, Steps, 0.05, 0.3, 0.999, 1e-8, 0.01, false, true, false), p => new Adam([p], lr: 0.05, beta1: 0.3, weightDecay: 0.01, maximize: true));

    [Fact] public void AdamW_defaults() => Expect(Adam(N, Steps, 0.05, 0.9, 0.999, 1e-8, 1e-2, false, false, true), p => new AdamW([p], lr: 0.05));

    [Fact] public void AdamW_amsgrad_strong_decay() => Expect(Adam(N, Steps, 0.05, 0.9, 0.999, 1e-8, 0.5, true, false, true), p => new AdamW([p], lr: 0.05, weightDecay: 0.5, amsgrad: true));

    [Fact] public void RMSprop_defaults() => Expect(RMSprop(N, Steps, 1e-2, 0.99, 1e-8, 0, 0, false, false), p => new RMSprop([p]));

    [Fact] public void RMSprop_centered_momentum_weight_decay() => Expect(RMSprop(N, Steps, 1e-2, 0.9, 1e-6, 0.05, 0.8, true, false), p => new RMSprop([p], alpha: 0.9, eps: 1e-6, weightDecay: 0.05, momentum: 0.8, centered: true));

    [Fact] public void RMSprop_centered_without_momentum() => Expect(RMSprop(N, Steps, 1e-2, 0.99, 1e-8, 0, 0, true, false), p => new RMSprop([p], centered: true));

    [Fact] public void RMSprop_momentum_maximize() => Expect(RMSprop(N, Steps, 1e-2, 0.99, 1e-8, 0, 0.5, false, true), p => new RMSprop([p], momentum: 0.5, maximize: true));

    [Fact] public void Adagrad_defaults() => Expect(Adagrad(N, Steps, 1e-2, 0, 0, 0, 1e-10, false), p => new Adagrad([p]));

    [Fact] public void Adagrad_decay_weight_decay_accumulator() => Expect(Adagrad(N, Steps, 0.1, 0.05, 0.1, 0.5, 1e-6, false), p => new Adagrad([p], lr: 0.1, lrDecay: 0.05, weightDecay: 0.1, initialAccumulatorValue: 0.5, eps: 1e-6));

    [Fact] public void Adagrad_maximize() => Expect(Adagrad(N, Steps, 0.1, 0, 0, 0, 1e-10, true), p => new Adagrad([p], lr: 0.1, maximize: true));

    [Fact] public void Sgd_everything() => Expect(Sgd(N, Steps, 0.05, 0.9, 0.25, 0.01, false, false), p => new Sgd([p], lr: 0.05, momentum: 0.9, dampening: 0.25, weightDecay: 0.01));

    [Fact] public void Sgd_nesterov_maximize() => Expect(Sgd(N, Steps, 0.02, 0.9, 0, 0.01, true, true), p => new Sgd([p], lr: 0.02, momentum: 0.9, weightDecay: 0.01, nesterov: true, maximize: true));
}
