using System;
using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;

namespace Gradgen.Generator.Rules;

/// <summary>
/// The tensor half of the rule table: the vector-Jacobian product of every tensor operation, written in tensor-graph
/// terms (matmul ↔ two transposed products, broadcast ↔ sum, reshape ↔ reshape, narrow ↔ pad, cat ↔ narrow). An
/// elementwise Map differentiates its scalar body with <see cref="PrimitiveRules"/>: one backward kernel gives the
/// gradient of every input at once. Nothing else in the generator or the runtime knows a derivative.
/// </summary>
internal static class TensorRules
{
    /// <summary>
    /// The gradient contribution of node <paramref name="id"/>'s incoming gradient <paramref name="g"/> to each of its
    /// inputs (−1 where there is none), for the inputs <paramref name="needs"/> says carry a gradient.
    /// </summary>
    public static int[] Vjp(TensorGraphBuilder b, int id, int g, Func<int, bool> needs)
    {
        var node = b[id];
        var x = node.Inputs.AsImmutableArray().ToArray();
        var result = x.Select(_ => -1).ToArray();
        switch (node.Op)
        {
            case TensorOp.Map:
                MapVjp(b, id, g, needs, result);
                break;

            case TensorOp.Linear:
                // y = x·Wᵀ + b: dx = g·W, dW = gᵀ·x over every row, db = g summed over every row.
                result[0] = needs(x[0]) ? b.MatMul(g, x[1], transposeB: false, "∂/∂(" + b[x[0]].Label + ")") : -1;
                result[1] = needs(x[1]) ? b.MatMulAcrossRows(g, x[0], "∂/∂" + b[x[1]].Label) : -1;
                if (x.Length > 2 && needs(x[2]))
                {
                    result[2] = b.SumToShapeOf(g, x[2]);
                }

                break;

            case TensorOp.MatMul when b.Rank(x[1]) == 2:
                // C = A·B′ with B′ = B or Bᵀ, A's leading dims taken as rows: dA = g·B′ᵀ, dB′ = Aᵀ·g over every row.
                result[0] = needs(x[0]) ? b.MatMul(g, x[1], !node.Flag, "∂/∂(" + b[x[0]].Label + ")") : -1;
                result[1] = !needs(x[1]) ? -1 : node.Flag ? b.MatMulAcrossRows(g, x[0], "∂/∂(" + b[x[1]].Label + ")") : b.MatMulAcrossRows(x[0], g, "∂/∂(" + b[x[1]].Label + ")");
                break;

            case TensorOp.MatMul:
                // Batched: dA = g·B′ᵀ, dB′ = Aᵀ·g per batch (transposed back when B was read transposed).
                result[0] = needs(x[0]) ? b.MatMul(g, x[1], !node.Flag, "∂/∂(" + b[x[0]].Label + ")") : -1;
                if (needs(x[1]))
                {
                    result[1] = node.Flag
                        ? b.MatMul(b.Transpose(g, -1, -2, "gᵀ"), x[0], transposeB: false, "∂/∂(" + b[x[1]].Label + ")")
                        : b.MatMul(b.Transpose(x[0], -1, -2, b[x[0]].Label + "ᵀ"), g, transposeB: false, "∂/∂(" + b[x[1]].Label + ")");
                }

                break;

            case TensorOp.Sum:
                result[0] = b.Map(ScalarBodies.Identity, new[] { KeptDim(b, id, g) }, "∂Σ: the gradient broadcast back", shapeOf: x[0]);
                break;

            case TensorOp.Mean:
                result[0] = b.Map(ScalarBodies.Binary(Op.Divide, "g/n"), new[] { KeptDim(b, id, g), b.DimSize(x[0], node.Dim) }, "∂mean: g/n broadcast back", shapeOf: x[0]);
                break;

            case TensorOp.Max:
                {
                    // torch.amax, as PyTorch's scale_grad_by_count: mask·(g / count) with mask the elements equal to the
                    // maximum. The mask is a tensor of its own (it is summed for the count anyway), so that the product
                    // stays a product: a NaN maximum equals no element, and 0·(g/0) gives its row NaN, as PyTorch.
                    var isMax = ScalarBodies.Build(2, (s, p) => s.Select(s.Apply(Op.Equal, p[0], p[1]), s.Constant(1), s.Constant(0)), "x = max");
                    int mask = b.Map(isMax, new[] { x[0], KeptDim(b, id, id) }, "where x is the maximum");
                    int count = b.Reduce(TensorOp.Sum, mask, node.Dim, keepDim: true, "ties");
                    var scaled = ScalarBodies.Build(3, (s, p) => s.Multiply(s.Divide(p[1], p[2]), p[0]), "∂amax: (g / ties)·mask");
                    result[0] = b.Map(scaled, new[] { mask, KeptDim(b, id, g), count }, "∂amax");
                    break;
                }

            case TensorOp.MaxEvenly:
            case TensorOp.MinEvenly:
                {
                    // torch.max()/min() of a whole tensor (evenly_distribute_backward): g shared among the positions that
                    // hold the extremum, the NaNs when it is NaN; every other position gets exactly 0, even from a NaN g.
                    int y = KeptDim(b, id, id);
                    var isExtremum = ScalarBodies.Build(2, (s, p) => s.Select(Holds(s, p[0], p[1]), s.Constant(1), s.Constant(0)), "x holds the extremum");
                    int count = b.Reduce(TensorOp.Sum, b.Map(isExtremum, new[] { x[0], y }, "where x holds the extremum"), node.Dim, keepDim: true, "ties");
                    var share = ScalarBodies.Build(4, (s, p) => s.Select(Holds(s, p[0], p[1]), s.Divide(p[2], p[3]), s.Constant(0)), "∂extremum: g split among ties");
                    result[0] = b.Map(share, new[] { x[0], y, KeptDim(b, id, g), count }, "∂" + (node.Op == TensorOp.MaxEvenly ? "max" : "min"));
                    break;
                }

            case TensorOp.Gather:
                // y = x gathered at index along dim: each read element gets back the gradients of the places it went to.
                result[0] = b.ScatterAddAs(g, x[1], x[0], node.Dim);
                break;

            case TensorOp.LogSumExp:
                {
                    // ∂ log Σ eˣ = g·e^(x − y): the softmax.
                    var softmax = ScalarBodies.Build(3, (s, p) => s.Multiply(p[2], s.Apply(Op.Exp, s.Subtract(p[0], p[1]))), "g·e^(x − lse)");
                    result[0] = b.Map(softmax, new[] { x[0], KeptDim(b, id, id), KeptDim(b, id, g) }, "∂logsumexp");
                    break;
                }

            case TensorOp.Expand:
                // Broadcast ↔ sum: every copy of an element sends its gradient back to it. The other inputs only give sizes.
                result[0] = b.SumToShapeOf(g, x[0]);
                break;

            case TensorOp.Reshape:
                result[0] = b.ReshapeAs(g, x[0]);
                break;

            case TensorOp.Transpose:
                // Its own adjoint: the same two dims swapped back (those of the call, where they are known only at run time).
                result[0] = b.Transpose(g, node.Dim, node.Dim2, "gᵀ", node.Text);
                break;

            case TensorOp.Permute:
                // A reordering's adjoint puts every dim back: the inverse order.
                result[0] = b.Permute(g, node.Text, !node.Flag, "g permuted back", like: x[0]);
                break;

            case TensorOp.Narrow:
                // Narrow ↔ pad: the gradient goes back where the elements were read (with the slice's step), zeros elsewhere.
                // Select is a narrow of one position and a squeeze, so it gets here after the reshape's rule put the dim back.
                result[0] = b.PadAs(g, x[0], node.Dim, node.Start, node.Text, node.Step);
                break;

            case TensorOp.Cat:
                for (int i = 0; i < x.Length; i++)
                {
                    result[i] = needs(x[i]) ? b.CatPiece(g, x, i, node.Dim) : -1;
                }

                break;

            case TensorOp.Conv2d:
                // The convolution's adjoints: dX = the transposed convolution of g by W, dW = g correlated with X, db = g summed per channel.
                for (int i = 0; i < x.Length; i++)
                {
                    result[i] = needs(x[i]) ? b.Conv2dGradient(id, g, i) : -1;
                }

                break;

            case TensorOp.MaxPool2d when node.Index == 0:
                // Each window's gradient goes to its first largest element (PyTorch's choice among ties).
                result[0] = b.MaxPool2dGradient(id, g);
                break;

            case TensorOp.AvgPool2d:
                // Linear in the input: each output's gradient, divided by what its window's sum was divided by, goes to every element of the window.
                result[0] = b.AvgPool2dGradient(id, g);
                break;

            case TensorOp.BatchNorm:
                // Input 1 (the statistics) is not differentiated: where they are the batch's, the input's gradient includes their path.
                result[0] = needs(x[0]) ? b.BatchNormGradient(id, g, 0) : -1;
                if (x.Length > 2)
                {
                    result[2] = needs(x[2]) ? b.BatchNormGradient(id, g, 1) : -1;
                    result[3] = needs(x[3]) ? b.BatchNormGradient(id, g, 2) : -1;
                }

                break;

            case TensorOp.Input:
            case TensorOp.Parameter:
            case TensorOp.RuntimeScalar:
            case TensorOp.DimSize:
            case TensorOp.DropoutMask:
            case TensorOp.BatchNormStatistics:
            case TensorOp.MaxPool2d:
            case TensorOp.GradOutput:
                break;

            default:
                throw new InvalidOperationException($"{node.Op} appears only in backward graphs and has no rule.");
        }

        for (int i = 0; i < x.Length; i++)
        {
            if (!needs(x[i]))
            {
                result[i] = -1;
            }
        }

        return result;
    }

    /// <summary>
    /// The Map's gradients: its body differentiated by the scalar rules into one kernel with an output per input. The
    /// kernel takes only the inputs its body reads (an add's backward reads none of them, so the forward need not keep
    /// them for it), and a gradient that is one of those inputs unchanged (an add's: g itself) is that value, not a
    /// copy written by the kernel.
    /// </summary>
    private static void MapVjp(TensorGraphBuilder b, int id, int g, Func<int, bool> needs, int[] result)
    {
        var node = b[id];
        var body = node.Body!;
        int arity = node.Inputs.Count;
        var scalar = GraphBuilder.FromGraph(body, isFloat: false);
        // Each gradient named after the value it is the gradient of, as the source wrote it: the backward kernel's own
        // parameters are numbered by what it reads, so the forward's p0, p1 would name the wrong ones.
        var names = node.Inputs.Select((input, i) => "(" + (b[input].Label.Length > 0 ? b[input].Label : "input " + i) + ")").ToList();
        var gradients = ReverseModeDifferentiator.Differentiate(scalar, body.Outputs[node.Index], scalar.Parameter(arity), names);
        var (backward, read) = ReadingOnly(FromOutput(scalar.ToGraph(gradients), body.Outputs[node.Index], arity));
        var everyInput = node.Inputs.Concat(new[] { g, id }).ToList();
        var inputs = read.Select(p => everyInput[p]).ToList();
        for (int i = 0; i < arity; i++)
        {
            int input = node.Inputs[i];
            if (!needs(input) || scalar.IsConstant(gradients[i], 0))
            {
                continue;
            }

            var output = backward.Nodes[backward.Outputs[i]];
            int full = output.Op == Op.Parameter && b.SameShape(inputs[(int)output.Value], id)
                ? inputs[(int)output.Value]
                : b.Map(backward, inputs, "∂/∂(" + b[input].Label + ")", index: i, shapeOf: read.Contains(arity) ? -1 : g);
            result[i] = b.SumToShapeOf(full, input);
        }
    }

    /// <summary>
    /// The backward body written in terms of the map's own output where it can then read none of the map's inputs: the
    /// output y becomes parameter <paramref name="arity"/> + 1, after g. That holds where the rules write the derivative
    /// from y (sigmoid′ = y·(1 − y), tanh′ = 1 − y², exp′ = y), and for a map that gives a constant where a comparison
    /// of its input with a constant holds and its input where it fails (relu = z ≤ 0 ? 0 : z, when the constant it
    /// gives passes the comparison): the comparison's answer is then the same for y as for z, so it may read y. The
    /// backward then reads the value forward kept anyway (the next layer's input), not the one before the activation,
    /// which the forward can leave unstored (a layer's output read by its activation alone becomes the product's
    /// epilogue). Otherwise the body as it is, without its dead nodes.
    /// </summary>
    private static IrGraph FromOutput(IrGraph full, int output, int arity)
    {
        // y as a new first node (every other index moves up by one), then each read of y or of z ≤ k read from y.
        int Moved(int index) => index == output ? 0 : index + 1;
        var nodes = new List<IrNode> { new(Op.Parameter, EquatableArray<int>.Empty, arity + 1) };
        nodes.AddRange(full.Nodes.Select(n => n with { Args = n.Args.Select(Moved).ToEquatableArray() }));
        var y = full.Nodes[output];
        if (y.Op == Op.Select && full.Nodes[y.Args[0]] is { Args.Count: 2 } comparison && IsComparison(comparison.Op)
            && comparison.Args[0] == y.Args[2] && full.Nodes[comparison.Args[1]].Op == Op.Constant && full.Nodes[y.Args[1]].Op == Op.Constant
            && Compare(comparison.Op, full.Nodes[y.Args[1]].Value, full.Nodes[comparison.Args[1]].Value))
        {
            nodes[y.Args[0] + 1] = comparison with { Args = new[] { 0, comparison.Args[1] + 1 }.ToEquatableArray() };
        }

        var labels = new[] { string.Empty }.Concat(full.Labels).ToEquatableArray();
        var names = new[] { string.Empty }.Concat(full.Names).ToEquatableArray();
        var substituted = Planning.KernelPlanner.Compact(new IrGraph(nodes.ToEquatableArray(), full.Outputs.Select(Moved).ToEquatableArray(), labels, names)).Graph;
        bool readsInputs = substituted.Nodes.Any(n => n.Op == Op.Parameter && (int)n.Value < arity);
        bool readsOutput = substituted.Nodes.Any(n => n.Op == Op.Parameter && (int)n.Value == arity + 1);
        return readsOutput && !readsInputs ? substituted : Planning.KernelPlanner.Compact(full).Graph;
    }

    private static bool IsComparison(Op op) => op is Op.LessThan or Op.LessThanOrEqual or Op.GreaterThan or Op.GreaterThanOrEqual;

    /// <summary>Whether <c>a op b</c> holds for two constants.</summary>
    private static bool Compare(Op op, double a, double b) => op switch
    {
        Op.LessThan => a < b,
        Op.LessThanOrEqual => a <= b,
        Op.GreaterThan => a > b,
        _ => a >= b,
    };

    /// <summary>The body with its parameters renumbered to the ones it reads, and those parameters' old indices in order.</summary>
    private static (IrGraph Body, List<int> Read) ReadingOnly(IrGraph body)
    {
        var read = body.Nodes.Where(n => n.Op == Op.Parameter).Select(n => (int)n.Value).Distinct().OrderBy(p => p).ToList();
        var nodes = body.Nodes.Select(n => n.Op == Op.Parameter ? n with { Value = read.IndexOf((int)n.Value) } : n).ToEquatableArray();
        return (body with { Nodes = nodes }, read);
    }

    /// <summary>Whether <paramref name="x"/> holds the extremum <paramref name="y"/>: equal to it, or both NaN.</summary>
    private static int Holds(GraphBuilder s, int x, int y) =>
        s.Apply(Op.Or, s.Apply(Op.Equal, x, y), s.Apply(Op.And, s.Apply(Op.NotEqual, x, x), s.Apply(Op.NotEqual, y, y)));

    /// <summary>A reduction's result (or its gradient) with the reduced dim kept as 1, so that it broadcasts back.</summary>
    private static int KeptDim(TensorGraphBuilder b, int reduction, int value)
    {
        var node = b[reduction];
        if (node.Flag)
        {
            return value;
        }

        var shape = new List<int>(b.ShapeOf(value));
        shape.Insert(node.Dim, 1);
        return b.Reshape(value, shape, "Unsqueeze(" + node.Dim + ")", b[value].Label);
    }
}
