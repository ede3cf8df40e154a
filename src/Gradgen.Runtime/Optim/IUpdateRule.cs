namespace Gradgen.Optim;

/// <summary>
/// One optimizer's update of one parameter element-by-element, written once over <see cref="IUpdateValue{TSelf}"/>:
/// <c>p</c> the parameter, <c>g</c> its gradient, and up to three state buffers (momentum,
/// moments, sums), which the rule reads and overwrites. The per-step scalars (learning rate, bias corrections, …)
/// are fields of the rule, fixed for the call.
/// </summary>
internal interface IUpdateRule
{
    /// <summary>Updates the parameter and the state in place.</summary>
    void Apply<TV>(ref TV p, TV g, ref TV s0, ref TV s1, ref TV s2)
        where TV : struct, IUpdateValue<TV>;
}
