namespace Gradgen.Optim;

/// <summary>
/// A group of parameters that an optimizer updates with the same options (PyTorch's entries of
/// <c>optimizer.param_groups</c>). Schedulers change <see cref="Lr"/> between steps.
/// </summary>
public abstract class ParamGroup
{
    private protected ParamGroup(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = [.. parameters];
    }

    /// <summary>The tensors of the group, in order.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The learning rate of the group (PyTorch's <c>group['lr']</c>).</summary>
    public abstract double Lr { get; set; }

    /// <summary>
    /// The learning rate a scheduler started from (PyTorch's <c>group['initial_lr']</c>): set by the first scheduler
    /// made for the optimizer, null before.
    /// </summary>
    public double? InitialLr { get; set; }

    /// <summary>The options as an untyped copy, for <see cref="Optimizer.StateDict"/>.</summary>
    internal abstract OptimizerOptions UntypedOptions { get; }
}

/// <summary>A parameter group with the options of one optimizer (<see cref="AdamOptions"/>, <see cref="SgdOptions"/>, …).</summary>
/// <typeparam name="TOptions">The optimizer's options.</typeparam>
public sealed class ParamGroup<TOptions> : ParamGroup
    where TOptions : OptimizerOptions
{
    /// <summary>A group of <paramref name="parameters"/> updated with <paramref name="options"/>.</summary>
    /// <param name="parameters">The tensors of the group.</param>
    /// <param name="options">The options of the group; the optimizer validates them.</param>
    public ParamGroup(IEnumerable<Tensor> parameters, TOptions options)
        : base(parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The group's options; they may be changed between steps.</summary>
    public TOptions Options { get; }

    /// <inheritdoc/>
    public override double Lr
    {
        get => Options.Lr;
        set => Options.Lr = value;
    }

    internal override OptimizerOptions UntypedOptions => Options;
}
