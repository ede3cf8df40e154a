using System;
using System.Collections.Generic;
using System.Linq;

namespace Gradgen.Generator.Ir.Tensors;

/// <summary>A shape that cannot be: the message names both shapes; the parser reports it at the expression.</summary>
internal sealed class ShapeException : Exception
{
    public ShapeException(string message)
        : base(message)
    {
    }

    /// <summary>The input rank the operation needs (a convolution's 4), when the input's rank was the problem; else 0.</summary>
    public int NeedsRank { get; init; }
}

/// <summary>
/// Builds a <see cref="TensorGraph"/> with shape inference as it goes: every node's shape is computed from its
/// operands' (sizes unified through <see cref="ShapeSolver"/>), and an impossible one throws
/// <see cref="ShapeException"/>. Nodes are interned, so a layer applied twice to the same value is computed once.
/// </summary>
internal sealed class TensorGraphBuilder
{
    private readonly List<TensorNode> _nodes = new();
    private readonly Dictionary<TensorNode, int> _interned = new();

    public ShapeSolver Shapes { get; } = new();

    public int Count => _nodes.Count;

    public TensorNode this[int id] => _nodes[id];

    public IReadOnlyList<int> ShapeOf(int id) => _nodes[id].Shape;

    public int Rank(int id) => _nodes[id].Rank;

    public string Format(int id) => Shapes.Format(_nodes[id].Shape);

    /// <summary>The model's input: <paramref name="rank"/> dims, the leading ones batch sizes, the last a feature size; rank 4 is a batch of images.</summary>
    public int Input(int rank)
    {
        var shape = new List<int>();
        if (rank == 4)
        {
            // Images [N, C, H, W]: the layers fix the channels, and the sides only matter where a flattened image meets a Linear.
            shape.Add(Shapes.NewSymbol(rigid: true, "N"));
            shape.AddRange(new[] { "C", "H", "W" }.Select(name => Shapes.NewSymbol(rigid: false, name)));
            return Add(new TensorNode(TensorOp.Input, EquatableArray<int>.Empty, shape.ToEquatableArray(), Label: "input"));
        }

        for (int d = 0; d < rank - 1; d++)
        {
            shape.Add(Shapes.NewSymbol(rigid: true, "B" + d));
        }

        shape.Add(Shapes.NewSymbol(rigid: false, "F"));
        return Add(new TensorNode(TensorOp.Input, EquatableArray<int>.Empty, shape.ToEquatableArray(), Label: "input"));
    }

    public int Parameter(string text, IReadOnlyList<int> shape, string label) =>
        Add(new TensorNode(TensorOp.Parameter, EquatableArray<int>.Empty, shape.ToEquatableArray(), Text: text, Label: label));

    public int RuntimeScalar(string text) =>
        Add(new TensorNode(TensorOp.RuntimeScalar, EquatableArray<int>.Empty, EquatableArray<int>.Empty, Text: text, Label: text));

    public int DimSize(int x, int dim) =>
        Add(new TensorNode(TensorOp.DimSize, new[] { x }.ToEquatableArray(), EquatableArray<int>.Empty, Dim: Normalize(x, dim, "size")));

    public int GradOutput(int like) =>
        Add(new TensorNode(TensorOp.GradOutput, EquatableArray<int>.Empty, _nodes[like].Shape, Label: "gradOutput"));

    /// <summary>Elementwise: the inputs broadcast together (and to <paramref name="shapeOf"/>'s shape, when given).</summary>
    public int Map(IrGraph body, IReadOnlyList<int> inputs, string label, int index = 0, int shapeOf = -1)
    {
        IReadOnlyList<int> shape = shapeOf >= 0 ? _nodes[shapeOf].Shape : Array.Empty<int>();
        foreach (int input in inputs)
        {
            shape = Broadcast(shape, _nodes[input].Shape, input, label);
        }

        if (shapeOf >= 0 && shape.Count != _nodes[shapeOf].Rank)
        {
            throw new ShapeException($"'{label}' broadcasts to {Shapes.Format(shape)}, not to {Format(shapeOf)}");
        }

        return Add(new TensorNode(TensorOp.Map, inputs.ToEquatableArray(), shape.ToEquatableArray(), Body: body, Index: index, Label: label, ShapeOf: shapeOf));
    }

    /// <summary>x·Wᵀ + b: x <c>[…, in]</c>, W <c>[out, in]</c>, b <c>[out]</c> or none.</summary>
    public int Linear(int x, int weight, int bias, string label)
    {
        var xs = _nodes[x].Shape;
        var ws = _nodes[weight].Shape;
        if (xs.Count == 0 || !Shapes.Unify(xs[xs.Count - 1], ws[1]))
        {
            throw new ShapeException($"'{label}' takes {Dim(ws[1])} input features, but its input has shape {Format(x)}");
        }

        var shape = xs.Take(xs.Count - 1).Concat(new[] { ws[0] }).ToList();
        var inputs = bias >= 0 ? new[] { x, weight, bias } : new[] { x, weight };
        return Add(new TensorNode(TensorOp.Linear, inputs.ToEquatableArray(), shape.ToEquatableArray(), Label: label));
    }

    /// <summary>torch.matmul of two values of rank ≥ 2 with equal leading dims (or a 2-D right operand), B transposed when asked.</summary>
    public int MatMul(int a, int b, bool transposeB, string label)
    {
        var sa = _nodes[a].Shape;
        var sb = _nodes[b].Shape;
        if (sa.Count < 2 || sb.Count < 2 || (sb.Count != 2 && sb.Count != sa.Count))
        {
            throw new ShapeException($"'{label}' multiplies {Format(a)} by {Format(b)}: both need rank 2 or more, and equal ranks unless the right one is 2-D");
        }

        int k = sb.Count - (transposeB ? 1 : 2);
        int n = sb.Count - (transposeB ? 2 : 1);
        if (!Shapes.Unify(sa[sa.Count - 1], sb[k]))
        {
            throw new ShapeException($"'{label}' multiplies {Format(a)} by {Format(b)}{(transposeB ? "ᵀ" : string.Empty)}: the inner sizes differ");
        }

        for (int d = 0; d < sb.Count - 2; d++)
        {
            if (!Shapes.Unify(sa[d], sb[d]))
            {
                throw new ShapeException($"'{label}' multiplies {Format(a)} by {Format(b)}: batch dimension {d} differs");
            }
        }

        var shape = sa.Take(sa.Count - 1).Concat(new[] { sb[n] }).ToList();
        return Add(new TensorNode(TensorOp.MatMul, new[] { a, b }.ToEquatableArray(), shape.ToEquatableArray(), Flag: transposeB, Label: label));
    }

    /// <summary>aᵀ·b over every leading dim: <c>[…, m]</c>, <c>[…, n]</c> → <c>[m, n]</c>.</summary>
    public int MatMulAcrossRows(int a, int b, string label)
    {
        var sa = _nodes[a].Shape;
        var sb = _nodes[b].Shape;
        return Add(new TensorNode(TensorOp.MatMulAcrossRows, new[] { a, b }.ToEquatableArray(), new[] { sa[sa.Count - 1], sb[sb.Count - 1] }.ToEquatableArray(), Label: label));
    }

    /// <summary>A reduction (Sum, Mean, Max, LogSumExp) over <paramref name="dim"/>.</summary>
    public int Reduce(TensorOp op, int x, int dim, bool keepDim, string label)
    {
        int d = Normalize(x, dim, label);
        var shape = _nodes[x].Shape.ToList();
        if (keepDim)
        {
            shape[d] = 1;
        }
        else
        {
            shape.RemoveAt(d);
        }

        return Add(new TensorNode(op, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Dim: d, Flag: keepDim, Label: label));
    }

    /// <summary>torch.gather: <paramref name="x"/> read along <paramref name="dim"/> at <paramref name="index"/>, of the same rank; the result has the index's shape.</summary>
    public int Gather(int x, int index, int dim, string label)
    {
        int d = Normalize(x, dim, label);
        if (_nodes[index].Rank != _nodes[x].Rank)
        {
            throw new ShapeException($"'{label}' gathers from {Format(x)} at an index of shape {Format(index)}: the ranks differ");
        }

        return Add(new TensorNode(TensorOp.Gather, new[] { x, index }.ToEquatableArray(), _nodes[index].Shape, Dim: d, Label: label));
    }

    public int ScatterAddAs(int g, int index, int like, int dim) =>
        Add(new TensorNode(TensorOp.ScatterAddAs, new[] { g, index, like }.ToEquatableArray(), _nodes[like].Shape, Dim: dim, Label: "scattered back into " + _nodes[like].Label));

    public int SumToShapeOf(int g, int like) =>
        _nodes[g].Shape.Equals(_nodes[like].Shape) ? g
        : Add(new TensorNode(TensorOp.SumToShapeOf, new[] { g, like }.ToEquatableArray(), _nodes[like].Shape, Label: "Σ to the shape of " + _nodes[like].Label));

    /// <summary>torch.expand of <paramref name="x"/> to <paramref name="shape"/> (its size-1 dims and new leading dims repeated, a view); <paramref name="sizes"/> is the target's C#.</summary>
    public int Expand(int x, IReadOnlyList<int> shape, string sizes, string label) =>
        Add(new TensorNode(TensorOp.Expand, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Text: sizes, Label: label));

    /// <summary>A reshape written as the user wrote it (<paramref name="call"/>), with the shape it gives.</summary>
    public int Reshape(int x, IReadOnlyList<int> shape, string call, string label) =>
        Add(new TensorNode(TensorOp.Reshape, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Text: call, Label: label));

    public int ReshapeAs(int g, int like) =>
        _nodes[g].Shape.Equals(_nodes[like].Shape) ? g
        : Add(new TensorNode(TensorOp.ReshapeAs, new[] { g, like }.ToEquatableArray(), _nodes[like].Shape, Label: "reshaped as " + _nodes[like].Label));

    /// <summary>Dims <paramref name="dim0"/> and <paramref name="dim1"/> swapped, or the dims <paramref name="runTimeDims"/> names (C#, an eager backward's arguments) when given.</summary>
    public int Transpose(int x, int dim0, int dim1, string label, string runTimeDims = "")
    {
        int a = Normalize(x, dim0, label), b = Normalize(x, dim1, label);
        var shape = _nodes[x].Shape.ToList();
        (shape[a], shape[b]) = (shape[b], shape[a]);
        return Add(new TensorNode(TensorOp.Transpose, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Dim: Math.Min(a, b), Dim2: Math.Max(a, b), Text: runTimeDims, Label: label));
    }

    /// <summary>The dims of <paramref name="x"/> reordered by the run-time order <paramref name="order"/> (C#), or by its inverse.</summary>
    public int Permute(int x, string order, bool inverse, string label) =>
        Add(new TensorNode(TensorOp.Permute, new[] { x }.ToEquatableArray(), _nodes[x].Shape, Flag: inverse, Text: order, Label: label));

    /// <summary>
    /// Elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) of <paramref name="dim"/>;
    /// where <paramref name="runTimeArgs"/> (C#: dim, start, step) is given, those known only at run time instead, the
    /// constants then standing for a shape the graph does not check.
    /// </summary>
    public int Narrow(int x, int dim, int start, int length, string label, string runTimeArgs = "")
    {
        int d = Normalize(x, dim, label);
        int size = Shapes.Resolve(_nodes[x].Shape[d]);
        if (runTimeArgs.Length == 0 && (start < 0 || length < 0 || (size >= 0 && start + length > size)))
        {
            throw new ShapeException($"'{label}' takes [{start}, {start + length}) of dimension {d} of {Format(x)}");
        }

        var shape = _nodes[x].Shape.ToList();
        shape[d] = length;
        return Add(new TensorNode(TensorOp.Narrow, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Dim: d, Start: start, Length: length, Text: runTimeArgs, Label: label));
    }

    /// <summary><paramref name="g"/> placed at <paramref name="start"/> of <paramref name="dim"/> in zeros shaped like <paramref name="like"/>, or where a run-time narrow's <paramref name="runTimeArgs"/> say.</summary>
    public int PadAs(int g, int like, int dim, int start, string runTimeArgs = "") =>
        Add(new TensorNode(TensorOp.PadAs, new[] { g, like }.ToEquatableArray(), _nodes[like].Shape, Dim: dim, Start: start, Text: runTimeArgs, Label: "padded to " + _nodes[like].Label));

    public int Cat(IReadOnlyList<int> inputs, int dim, string label)
    {
        int d = Normalize(inputs[0], dim, label);
        var shape = _nodes[inputs[0]].Shape.ToList();
        int total = Shapes.Resolve(shape[d]);
        foreach (int input in inputs.Skip(1))
        {
            var other = _nodes[input].Shape;
            if (other.Count != shape.Count)
            {
                throw new ShapeException($"'{label}' concatenates {Format(inputs[0])} and {Format(input)}: the ranks differ");
            }

            for (int i = 0; i < shape.Count; i++)
            {
                if (i != d && !Shapes.Unify(shape[i], other[i]))
                {
                    throw new ShapeException($"'{label}' concatenates {Format(inputs[0])} and {Format(input)}: dimension {i} differs");
                }
            }

            int size = Shapes.Resolve(other[d]);
            total = total >= 0 && size >= 0 ? total + size : -1;
        }

        shape[d] = total >= 0 ? total : Shapes.NewSymbol(rigid: false, "C");
        return Add(new TensorNode(TensorOp.Cat, inputs.ToEquatableArray(), shape.ToEquatableArray(), Dim: d, Label: label));
    }

    public int CatPiece(int g, IReadOnlyList<int> pieces, int index, int dim) =>
        Add(new TensorNode(TensorOp.CatPiece, new[] { g }.Concat(pieces).ToEquatableArray(), _nodes[pieces[index]].Shape, Index: index, Dim: dim, Label: "piece " + index + " of the gradient of a cat"));

    /// <summary>
    /// A convolution by <paramref name="module"/> (its access in C#): x <c>[N, C, H, W]</c>, weight <c>[O, C / groups,
    /// k, k]</c>, bias <c>[O]</c> or none. The output's height and width depend on the window the run time reads, so
    /// they are new symbols; a layer that needs a size after flattening them fixes it.
    /// </summary>
    public int Conv2d(int x, int weight, int bias, string module, int groups, string label)
    {
        var xs = _nodes[x].Shape;
        var ws = _nodes[weight].Shape;
        if (xs.Count != 4)
        {
            throw new ShapeException($"'{label}' takes images [N, C, H, W], but its input has shape {Format(x)}") { NeedsRank = 4 };
        }

        int channels = Shapes.Resolve(ws[1]);
        if (!(channels >= 0 ? Shapes.Unify(xs[1], channels * groups) : Shapes.Unify(xs[1], ws[1])))
        {
            throw new ShapeException($"'{label}' takes {(channels >= 0 ? channels * groups : -1)} input channels, but its input has shape {Format(x)}");
        }

        var shape = new[] { xs[0], ws[0], Shapes.NewSymbol(rigid: false, "H"), Shapes.NewSymbol(rigid: false, "W") };
        var inputs = bias >= 0 ? new[] { x, weight, bias } : new[] { x, weight };
        return Add(new TensorNode(TensorOp.Conv2d, inputs.ToEquatableArray(), shape.ToEquatableArray(), Text: module, Label: label));
    }

    /// <summary>Gradient <paramref name="which"/> (0: input, 1: weight, 2: bias) of convolution <paramref name="conv"/> from its output's gradient.</summary>
    public int Conv2dGradient(int conv, int g, int which)
    {
        var node = _nodes[conv];
        var shape = _nodes[node.Inputs[which]].Shape;
        string what = which switch { 0 => "(" + _nodes[node.Inputs[0]].Label + ")", 1 => node.Label + ".weight", _ => node.Label + ".bias" };
        return Add(new TensorNode(TensorOp.Conv2dGradient, new[] { g, node.Inputs[0], node.Inputs[1] }.ToEquatableArray(), shape, Index: which, Text: node.Text, Label: "∂/∂" + what));
    }

    /// <summary>Max pooling by <paramref name="module"/> (its access in C#) of x <c>[N, C, H, W]</c>: the window is read at run time, so height and width are new symbols.</summary>
    public int MaxPool2d(int x, string module, string label)
    {
        var xs = _nodes[x].Shape;
        if (xs.Count != 4)
        {
            throw new ShapeException($"'{label}' takes images [N, C, H, W], but its input has shape {Format(x)}") { NeedsRank = 4 };
        }

        var shape = new[] { xs[0], xs[1], Shapes.NewSymbol(rigid: false, "H"), Shapes.NewSymbol(rigid: false, "W") };
        return Add(new TensorNode(TensorOp.MaxPool2d, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Text: module, Label: label));
    }

    /// <summary>
    /// The gradient of max pooling <paramref name="pool"/>'s input from its output's gradient: added at the positions
    /// the pooling took (its second result, the indices, which the forward's call gives with the values).
    /// </summary>
    public int MaxPool2dGradient(int pool, int g)
    {
        var node = _nodes[pool];
        int x = node.Inputs[0];
        int indices = Add(node with { Index = 1, Label = node.Label + " indices" });
        return Add(new TensorNode(TensorOp.MaxPool2dGradient, new[] { g, indices, x }.ToEquatableArray(), _nodes[x].Shape, Text: node.Text, Label: "∂/∂(" + _nodes[x].Label + ")"));
    }

    /// <summary>
    /// Average pooling by <paramref name="module"/> (its access in C#) of x <c>[N, C, H, W]</c> to
    /// <paramref name="height"/> × <paramref name="width"/> (constants, or new symbols where the window is read at run time).
    /// </summary>
    public int AvgPool2d(int x, string module, int height, int width, string label)
    {
        var xs = _nodes[x].Shape;
        if (xs.Count != 4)
        {
            throw new ShapeException($"'{label}' takes images [N, C, H, W], but its input has shape {Format(x)}") { NeedsRank = 4 };
        }

        var shape = new[] { xs[0], xs[1], height, width };
        return Add(new TensorNode(TensorOp.AvgPool2d, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Text: module, Label: label));
    }

    /// <summary>The gradient of average pooling <paramref name="pool"/>'s input from its output's gradient: the same windows and divisors, read from the module.</summary>
    public int AvgPool2dGradient(int pool, int g)
    {
        var node = _nodes[pool];
        int x = node.Inputs[0];
        return Add(new TensorNode(TensorOp.AvgPool2dGradient, new[] { g, x }.ToEquatableArray(), _nodes[x].Shape, Text: node.Text, Label: "∂/∂(" + _nodes[x].Label + ")"));
    }

    /// <summary>The statistics batch norm <paramref name="module"/> (its access in C#) uses on x <c>[N, C, *]</c>: <c>[3, C]</c>.</summary>
    public int BatchNormStatistics(int x, string module, string label) =>
        Add(new TensorNode(TensorOp.BatchNormStatistics, new[] { x }.ToEquatableArray(), new[] { 3, _nodes[x].Shape[1] }.ToEquatableArray(), Text: module, Label: label));

    /// <summary>x normalised with <paramref name="statistics"/>, scaled and shifted when <paramref name="weight"/> and <paramref name="bias"/> are given (≥ 0).</summary>
    public int BatchNorm(int x, int statistics, int weight, int bias, string label)
    {
        var inputs = weight >= 0 ? new[] { x, statistics, weight, bias } : new[] { x, statistics };
        return Add(new TensorNode(TensorOp.BatchNorm, inputs.ToEquatableArray(), _nodes[x].Shape, Label: label));
    }

    /// <summary>Gradient <paramref name="which"/> (0: input, 1: weight, 2: bias) of batch norm <paramref name="norm"/> from its output's gradient.</summary>
    public int BatchNormGradient(int norm, int g, int which)
    {
        var node = _nodes[norm];
        var inputs = new[] { g, node.Inputs[0], node.Inputs[1] }.Concat(node.Inputs.Count > 2 ? new[] { node.Inputs[2] } : Array.Empty<int>());
        int like = which == 0 ? node.Inputs[0] : node.Inputs[which + 1];
        string what = which switch { 0 => "(" + _nodes[node.Inputs[0]].Label + ")", 1 => node.Label + ".weight", _ => node.Label + ".bias" };
        return Add(new TensorNode(TensorOp.BatchNormGradient, inputs.ToEquatableArray(), _nodes[like].Shape, Index: which, Label: "∂/∂" + what));
    }

    public int DropoutMask(int x, string module, string label) =>
        Add(new TensorNode(TensorOp.DropoutMask, new[] { x }.ToEquatableArray(), _nodes[x].Shape, Text: module, Label: label));

    /// <summary>Node <paramref name="id"/> again over other inputs (after fusion replaced them); the shape stays.</summary>
    public int WithInputs(int id, IReadOnlyList<int> inputs) => Add(_nodes[id] with { Inputs = inputs.ToEquatableArray() });

    /// <summary>A dim as the user wrote it (negative counts from the end), made non-negative; out of range is an error.</summary>
    public int Normalize(int x, int dim, string label)
    {
        int rank = _nodes[x].Rank;
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank)
        {
            throw new ShapeException($"'{label}' uses dimension {dim} of {Format(x)}, which has {rank}");
        }

        return d;
    }

    /// <summary>The graph with every shape resolved to constants and representative symbols.</summary>
    public TensorGraph ToGraph(int output, IEnumerable<int> slots, IEnumerable<int> gradients, int gradOutput, int inputRank)
    {
        var nodes = _nodes.Select(n => n with { Shape = n.Shape.Select(Shapes.Resolve).ToEquatableArray() }).ToEquatableArray();
        return new TensorGraph(nodes, output, slots.ToEquatableArray(), gradients.ToEquatableArray(), gradOutput, inputRank);
    }

    /// <summary>A builder holding a finished graph's nodes, for walking it (shapes are resolved: nothing more to infer).</summary>
    public static TensorGraphBuilder FromNodes(TensorGraph graph)
    {
        var builder = new TensorGraphBuilder();
        foreach (var node in graph.Nodes)
        {
            builder._nodes.Add(node);
        }

        return builder;
    }

    private IReadOnlyList<int> Broadcast(IReadOnlyList<int> a, IReadOnlyList<int> b, int input, string label)
    {
        int rank = Math.Max(a.Count, b.Count);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Count ? 1 : a[i - (rank - a.Count)];
            int db = i < rank - b.Count ? 1 : b[i - (rank - b.Count)];
            if (Shapes.Resolve(da) == 1)
            {
                shape[i] = db;
            }
            else if (Shapes.Resolve(db) == 1 || Shapes.Unify(da, db))
            {
                shape[i] = da;
            }
            else
            {
                throw new ShapeException($"'{label}' combines shapes {Shapes.Format(a)} and {Format(input)}, which do not broadcast: dimension {i} has {Dim(da)} vs {Dim(db)}");
            }
        }

        return shape;
    }

    private string Dim(int dim) => Shapes.Format(new[] { dim }).Trim('[', ']');

    private int Add(TensorNode node)
    {
        if (_interned.TryGetValue(node, out int existing))
        {
            return existing;
        }

        _nodes.Add(node);
        _interned[node] = _nodes.Count - 1;
        return _nodes.Count - 1;
    }
}
