namespace Gradgen.Optim;

/// <summary>
/// Scales each group's learning rate by a factor that moves linearly from <c>startFactor</c> to <c>endFactor</c> over
/// <c>totalIters</c> epochs, then stays (PyTorch's <c>LinearLR</c>): lr = base·(start + (end − start)·min(epoch, total) / total).
/// </summary>
public sealed class LinearLR : LRScheduler
{
    private readonly double startFactor;
    private readonly double endFactor;
    private readonly int totalIters;

    /// <summary>A linear schedule for <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="startFactor">The factor at epoch 0, in (0, 1].</param>
    /// <param name="endFactor">The factor from epoch <paramref name="totalIters"/> on, in [0, 1].</param>
    /// <param name="totalIters">The number of epochs of the ramp.</param>
    /// <param name="lastEpoch">The last epoch when resuming, −1 to start.</param>
    /// <exception cref="ArgumentException">A factor is out of its range (PyTorch's messages).</exception>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5, int lastEpoch = -1)
        : base(optimizer, lastEpoch)
    {
        if (!(startFactor > 0 && startFactor <= 1))
        {
            throw new ArgumentException($"Starting multiplicative factor expected to be greater than 0 and less or equal to 1, got {startFactor}.", nameof(startFactor));
        }

        if (!(endFactor >= 0 && endFactor <= 1))
        {
            throw new ArgumentException($"Ending multiplicative factor expected to be between 0 and 1, got {endFactor}.", nameof(endFactor));
        }

        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = totalIters;
        InitialStep();
    }

    private protected override double[] ComputeLr()
    {
        if (LastEpoch == 0)
        {
            return PerGroup(i => GroupLr(i) * startFactor);
        }

        if (LastEpoch > totalIters)
        {
            return PerGroup(GroupLr);
        }

        double change = (endFactor - startFactor) / ((totalIters * startFactor) + ((LastEpoch - 1) * (endFactor - startFactor)));
        return PerGroup(i => GroupLr(i) * (1 + change));
    }
}
