namespace Gradgen.Optim;

/// <summary>
/// AdamW (PyTorch's <c>torch.optim.AdamW</c>): <see cref="Adam"/> with decoupled weight decay, p ← p·(1 − lr·weightDecay)
/// before the Adam update instead of an L2 term in the gradient; weight decay 1e-2 by default.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>An optimizer for <paramref name="parameters"/> in one group, with PyTorch's defaults.</summary>
    /// <param name="parameters">The tensors to optimise: floating-point leaves that require grad, each once.</param>
    /// <param name="lr">The learning rate, ≥ 0.</param>
    /// <param name="beta1">The decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">The decay of the second moment, in [0, 1).</param>
    /// <param name="eps">Added to the denominator, ≥ 0.</param>
    /// <param name="weightDecay">The decoupled weight decay, ≥ 0.</param>
    /// <param name="amsgrad">Use the AMSGrad variant.</param>
    /// <param name="maximize">Maximise the objective instead of minimising it.</param>
    /// <exception cref="ArgumentException">A value is invalid (with PyTorch's message), the list is empty, or a tensor is not an optimisable leaf or appears twice.</exception>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize)
    {
    }

    /// <summary>An optimizer for parameter groups, each with its own options (set <see cref="OptimizerOptions.WeightDecay"/> for AdamW's decay).</summary>
    /// <param name="groups">The groups.</param>
    /// <exception cref="ArgumentException">An option is invalid, there are no parameters, or a tensor is not an optimisable leaf or appears twice.</exception>
    public AdamW(IEnumerable<ParamGroup<AdamOptions>> groups)
        : base(groups)
    {
    }

    private protected override bool DecoupledWeightDecay => true;
}
