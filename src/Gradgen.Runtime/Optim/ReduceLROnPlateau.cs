namespace Gradgen.Optim;

/// <summary>
/// Reduces each group's learning rate by <c>factor</c> when a metric has stopped improving for <c>patience</c> epochs
/// (PyTorch's <c>ReduceLROnPlateau</c>), with PyTorch's threshold modes, cooldown and minimum rates. Step it with the
/// metric: <see cref="Step(double)"/>.
/// </summary>
public sealed class ReduceLROnPlateau : LRScheduler
{
    private readonly bool minimize;
    private readonly bool relative;
    private readonly double factor;
    private readonly int patience;
    private readonly double threshold;
    private readonly int cooldown;
    private readonly double[] minLrs;
    private readonly double eps;
    private int cooldownCounter;

    /// <summary>A plateau schedule for <paramref name="optimizer"/>.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="mode"><c>"min"</c> (a loss: lower is better) or <c>"max"</c> (an accuracy).</param>
    /// <param name="factor">The factor of each reduction, below 1.</param>
    /// <param name="patience">The number of epochs without improvement tolerated before a reduction.</param>
    /// <param name="threshold">How much better counts as an improvement.</param>
    /// <param name="thresholdMode"><c>"rel"</c> (best·(1 ∓ threshold)) or <c>"abs"</c> (best ∓ threshold).</param>
    /// <param name="cooldown">The number of epochs after a reduction during which bad epochs are not counted.</param>
    /// <param name="minLr">The smallest learning rate of every group.</param>
    /// <param name="eps">A reduction smaller than this is not made.</param>
    /// <exception cref="ArgumentException">A mode or the factor is invalid (PyTorch's messages).</exception>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
        string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : base(optimizer, 0)
    {
        if (factor >= 1.0)
        {
            throw new ArgumentException("Factor should be < 1.0.", nameof(factor));
        }

        if (mode is not ("min" or "max"))
        {
            throw new ArgumentException($"mode {mode} is unknown!", nameof(mode));
        }

        if (thresholdMode is not ("rel" or "abs"))
        {
            throw new ArgumentException($"threshold mode {thresholdMode} is unknown!", nameof(thresholdMode));
        }

        minimize = mode == "min";
        relative = thresholdMode == "rel";
        this.factor = factor;
        this.patience = patience;
        this.threshold = threshold;
        this.cooldown = cooldown;
        this.eps = eps;
        minLrs = Enumerable.Repeat(minLr, optimizer.ParamGroups.Count).ToArray();
        Best = minimize ? double.PositiveInfinity : double.NegativeInfinity;
        SetLastLr(PerGroup(GroupLr));
    }

    /// <summary>The best metric so far.</summary>
    public double Best { get; private set; }

    /// <summary>The number of epochs since the last improvement (reset by a reduction and during cooldown).</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Not available: this scheduler needs the metric (<see cref="Step(double)"/>).</summary>
    /// <exception cref="InvalidOperationException">Always.</exception>
    public override void Step() =>
        throw new InvalidOperationException("ReduceLROnPlateau.Step needs the metric it watches: call Step(metric), e.g. Step(validationLoss).");

    /// <summary>Records one epoch's <paramref name="metric"/> and reduces the learning rates after <c>patience</c> epochs without improvement.</summary>
    /// <param name="metric">The watched value (a validation loss, an accuracy).</param>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric))
        {
            Best = metric;
            NumBadEpochs = 0;
        }
        else
        {
            NumBadEpochs++;
        }

        if (cooldownCounter > 0)
        {
            cooldownCounter--;
            NumBadEpochs = 0;
        }

        if (NumBadEpochs > patience)
        {
            var groups = Optimizer.ParamGroups;
            for (int i = 0; i < groups.Count; i++)
            {
                double old = groups[i].Lr;
                double reduced = Math.Max(old * factor, minLrs[i]);
                if (old - reduced > eps)
                {
                    groups[i].Lr = reduced;
                }
            }

            cooldownCounter = cooldown;
            NumBadEpochs = 0;
        }

        SetLastLr(PerGroup(GroupLr));
    }

    private bool IsBetter(double a) => (minimize, relative) switch
    {
        (true, true) => a < Best * (1 - threshold),
        (true, false) => a < Best - threshold,
        (false, true) => a > Best * (threshold + 1),
        _ => a > Best + threshold,
    };

    private protected override double[] ComputeLr() => PerGroup(GroupLr);
}
