namespace Gradgen.Optim;

/// <summary>Multiplies each group's learning rate by <c>gamma</c> every <c>stepSize</c> epochs (PyTorch's <c>StepLR</c>): lr = base·γ^⌊epoch / stepSize⌋.</summary>
public sealed class StepLR : LRScheduler
{
    private readonly int stepSize;
    private readonly double gamma;

    /// <summary>A step schedule for <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="stepSize">The period of the decay in epochs, ≥ 1.</param>
    /// <param name="gamma">The factor of the decay.</param>
    /// <param name="lastEpoch">The last epoch when resuming, −1 to start.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> is below 1.</exception>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1, int lastEpoch = -1)
        : base(optimizer, lastEpoch)
    {
        if (stepSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "StepLR: stepSize must be at least 1.");
        }

        this.stepSize = stepSize;
        this.gamma = gamma;
        InitialStep();
    }

    private protected override double[] ComputeLr() =>
        PerGroup(i => LastEpoch == 0 || LastEpoch % stepSize != 0 ? GroupLr(i) : GroupLr(i) * gamma);
}
