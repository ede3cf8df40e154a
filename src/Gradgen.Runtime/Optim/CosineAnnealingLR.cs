namespace Gradgen.Optim;

/// <summary>
/// Cosine annealing (PyTorch's <c>CosineAnnealingLR</c>): lr = ηmin + (base − ηmin)·(1 + cos(π·epoch / tMax)) / 2,
/// computed in PyTorch's chainable form, which continues past tMax as a cosine of period 2·tMax.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    private readonly int tMax;
    private readonly double etaMin;

    /// <summary>A cosine schedule for <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="tMax">The number of epochs from the base rate to <paramref name="etaMin"/>, ≥ 1.</param>
    /// <param name="etaMin">The smallest learning rate.</param>
    /// <param name="lastEpoch">The last epoch when resuming, −1 to start.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tMax"/> is below 1.</exception>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0, int lastEpoch = -1)
        : base(optimizer, lastEpoch)
    {
        if (tMax < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tMax), tMax, "CosineAnnealingLR: tMax must be at least 1.");
        }

        this.tMax = tMax;
        this.etaMin = etaMin;
        InitialStep();
    }

    private protected override double[] ComputeLr()
    {
        int t = LastEpoch;
        if (t == 0)
        {
            return PerGroup(GroupLr);
        }

        if (StepCount == 1 && t > 0)
        {
            return PerGroup(i => etaMin + ((BaseLrs[i] - etaMin) * (1 + Math.Cos(t * Math.PI / tMax)) / 2));
        }

        if ((t - 1 - tMax) % (2 * tMax) == 0)
        {
            return PerGroup(i => GroupLr(i) + ((BaseLrs[i] - etaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2));
        }

        return PerGroup(i => ((1 + Math.Cos(Math.PI * t / tMax)) / (1 + Math.Cos(Math.PI * (t - 1) / tMax)) * (GroupLr(i) - etaMin)) + etaMin);
    }
}
