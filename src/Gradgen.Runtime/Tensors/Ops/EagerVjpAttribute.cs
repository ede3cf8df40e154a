namespace Gradgen;

/// <summary>
/// Marks a <c>static partial Tensor F(…)</c> declaration of the runtime whose body the generator writes: the backward
/// of the tensor operation <see cref="Op"/> (a name of the generator's tensor operations) from its rule table. A
/// reduction's or gather's (Sum, Mean, Max, MaxEvenly, MinEvenly, Gather) takes <c>(inputs…, result, gradOutput)</c>
/// over rank-3 values along dim 1; a view's takes its input's shape and run-time arguments as they are: Expand and
/// Reshape <c>(int[] inShape, gradOutput)</c>, Narrow <c>(int[] inShape, int dim, int start, int step, gradOutput)</c>,
/// Transpose <c>(int dim0, int dim1, gradOutput)</c>, Permute <c>(int[] order, gradOutput)</c> (see <see cref="EagerVjps"/>). Recognised only in this assembly;
/// nothing a user writes.
/// </summary>
/// <param name="op">The tensor operation.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
internal sealed class EagerVjpAttribute(string op) : Attribute
{
    /// <summary>The tensor operation whose backward the generator writes.</summary>
    public string Op { get; } = op;
}
