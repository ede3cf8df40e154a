using System;
using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Ir.Tensors;

namespace Gradgen.Generator.Differentiation;

/// <summary>What one parameter of an <c>[EagerVjp]</c> function is.</summary>
internal enum EagerVjpParameter
{
    /// <summary>A <c>Tensor</c>: an input the backward reads, the result, or the incoming gradient.</summary>
    Tensor,

    /// <summary>An <c>int[]</c>: the shape of an input whose values the backward does not read (a view's input).</summary>
    Shape,

    /// <summary>An <c>int</c>: an argument of the operation known only at run time (a dim, a start, a step).</summary>
    Int,

    /// <summary>An <c>int[]</c>: an argument of the operation known only at run time that is not a shape (a permutation).</summary>
    Ints,
}

/// <summary>
/// The one-op tensor graphs behind the runtime's eager backward functions (<c>[EagerVjp]</c>), differentiated by
/// <see cref="TensorReverseMode"/> with <see cref="Rules.TensorRules"/>. Two kinds serve every rank and every dim:
/// <list type="bullet">
/// <item>A reduction or a gather is built on rank-3 values along dim 1 with the dim kept: the runtime views a tensor of
/// any rank, reduced along any dim, as <c>[outer, size, inner]</c> (the dims before, the dim, the dims after) and its
/// gradient as <c>[outer, 1, inner]</c>.</item>
/// <item>A view (expand, reshape, narrow, transpose, permute) takes its input's shape (<c>int[]</c>) and its dims and positions
/// (<c>int</c>) as arguments, bound to the graph's nodes as C#: each step of its backward reads them at run time, so the
/// rank its graph is built at is only nominal, and the gradient is never reshaped to fit one (a view stays a view).</item>
/// </list>
/// </summary>
internal static class EagerVjpGraphs
{
    /// <summary>
    /// The parameters a function for <paramref name="op"/> takes, in order, or null for an operation with no eager
    /// backward: a reduction's or a gather's inputs, result and gradient; a view's input shape, run-time arguments and gradient.
    /// </summary>
    public static EagerVjpParameter[]? Signature(string op) => op switch
    {
        nameof(TensorOp.Sum) or nameof(TensorOp.Mean) or nameof(TensorOp.Max) or nameof(TensorOp.MaxEvenly) or nameof(TensorOp.MinEvenly) => Tensors(3),
        nameof(TensorOp.Gather) => Tensors(4),
        nameof(TensorOp.Expand) or nameof(TensorOp.Reshape) => new[] { EagerVjpParameter.Shape, EagerVjpParameter.Tensor },
        nameof(TensorOp.Narrow) => new[] { EagerVjpParameter.Shape, EagerVjpParameter.Int, EagerVjpParameter.Int, EagerVjpParameter.Int, EagerVjpParameter.Tensor },
        nameof(TensorOp.Transpose) => new[] { EagerVjpParameter.Int, EagerVjpParameter.Int, EagerVjpParameter.Tensor },
        nameof(TensorOp.Permute) => new[] { EagerVjpParameter.Ints, EagerVjpParameter.Tensor },
        _ => null,
    };

    /// <summary>Whether the function for <paramref name="op"/> is a view's (shape and run-time arguments), rather than a rank-3 reduction's or gather's.</summary>
    public static bool IsView(string op) => Signature(op) is { } signature && signature[signature.Length - 1] == EagerVjpParameter.Tensor && !signature.Take(signature.Length - 1).Contains(EagerVjpParameter.Tensor);

    /// <summary>
    /// The differentiated graph of <paramref name="op"/>: its slots are the inputs, named by <paramref name="names"/>
    /// (the function's parameters, in the order of <see cref="Signature"/>), its output the result.
    /// </summary>
    public static TensorGraph Build(string op, IReadOnlyList<string> names)
    {
        var b = new TensorGraphBuilder();
        int Symbol(string name) => b.Shapes.NewSymbol(rigid: true, name);
        if (IsView(op))
        {
            // Nominal rank 1: input [size] to result [other]; the printed steps take their shapes and dims from the
            // arguments. A transpose's or permute's backward never reads its input: it stands in with a name of its own.
            string x = Signature(op)![0] == EagerVjpParameter.Shape ? names[0] : "input";
            int input = b.Parameter(x, new[] { Symbol("size") }, x);
            int[] shape = { Symbol("other") };
            string Arguments(int first, int count) => string.Join(", ", names.Skip(first).Take(count));
            int view = op switch
            {
                nameof(TensorOp.Expand) => b.Expand(input, shape, "sizes", x + " expanded"),
                nameof(TensorOp.Reshape) => b.Reshape(input, shape, "Reshape(shape)", x + " reshaped"),
                nameof(TensorOp.Narrow) => b.Narrow(input, 0, 0, 0, x + " sliced", Arguments(1, 3)),
                nameof(TensorOp.Transpose) => b.Transpose(input, 0, 0, x + " transposed", Arguments(0, 2)),
                nameof(TensorOp.Permute) => b.Permute(input, names[0], inverse: false, "permuted by " + names[0]),
                _ => throw new ArgumentException($"{op} is not a view.", nameof(op)),
            };
            var (viewGradient, viewGradients) = TensorReverseMode.Differentiate(b, view, new[] { input });
            return b.ToGraph(view, new[] { input }, viewGradients, viewGradient, inputRank: 1);
        }

        int outer = Symbol("outer");
        int size = Symbol("size");
        int inner = Symbol("inner");
        int reduced = b.Parameter(names[0], new[] { outer, size, inner }, names[0]);
        var inputs = new List<int> { reduced };
        int result;
        switch (op)
        {
            case nameof(TensorOp.Gather):
                int index = b.Parameter(names[1], new[] { outer, Symbol("count"), inner }, names[1]);
                inputs.Add(index);
                result = b.Gather(reduced, index, 1, names[2]);
                break;
            case nameof(TensorOp.Sum) or nameof(TensorOp.Mean) or nameof(TensorOp.Max) or nameof(TensorOp.MaxEvenly) or nameof(TensorOp.MinEvenly):
                result = b.Reduce((TensorOp)Enum.Parse(typeof(TensorOp), op), reduced, 1, keepDim: true, names[1]);
                break;
            default:
                throw new ArgumentException($"{op} has no eager backward.", nameof(op));
        }

        var (gradOutput, gradients) = TensorReverseMode.Differentiate(b, result, inputs);
        return b.ToGraph(result, inputs, gradients, gradOutput, inputRank: 3);
    }

    private static EagerVjpParameter[] Tensors(int count) => Enumerable.Repeat(EagerVjpParameter.Tensor, count).ToArray();
}
