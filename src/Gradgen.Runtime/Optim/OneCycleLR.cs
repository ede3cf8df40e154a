namespace Gradgen.Optim;

/// <summary>
/// The one-cycle policy (PyTorch's <c>OneCycleLR</c>), stepped after every batch: the learning rate rises from
/// maxLr/divFactor to maxLr over the first pctStart of the steps, then anneals to maxLr/(divFactor·finalDivFactor)
/// (cosine or linear); with cycleMomentum the momentum (β₁ for Adam) moves the opposite way between maxMomentum and
/// baseMomentum. With threePhase the rise is mirrored before a final anneal.
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    private readonly int totalSteps;
    private readonly bool cosine;
    private readonly bool cycleMomentum;
    private readonly (double EndStep, Func<int, double> StartLr, Func<int, double> EndLr, Func<double> StartMomentum, Func<double> EndMomentum)[] phases;
    private readonly double[] initialLrs, maxLrs, minLrs;
    private readonly double baseMomentum, maxMomentum;

    /// <summary>A one-cycle schedule for <paramref name="optimizer"/> over <paramref name="totalSteps"/> steps, or <paramref name="epochs"/>·<paramref name="stepsPerEpoch"/>.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="maxLr">The peak learning rate of every group.</param>
    /// <param name="totalSteps">The number of steps of the cycle; or give <paramref name="epochs"/> and <paramref name="stepsPerEpoch"/>.</param>
    /// <param name="epochs">The number of epochs (with <paramref name="stepsPerEpoch"/>).</param>
    /// <param name="stepsPerEpoch">The number of steps per epoch.</param>
    /// <param name="pctStart">The fraction of the steps spent rising, in [0, 1].</param>
    /// <param name="annealStrategy"><c>"cos"</c> or <c>"linear"</c>.</param>
    /// <param name="cycleMomentum">Cycle the momentum inversely to the learning rate.</param>
    /// <param name="baseMomentum">The lowest momentum (at the peak learning rate).</param>
    /// <param name="maxMomentum">The highest momentum (at the start and end).</param>
    /// <param name="divFactor">The starting learning rate is maxLr / divFactor.</param>
    /// <param name="finalDivFactor">The final learning rate is the starting one / finalDivFactor.</param>
    /// <param name="threePhase">Mirror the rise before annealing to the final rate.</param>
    /// <param name="lastEpoch">The index of the last step when resuming, −1 to start.</param>
    /// <exception cref="ArgumentException">The steps, pctStart or annealStrategy are invalid, or momentum is cycled for an optimizer without momentum (PyTorch's messages).</exception>
    public OneCycleLR(Optimizer optimizer, double maxLr, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null, double pctStart = 0.3,
        string annealStrategy = "cos", bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25,
        double finalDivFactor = 1e4, bool threePhase = false, int lastEpoch = -1)
        : base(optimizer, lastEpoch)
    {
        if (totalSteps is { } total)
        {
            if (total <= 0)
            {
                throw new ArgumentException($"Expected positive integer total_steps, but got {total}", nameof(totalSteps));
            }

            this.totalSteps = total;
        }
        else if (epochs is { } e && stepsPerEpoch is { } s)
        {
            if (e <= 0)
            {
                throw new ArgumentException($"Expected positive integer epochs, but got {e}", nameof(epochs));
            }

            if (s <= 0)
            {
                throw new ArgumentException($"Expected positive integer steps_per_epoch, but got {s}", nameof(stepsPerEpoch));
            }

            this.totalSteps = e * s;
        }
        else
        {
            throw new ArgumentException("You must define either total_steps OR (epochs AND steps_per_epoch)");
        }

        if (!(pctStart >= 0 && pctStart <= 1))
        {
            throw new ArgumentException($"Expected float between 0 and 1 pct_start, but got {pctStart}", nameof(pctStart));
        }

        if (annealStrategy is not ("cos" or "linear"))
        {
            throw new ArgumentException($"anneal_strategy must be one of 'cos' or 'linear', instead got {annealStrategy}", nameof(annealStrategy));
        }

        cosine = annealStrategy == "cos";
        var groups = optimizer.ParamGroups;
        if (cycleMomentum && groups.Any(g => g.UntypedOptions.CycledMomentum is null))
        {
            throw new ArgumentException("optimizer must support momentum or beta1 with `cycle_momentum` option enabled", nameof(cycleMomentum));
        }

        this.cycleMomentum = cycleMomentum;
        this.baseMomentum = baseMomentum;
        this.maxMomentum = maxMomentum;
        initialLrs = new double[groups.Count];
        maxLrs = new double[groups.Count];
        minLrs = new double[groups.Count];
        for (int i = 0; i < groups.Count; i++)
        {
            initialLrs[i] = maxLr / divFactor;
            maxLrs[i] = maxLr;
            minLrs[i] = initialLrs[i] / finalDivFactor;
            if (lastEpoch == -1)
            {
                groups[i].InitialLr = initialLrs[i];
                if (cycleMomentum)
                {
                    groups[i].UntypedOptions.CycledMomentum = maxMomentum;
                }
            }
        }

        double rise = (pctStart * this.totalSteps) - 1;
        double last = this.totalSteps - 1;
        phases = threePhase
            ? [
                (rise, i => initialLrs[i], i => maxLrs[i], () => this.maxMomentum, () => this.baseMomentum),
                ((2 * pctStart * this.totalSteps) - 2, i => maxLrs[i], i => initialLrs[i], () => this.baseMomentum, () => this.maxMomentum),
                (last, i => initialLrs[i], i => minLrs[i], () => this.maxMomentum, () => this.maxMomentum),
            ]
            : [
                (rise, i => initialLrs[i], i => maxLrs[i], () => this.maxMomentum, () => this.baseMomentum),
                (last, i => maxLrs[i], i => minLrs[i], () => this.baseMomentum, () => this.maxMomentum),
            ];
        InitialStep();
    }

    private double Anneal(double start, double end, double pct) =>
        cosine ? end + ((start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)) : ((end - start) * pct) + start;

    private protected override double[] ComputeLr()
    {
        int step = LastEpoch;
        if (step > totalSteps)
        {
            throw new InvalidOperationException($"Tried to step {step} times. The specified number of total steps is {totalSteps}");
        }

        var groups = Optimizer.ParamGroups;
        var lrs = new double[groups.Count];
        for (int i = 0; i < lrs.Length; i++)
        {
            double startStep = 0;
            for (int k = 0; k < phases.Length; k++)
            {
                var phase = phases[k];
                if (step <= phase.EndStep || k == phases.Length - 1)
                {
                    double pct = (step - startStep) / (phase.EndStep - startStep);
                    lrs[i] = Anneal(phase.StartLr(i), phase.EndLr(i), pct);
                    if (cycleMomentum)
                    {
                        groups[i].UntypedOptions.CycledMomentum = Anneal(phase.StartMomentum(), phase.EndMomentum(), pct);
                    }

                    break;
                }

                startStep = phase.EndStep;
            }
        }

        return lrs;
    }
}
