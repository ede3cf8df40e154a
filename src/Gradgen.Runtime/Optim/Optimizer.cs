namespace Gradgen.Optim;

/// <summary>
/// The base of every optimizer (PyTorch's <c>torch.optim.Optimizer</c>): parameter groups with their own options,
/// <see cref="Step"/>, <see cref="ZeroGrad"/>, and <see cref="StateDict"/>/<see cref="LoadStateDict"/> to resume training.
/// </summary>
public abstract class Optimizer
{
    private protected Optimizer()
    {
    }

    /// <summary>The parameter groups (PyTorch's <c>param_groups</c>); their learning rates may be changed between steps.</summary>
    public abstract IReadOnlyList<ParamGroup> ParamGroups { get; }

    /// <summary>Updates every parameter that has a gradient (PyTorch's <c>step()</c>); parameters whose gradient is null are skipped.</summary>
    public abstract void Step();

    /// <summary>The options of every group and the state of every stepped parameter, as copies (see <see cref="OptimizerStateDict"/>).</summary>
    public abstract OptimizerStateDict StateDict();

    /// <summary>Restores options and state saved by <see cref="StateDict"/> of an optimizer of the same kind over parameters of the same shapes.</summary>
    /// <param name="stateDict">The saved state.</param>
    /// <exception cref="ArgumentException">The groups, parameter counts, names or shapes do not match this optimizer's.</exception>
    public abstract void LoadStateDict(OptimizerStateDict stateDict);

    /// <summary>Clears the gradients of every parameter (PyTorch's <c>zero_grad()</c>): sets them to null by default, as PyTorch 2 does, or zeroes them in place.</summary>
    /// <param name="setToNone">Drop the gradient tensors instead of zeroing them.</param>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var group in ParamGroups)
        {
            ZeroGrads(group.Parameters, setToNone);
        }
    }

    internal static void ZeroGrads(IEnumerable<Tensor> parameters, bool setToNone)
    {
        foreach (var p in parameters)
        {
            if (p.grad is null)
            {
                continue;
            }

            if (setToNone)
            {
                p.ClearGrad();    // an unseen gradient gives its memory back at once
            }
            else
            {
                using (Autograd.Pause())
                {
                    p.grad = p.grad.GradFn is null ? p.grad.Zero() : Tensor.ZerosLike(p.grad);
                }
            }
        }
    }
}
