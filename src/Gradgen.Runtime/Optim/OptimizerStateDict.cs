namespace Gradgen.Optim;

/// <summary>
/// What an optimizer needs to resume training (PyTorch's <c>optimizer.state_dict()</c>): each group's options and the
/// positions of its parameters, and per parameter (by its position across all groups) the state tensors by
/// PyTorch's names (<c>step</c>, <c>momentum_buffer</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c>,
/// <c>square_avg</c>, <c>grad_avg</c>, <c>sum</c>). Parameters that have not been stepped have no entry.
/// </summary>
/// <param name="ParamGroups">The groups, in order.</param>
/// <param name="State">The state of each stepped parameter by its position.</param>
public sealed record OptimizerStateDict(IReadOnlyList<ParamGroupState> ParamGroups, IReadOnlyDictionary<int, IReadOnlyDictionary<string, Tensor>> State);

/// <summary>One group of an <see cref="OptimizerStateDict"/>.</summary>
/// <param name="Options">The options by PyTorch's names (booleans as 0 and 1; <c>initial_lr</c> when a scheduler set it).</param>
/// <param name="Params">The positions of the group's parameters across all groups.</param>
public sealed record ParamGroupState(IReadOnlyDictionary<string, double> Options, IReadOnlyList<int> Params);
