namespace Gradgen.Optim;

/// <summary>Multiplies each group's learning rate by <c>gamma</c> every epoch (PyTorch's <c>ExponentialLR</c>): lr = base·γ^epoch.</summary>
public sealed class ExponentialLR : LRScheduler
{
    private readonly double gamma;

    /// <summary>An exponential schedule for <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="gamma">The factor of the decay per epoch.</param>
    /// <param name="lastEpoch">The last epoch when resuming, −1 to start.</param>
    public ExponentialLR(Optimizer optimizer, double gamma, int lastEpoch = -1)
        : base(optimizer, lastEpoch)
    {
        this.gamma = gamma;
        InitialStep();
    }

    private protected override double[] ComputeLr() => PerGroup(i => LastEpoch == 0 ? GroupLr(i) : GroupLr(i) * gamma);
}
