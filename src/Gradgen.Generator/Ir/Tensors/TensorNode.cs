using System.Collections.Generic;
using System.Linq;

namespace Gradgen.Generator.Ir.Tensors;

/// <summary>
/// One value of the tensor graph. Like <see cref="IrNode"/> it names its operands by index into a list kept in
/// topological order, so a graph is a plain, structurally comparable value.
/// </summary>
/// <param name="Op">The operation.</param>
/// <param name="Inputs">Indices of the operands (earlier nodes).</param>
/// <param name="Shape">The value's shape after inference: a constant size (≥ 0), or a symbol (&lt; 0) for a size known only at run time.</param>
/// <param name="Body">For <see cref="TensorOp.Map"/>: the scalar function, its parameters the inputs in order.</param>
/// <param name="Index">Which output of a Map's body, or of a Cat's pieces.</param>
/// <param name="Dim">The dimension an operation acts on (normalised to be non-negative).</param>
/// <param name="Dim2">The second dimension of a transpose.</param>
/// <param name="Start">The first index of a narrow or pad.</param>
/// <param name="Length">The length of a narrow.</param>
/// <param name="Flag">keepDim of a reduction; B transposed for MatMul.</param>
/// <param name="Text">
/// C#: what a parameter or run-time scalar reads, the call of a reshape (<c>$0</c> in it stands for the reshaped value),
/// the sizes of an expand, the module of a mask, a convolution or a pooling; for a narrow, pad or transpose of an eager
/// backward (whose dims and positions are the arguments of the call, known only at run time) the C# of those
/// arguments, printed in place of <paramref name="Dim"/>, <paramref name="Dim2"/> and <paramref name="Start"/>.
/// </param>
/// <param name="Label">The source expression it came from, for comments in the generated code.</param>
/// <param name="ShapeOf">For a Map that broadcasts its inputs up (the adjoint of a reduction): the node whose shape it takes, else −1.</param>
/// <param name="Step">
/// For a narrow or pad of a model's <c>Slice</c>: the step (≥ 1), the narrow then reading [<paramref name="Start"/>,
/// <paramref name="End"/>) by it with the bounds clamped at run time as PyTorch clamps them (negative ones counting
/// from the end); 0 for a plain narrow (a negative <paramref name="Start"/> then counts from the end of a dim whose
/// size only the run time knows, as <c>Select(dim, −1)</c> reads it).
/// </param>
/// <param name="End">The bound of a slice, as written (see <paramref name="Step"/>).</param>
internal sealed record TensorNode(
    TensorOp Op,
    EquatableArray<int> Inputs,
    EquatableArray<int> Shape,
    IrGraph? Body = null,
    int Index = 0,
    int Dim = 0,
    int Dim2 = 0,
    int Start = 0,
    int Length = 0,
    bool Flag = false,
    string Text = "",
    string Label = "",
    int ShapeOf = -1,
    int Step = 0,
    int End = 0)
{
    public int Rank => Shape.Count;

    /// <summary>
    /// The inputs whose values the operation reads, not only their shapes: a Σ, reshape or pad to the shape of a value,
    /// a scatter into zeros shaped like one, a cut at the sizes of others, a mask shaped like its input, the size of a
    /// dim and the sizes an expand reads at run time read none of those values (a bias changed in place before the
    /// backward, whose gradient is only summed to its shape, is no error).
    /// </summary>
    public IEnumerable<int> ValuesRead => Op switch
    {
        TensorOp.SumToShapeOf or TensorOp.ReshapeAs or TensorOp.PadAs or TensorOp.CatPiece or TensorOp.Expand => Inputs.Take(1),
        TensorOp.ScatterAddAs or TensorOp.MaxPool2dGradient => Inputs.Take(2),
        TensorOp.DropoutMask or TensorOp.DimSize => Enumerable.Empty<int>(),
        _ => Inputs,
    };
}
