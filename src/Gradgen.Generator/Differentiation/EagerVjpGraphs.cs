using System;
using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Ir.Tensors;

namespace Gradgen.Generator.Differentiation;

/// <summary>
/// The one-op tensor graphs behind the runtime's eager backward functions (<c>[EagerVjp]</c>): the operation applied
/// to rank-3 values along dim 1 with the dim kept, differentiated by <see cref="TensorReverseMode"/> with
/// <see cref="Rules.TensorRules"/>. Rank 3 serves every call: the runtime views a tensor of any rank, reduced along any
/// dim, as <c>[outer, size, inner]</c> (the dims before, the dim, the dims after) and its gradient as
/// <c>[outer, 1, inner]</c>, so one generated function covers every rank and a dim known only at run time.
/// </summary>
internal static class EagerVjpGraphs
{
    /// <summary>How many inputs <paramref name="op"/> takes (the function's parameters are these, the result, the gradient); −1 for an operation with no eager backward.</summary>
    public static int InputCount(string op) => op switch
    {
        nameof(TensorOp.Sum) or nameof(TensorOp.Mean) or nameof(TensorOp.Max) or nameof(TensorOp.MaxEvenly) or nameof(TensorOp.MinEvenly) => 1,
        nameof(TensorOp.Gather) => 2,
        _ => -1,
    };

    /// <summary>
    /// The differentiated graph of <paramref name="op"/>: its slots are the inputs, named by <paramref name="names"/>
    /// (the inputs', the result's and the gradient's names, in order), its output the result.
    /// </summary>
    public static TensorGraph Build(string op, IReadOnlyList<string> names)
    {
        var b = new TensorGraphBuilder();
        int outer = b.Shapes.NewSymbol(rigid: true, "outer");
        int size = b.Shapes.NewSymbol(rigid: true, "size");
        int inner = b.Shapes.NewSymbol(rigid: true, "inner");
        int x = b.Parameter(names[0], new[] { outer, size, inner }, names[0]);
        var inputs = new List<int> { x };
        int result;
        switch (op)
        {
            case nameof(TensorOp.Gather):
                int index = b.Parameter(names[1], new[] { outer, b.Shapes.NewSymbol(rigid: true, "count"), inner }, names[1]);
                inputs.Add(index);
                result = b.Gather(x, index, 1, names[2]);
                break;
            case nameof(TensorOp.Sum) or nameof(TensorOp.Mean) or nameof(TensorOp.Max) or nameof(TensorOp.MaxEvenly) or nameof(TensorOp.MinEvenly):
                result = b.Reduce((TensorOp)Enum.Parse(typeof(TensorOp), op), x, 1, keepDim: true, names[1]);
                break;
            default:
                throw new ArgumentException($"{op} has no eager backward.", nameof(op));
        }

        var (gradOutput, gradients) = TensorReverseMode.Differentiate(b, result, inputs);
        return b.ToGraph(result, inputs, gradients, gradOutput, inputRank: 3);
    }
}
