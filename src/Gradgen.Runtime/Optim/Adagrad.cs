namespace Gradgen.Optim;

/// <summary>
/// Adagrad (PyTorch's <c>torch.optim.Adagrad</c>), with PyTorch's update order for each parameter p with gradient g at
/// step t:
/// <code>
/// g ← −g                                   (if maximize)
/// g ← g + weightDecay·p                    (if weightDecay ≠ 0)
/// s ← s + g²                               (s starts at initialAccumulatorValue)
/// p ← p − (lr / (1 + (t − 1)·lrDecay))·g / (√s + eps)
/// </code>
/// </summary>
public sealed class Adagrad : Optimizer<AdagradOptions>
{
    /// <summary>An optimizer for <paramref name="parameters"/> in one group, with PyTorch's defaults.</summary>
    /// <param name="parameters">The tensors to optimise: floating-point leaves that require grad, each once.</param>
    /// <param name="lr">The learning rate, ≥ 0.</param>
    /// <param name="lrDecay">The learning-rate decay, ≥ 0.</param>
    /// <param name="weightDecay">The L2 penalty, ≥ 0.</param>
    /// <param name="initialAccumulatorValue">The starting value of the sum of squares, ≥ 0.</param>
    /// <param name="eps">Added to the denominator, ≥ 0.</param>
    /// <param name="maximize">Maximise the objective instead of minimising it.</param>
    /// <exception cref="ArgumentException">A value is invalid (with PyTorch's message), the list is empty, or a tensor is not an optimisable leaf or appears twice.</exception>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : this([new ParamGroup<AdagradOptions>(parameters, new AdagradOptions { Lr = lr, LrDecay = lrDecay, WeightDecay = weightDecay, InitialAccumulatorValue = initialAccumulatorValue, Eps = eps, Maximize = maximize })])
    {
    }

    /// <summary>An optimizer for parameter groups, each with its own options.</summary>
    /// <param name="groups">The groups.</param>
    /// <exception cref="ArgumentException">An option is invalid, there are no parameters, or a tensor is not an optimisable leaf or appears twice.</exception>
    public Adagrad(IEnumerable<ParamGroup<AdagradOptions>> groups)
        : base(groups)
    {
    }

    private protected override string?[] BufferNames { get; } = ["sum", null, null];

    private protected override void Update(Tensor p, Tensor g, AdagradOptions o, ParameterState state)
    {
        long t = ++state.Step;
        var sum = state.Buffer(0, p, o.InitialAccumulatorValue);
        double clr = o.Lr / (1 + ((t - 1) * o.LrDecay));
        FusedUpdate.Run(new AdagradRule(clr, o.Eps, o.WeightDecay, o.Maximize), p, g, sum);
    }

    private readonly record struct AdagradRule(double Clr, double Eps, double WeightDecay, bool Maximize) : IUpdateRule
    {
        public void Apply<TV>(ref TV p, TV g, ref TV sum, ref TV s1, ref TV s2)
            where TV : struct, IUpdateValue<TV>
        {
            var d = Maximize ? -g : g;
            if (WeightDecay != 0)
            {
                d += p * WeightDecay;
            }

            sum += d * d;
            p += d * -Clr / (TV.Sqrt(sum) + Eps);
        }
    }
}
