namespace Gradgen;

/// <summary>
/// Marks a <c>static partial Tensor F(inputs…, result, gradOutput)</c> declaration of the runtime whose body the
/// generator writes: the backward of the tensor operation <see cref="Op"/> (a name of the generator's tensor
/// operations: Sum, Mean, Max, MaxEvenly, MinEvenly, Gather) from its rule table, over rank-3 values along dim 1
/// (see <see cref="EagerVjps"/>). Recognised only in this assembly; nothing a user writes.
/// </summary>
/// <param name="op">The tensor operation.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
internal sealed class EagerVjpAttribute(string op) : Attribute
{
    /// <summary>The tensor operation whose backward the generator writes.</summary>
    public string Op { get; } = op;
}
