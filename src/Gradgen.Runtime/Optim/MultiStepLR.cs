namespace Gradgen.Optim;

/// <summary>Multiplies each group's learning rate by <c>gamma</c> at each milestone epoch (PyTorch's <c>MultiStepLR</c>): lr = base·γ^(milestones passed).</summary>
public sealed class MultiStepLR : LRScheduler
{
    private readonly Dictionary<int, int> milestones = [];
    private readonly double gamma;

    /// <summary>A milestone schedule for <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="milestones">The epochs at which the rate decays (a milestone given twice decays twice, as PyTorch's Counter does).</param>
    /// <param name="gamma">The factor of the decay.</param>
    /// <param name="lastEpoch">The last epoch when resuming, −1 to start.</param>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1, int lastEpoch = -1)
        : base(optimizer, lastEpoch)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        foreach (int m in milestones)
        {
            this.milestones[m] = this.milestones.GetValueOrDefault(m) + 1;
        }

        this.gamma = gamma;
        InitialStep();
    }

    private protected override double[] ComputeLr() =>
        PerGroup(i => milestones.TryGetValue(LastEpoch, out int count) ? GroupLr(i) * Math.Pow(gamma, count) : GroupLr(i));
}
