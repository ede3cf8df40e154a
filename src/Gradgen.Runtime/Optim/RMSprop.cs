namespace Gradgen.Optim;

/// <summary>
/// RMSprop (PyTorch's <c>torch.optim.RMSprop</c>), with PyTorch's update order for each parameter p with gradient g:
/// <code>
/// g ← −g                                   (if maximize)
/// g ← g + weightDecay·p                    (if weightDecay ≠ 0)
/// s ← α·s + (1 − α)·g²
/// a ← a + (1 − α)·(g − a);  d ← √(s − a²) + eps     (centered)  |  d ← √s + eps
/// b ← momentum·b + g / d;  p ← p − lr·b   (momentum &gt; 0)  |  p ← p − lr·g / d
/// </code>
/// </summary>
public sealed class RMSprop : Optimizer<RMSpropOptions>
{
    /// <summary>An optimizer for <paramref name="parameters"/> in one group, with PyTorch's defaults.</summary>
    /// <param name="parameters">The tensors to optimise: floating-point leaves that require grad, each once.</param>
    /// <param name="lr">The learning rate, ≥ 0.</param>
    /// <param name="alpha">The smoothing constant, ≥ 0.</param>
    /// <param name="eps">Added to the denominator, ≥ 0.</param>
    /// <param name="weightDecay">The L2 penalty, ≥ 0.</param>
    /// <param name="momentum">The momentum factor, ≥ 0.</param>
    /// <param name="centered">Normalise by the estimated variance of the gradient.</param>
    /// <param name="maximize">Maximise the objective instead of minimising it.</param>
    /// <exception cref="ArgumentException">A value is invalid (with PyTorch's message), the list is empty, or a tensor is not an optimisable leaf or appears twice.</exception>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : this([new ParamGroup<RMSpropOptions>(parameters, new RMSpropOptions { Lr = lr, Alpha = alpha, Eps = eps, WeightDecay = weightDecay, Momentum = momentum, Centered = centered, Maximize = maximize })])
    {
    }

    /// <summary>An optimizer for parameter groups, each with its own options.</summary>
    /// <param name="groups">The groups.</param>
    /// <exception cref="ArgumentException">An option is invalid, there are no parameters, or a tensor is not an optimisable leaf or appears twice.</exception>
    public RMSprop(IEnumerable<ParamGroup<RMSpropOptions>> groups)
        : base(groups)
    {
    }

    private protected override string?[] BufferNames { get; } = ["square_avg", "momentum_buffer", "grad_avg"];

    private protected override void Update(Tensor p, Tensor g, RMSpropOptions o, ParameterState state)
    {
        state.Step++;
        var squareAvg = state.Buffer(0, p, 0);
        var momentumBuffer = o.Momentum > 0 ? state.Buffer(1, p, 0) : null;
        var gradAvg = o.Centered ? state.Buffer(2, p, 0) : null;
        FusedUpdate.Run(new RMSpropRule(o.Lr, o.Alpha, o.Eps, o.WeightDecay, o.Momentum, o.Centered, o.Maximize), p, g, squareAvg, momentumBuffer, gradAvg);
    }

    private readonly record struct RMSpropRule(double Lr, double Alpha, double Eps, double WeightDecay, double Momentum, bool Centered, bool Maximize) : IUpdateRule
    {
        public void Apply<TV>(ref TV p, TV g, ref TV squareAvg, ref TV momentumBuffer, ref TV gradAvg)
            where TV : struct, IUpdateValue<TV>
        {
            var d = Maximize ? -g : g;
            if (WeightDecay != 0)
            {
                d += p * WeightDecay;
            }

            squareAvg = (squareAvg * Alpha) + (d * (1 - Alpha) * d);
            TV avg;
            if (Centered)
            {
                gradAvg = Lerp.Apply(gradAvg, d, 1 - Alpha);
                avg = TV.Sqrt(squareAvg + (gradAvg * -1.0 * gradAvg)) + Eps;
            }
            else
            {
                avg = TV.Sqrt(squareAvg) + Eps;
            }

            if (Momentum > 0)
            {
                momentumBuffer = (momentumBuffer * Momentum) + (d / avg);
                p += momentumBuffer * -Lr;
            }
            else
            {
                p += d * -Lr / avg;
            }
        }
    }
}
