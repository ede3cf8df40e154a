namespace Gradgen.Optim;

/// <summary>
/// Adam (PyTorch's <c>torch.optim.Adam</c>), with PyTorch's update order and bias corrections for each parameter p
/// with gradient g at step t:
/// <code>
/// g ← −g                                   (if maximize)
/// g ← g + weightDecay·p                    (if weightDecay ≠ 0; AdamW instead: p ← p·(1 − lr·weightDecay))
/// m ← m + (1 − β₁)·(g − m)                 (lerp)
/// v ← β₂·v + (1 − β₂)·g²
/// v̂ ← max(v̂, v)                           (if amsgrad; v̂ is used below instead of v)
/// p ← p − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + eps)
/// </code>
/// </summary>
public class Adam : Optimizer<AdamOptions>
{
    /// <summary>An optimizer for <paramref name="parameters"/> in one group, with PyTorch's defaults.</summary>
    /// <param name="parameters">The tensors to optimise: floating-point leaves that require grad, each once.</param>
    /// <param name="lr">The learning rate, ≥ 0.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">The decay of the second moment, in [0, 1).</param>
    /// <param name="eps">Added to the denominator, ≥ 0.</param>
    /// <param name="weightDecay">The L2 penalty, ≥ 0.</param>
    /// <param name="amsgrad">Use the AMSGrad variant.</param>
    /// <param name="maximize">Maximise the objective instead of minimising it.</param>
    /// <exception cref="ArgumentException">A value is invalid (with PyTorch's message), the list is empty, or a tensor is not an optimisable leaf or appears twice.</exception>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this([new ParamGroup<AdamOptions>(parameters, new AdamOptions { Lr = lr, Beta1 = beta1, Beta2 = beta2, Eps = eps, WeightDecay = weightDecay, Amsgrad = amsgrad, Maximize = maximize })])
    {
    }

    /// <summary>An optimizer for parameter groups, each with its own options.</summary>
    /// <param name="groups">The groups.</param>
    /// <exception cref="ArgumentException">An option is invalid, there are no parameters, or a tensor is not an optimisable leaf or appears twice.</exception>
    public Adam(IEnumerable<ParamGroup<AdamOptions>> groups)
        : base(groups)
    {
    }

    /// <summary>Whether weight decay is decoupled from the gradient (AdamW).</summary>
    private protected virtual bool DecoupledWeightDecay => false;

    private protected override string?[] BufferNames { get; } = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    private protected override void Update(Tensor p, Tensor g, AdamOptions o, ParameterState state)
    {
        long t = ++state.Step;
        var m = state.Buffer(0, p, 0);
        var v = state.Buffer(1, p, 0);
        var vMax = o.Amsgrad ? state.Buffer(2, p, 0) : null;
        double biasCorrection1 = 1 - Math.Pow(o.Beta1, t);
        double biasCorrection2 = 1 - Math.Pow(o.Beta2, t);
        var rule = new AdamRule(o.Lr, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, DecoupledWeightDecay, o.Lr / biasCorrection1, Math.Sqrt(biasCorrection2), o.Amsgrad, o.Maximize);
        FusedUpdate.Run(rule, p, g, m, v, vMax);
    }

    private readonly record struct AdamRule(double Lr, double Beta1, double Beta2, double Eps, double WeightDecay, bool Decoupled, double StepSize, double BiasCorrection2Sqrt, bool Amsgrad, bool Maximize) : IUpdateRule
    {
        public void Apply<TV>(ref TV p, TV g, ref TV m, ref TV v, ref TV vMax)
            where TV : struct, IUpdateValue<TV>
        {
            var d = Maximize ? -g : g;
            if (WeightDecay != 0)
            {
                if (Decoupled)
                {
                    p *= 1 - (Lr * WeightDecay);
                }
                else
                {
                    d += p * WeightDecay;
                }
            }

            m = Lerp.Apply(m, d, 1 - Beta1);
            v = (v * Beta2) + (d * (1 - Beta2) * d);
            TV denominator;
            if (Amsgrad)
            {
                vMax = TV.Max(vMax, v);
                denominator = (TV.Sqrt(vMax) / BiasCorrection2Sqrt) + Eps;
            }
            else
            {
                denominator = (TV.Sqrt(v) / BiasCorrection2Sqrt) + Eps;
            }

            p += m * -StepSize / denominator;
        }
    }
}
