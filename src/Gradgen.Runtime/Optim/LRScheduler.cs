namespace Gradgen.Optim;

/// <summary>
/// The base of the learning-rate schedulers (PyTorch's <c>torch.optim.lr_scheduler.LRScheduler</c>): each
/// <see cref="Step"/> advances <see cref="LastEpoch"/> by one and sets every group's learning rate by the scheduler's
/// rule, in PyTorch's chainable form (from the group's current rate where PyTorch does so). Making a scheduler already
/// steps once (epoch 0), as in PyTorch, and records each group's starting rate as <see cref="ParamGroup.InitialLr"/>.
/// </summary>
public abstract class LRScheduler
{
    private double[] lastLr = [];

    private protected LRScheduler(Optimizer optimizer, int lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        LastEpoch = lastEpoch;
        BaseLrs = [];
    }

    /// <summary>The optimizer whose learning rates are scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The index of the last epoch (or batch, for per-batch schedules); −1 before the first step.</summary>
    public int LastEpoch { get; private protected set; }

    /// <summary>Each group's starting learning rate (its <see cref="ParamGroup.InitialLr"/>).</summary>
    public IReadOnlyList<double> BaseLrs { get; private set; }

    /// <summary>The number of calls to <see cref="Step"/>, the one made by the constructor included.</summary>
    private protected int StepCount { get; private set; }

    /// <summary>Advances one epoch and sets the groups' learning rates (PyTorch's <c>scheduler.step()</c>).</summary>
    public virtual void Step()
    {
        StepCount++;
        LastEpoch++;
        var lrs = ComputeLr();
        var groups = Optimizer.ParamGroups;
        for (int i = 0; i < groups.Count; i++)
        {
            groups[i].Lr = lrs[i];
        }

        lastLr = lrs;
    }

    /// <summary>The learning rate of each group set by the last step (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> GetLastLr() => lastLr;

    /// <summary>The groups' learning rates for <see cref="LastEpoch"/> (PyTorch's <c>get_lr()</c>).</summary>
    private protected abstract double[] ComputeLr();

    /// <summary>The current learning rate of group <paramref name="i"/>.</summary>
    private protected double GroupLr(int i) => Optimizer.ParamGroups[i].Lr;

    /// <summary>Sets the last learning rates without a step (for <see cref="ReduceLROnPlateau"/>).</summary>
    private protected void SetLastLr(double[] lrs) => lastLr = lrs;

    /// <summary>
    /// PyTorch's initial step, called by each scheduler's constructor once its fields are set: records or checks each
    /// group's <see cref="ParamGroup.InitialLr"/>, then steps to epoch <see cref="LastEpoch"/> + 1.
    /// </summary>
    private protected void InitialStep()
    {
        var groups = Optimizer.ParamGroups;
        var baseLrs = new double[groups.Count];
        for (int i = 0; i < groups.Count; i++)
        {
            if (LastEpoch == -1)
            {
                groups[i].InitialLr ??= groups[i].Lr;
            }
            else if (groups[i].InitialLr is null)
            {
                throw new ArgumentException($"{GetType().Name}: param 'initial_lr' is not specified in param_groups[{i}] when resuming an optimizer (lastEpoch {LastEpoch}).");
            }

            baseLrs[i] = groups[i].InitialLr!.Value;
        }

        BaseLrs = baseLrs;
        Step();
    }

    private protected double[] PerGroup(Func<int, double> lr)
    {
        var lrs = new double[Optimizer.ParamGroups.Count];
        for (int i = 0; i < lrs.Length; i++)
        {
            lrs[i] = lr(i);
        }

        return lrs;
    }
}
