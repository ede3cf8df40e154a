using System;
using System.Linq;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;

namespace Gradgen.Generator.Rules;

/// <summary>
/// Scalar bodies of the elementwise operations a model's Forward may apply to tensors: the runtime's activations and
/// tensor math, written in primitives of <see cref="PrimitiveRules"/> (so their derivatives come from the table), and the
/// small bodies the tensor rules need (an add, a broadcast copy). A body's parameters are the Map's inputs in order.
/// </summary>
internal static class ScalarBodies
{
    /// <summary>A body of <paramref name="arity"/> parameters computing <paramref name="build"/>, labelled with <paramref name="label"/>.</summary>
    public static IrGraph Build(int arity, Func<GraphBuilder, int[], int> build, string label)
    {
        // Double constants: the kernels are generic over the element type and round each constant to it (TSimd.Constant).
        var b = new GraphBuilder(isFloat: false);
        var p = Enumerable.Range(0, arity).Select(b.Parameter).ToArray();
        int result = build(b, p);
        b.Label(result, label);
        return b.ToGraph(new[] { result });
    }

    public static IrGraph Binary(Op op, string label) => Build(2, (b, p) => b.Apply(op, p[0], p[1]), label);

    public static IrGraph Identity { get; } = Build(1, (b, p) => p[0], "copy");

    public static IrGraph Add { get; } = Binary(Op.Add, "a + b");

    /// <summary>PyTorch's relu: 0 at and below 0, so its gradient at 0 is 0; NaN stays NaN (the comparison is false for it), as in eager.</summary>
    public static int Relu(GraphBuilder b, int x) => b.Select(b.Apply(Op.LessThanOrEqual, x, b.Constant(0)), b.Constant(0), x);

    /// <summary>x·Φ(x) with Φ(x) = ½(1 + erf(x/√2)), or with <paramref name="tanh"/> PyTorch's approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    public static int Gelu(GraphBuilder b, int x, bool tanh)
    {
        if (tanh)
        {
            int cube = b.Multiply(x, b.Multiply(x, x));
            int inner = b.Multiply(b.Constant(Math.Sqrt(2 / Math.PI)), b.Add(x, b.Multiply(b.Constant(0.044715), cube)));
            return b.Multiply(b.Multiply(b.Constant(0.5), x), b.Add(b.Constant(1), b.Apply(Op.Tanh, inner)));
        }

        int erf = b.Apply(Op.Erf, b.Multiply(x, b.Constant(1 / Math.Sqrt(2))));
        return b.Multiply(b.Multiply(b.Constant(0.5), x), b.Add(b.Constant(1), erf));
    }

    /// <summary>x·σ(x).</summary>
    public static int Silu(GraphBuilder b, int x) => b.Multiply(x, b.Apply(Op.Sigmoid, x));

    /// <summary>x &gt; 0 ? x : slope·x (the gradient at 0 is the slope, as PyTorch's).</summary>
    public static int LeakyRelu(GraphBuilder b, int x, int slope) => b.Select(b.Apply(Op.GreaterThan, x, b.Constant(0)), x, b.Multiply(slope, x));

    /// <summary>
    /// x &gt; 0 ? x : α(eˣ − 1), with eˣ's argument clamped to 0 in the branch not taken (as the runtime's Elu): the
    /// gradient reaches that branch multiplied by 0, and 0·∞ would be NaN.
    /// </summary>
    public static int Elu(GraphBuilder b, int x, int alpha)
    {
        int positive = b.Apply(Op.GreaterThan, x, b.Constant(0));
        int exp = b.Apply(Op.Exp, b.Select(positive, b.Constant(0), x));
        return b.Select(positive, x, b.Multiply(alpha, b.Subtract(exp, b.Constant(1))));
    }

    /// <summary>β·x &gt; threshold ? x : ln(1 + e^(βx))/β, the exponent clamped to the threshold in the branch not taken (as the runtime's Softplus).</summary>
    public static int Softplus(GraphBuilder b, int x, int beta, int threshold)
    {
        int bx = b.Multiply(beta, x);
        int linear = b.Apply(Op.GreaterThan, bx, threshold);
        int soft = b.Divide(b.Apply(Op.Log, b.Add(b.Constant(1), b.Apply(Op.Exp, b.Select(linear, threshold, bx)))), beta);
        return b.Select(linear, x, soft);
    }

    /// <summary>Copies <paramref name="graph"/>'s nodes into <paramref name="b"/> with its parameters replaced by <paramref name="parameters"/>; returns its outputs.</summary>
    public static int[] Inline(GraphBuilder b, IrGraph graph, int[] parameters)
    {
        var map = new int[graph.Nodes.Count];
        for (int id = 0; id < graph.Nodes.Count; id++)
        {
            var node = graph.Nodes[id];
            map[id] = node.Op switch
            {
                Op.Parameter => parameters[(int)node.Value],
                Op.Constant => b.Constant(node.Value),
                Op.GradOutput => throw new InvalidOperationException("A body with a gradient input cannot be inlined."),
                _ => b.Apply(node.Op, node.Args.Select(a => map[a]).ToArray()),
            };
            if (graph.Labels[id].Length > 0)
            {
                b.Label(map[id], graph.Labels[id]);
            }
        }

        return graph.Outputs.Select(o => map[o]).ToArray();
    }
}
