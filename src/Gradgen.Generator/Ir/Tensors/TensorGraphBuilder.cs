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

    /// <summary>The model's input: <paramref name="rank"/> dims, the first the batch, the last a feature size; rank 4 is a batch of images.</summary>
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

        // The batch is rigid (only the caller knows it); a later leading dim (T of [B, T, F]) is like an image's side: a
        // layer that acts on it once it is permuted last fixes it, and the run time checks that layer's size.
        for (int d = 0; d < rank - 1; d++)
        {
            shape.Add(Shapes.NewSymbol(rigid: d == 0, "B" + d));
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
        SameShape(g, like) ? g
        : Add(new TensorNode(TensorOp.SumToShapeOf, new[] { g, like }.ToEquatableArray(), _nodes[like].Shape, Label: "Σ to the shape of " + _nodes[like].Label));

    /// <summary>torch.expand of <paramref name="x"/> to <paramref name="shape"/> (its size-1 dims and new leading dims repeated, a view); <paramref name="sizes"/> is the target's C#.</summary>
    public int Expand(int x, IReadOnlyList<int> shape, string sizes, string label) =>
        Add(new TensorNode(TensorOp.Expand, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Text: sizes, Label: label));

    /// <summary>
    /// torch.expand as a model's Forward writes it: <paramref name="sizes"/> has one entry per dim of the result, null
    /// for −1 (keep the input's size), else a constant or a size read at run time (a symbol). New leading dims come
    /// first; an input dim must be 1 (repeated, stride 0) or the size asked for. Sizes the code shows that cannot fit are
    /// shape errors; where a size is known only at run time, the run time's <c>Expand</c> checks it.
    /// </summary>
    /// <param name="x">The expanded value.</param>
    /// <param name="sizes">The target sizes.</param>
    /// <param name="sizesText">The C# of the sizes (<c>$k</c> stands for input k, a size read from <paramref name="sizeSources"/>).</param>
    /// <param name="sizeSources">The values sizes are read from at run time (inputs 1… of the node, no gradient flows to them).</param>
    /// <param name="label">The source expression.</param>
    public int Expand(int x, IReadOnlyList<int?> sizes, string sizesText, IReadOnlyList<int> sizeSources, string label)
    {
        var input = _nodes[x].Shape;
        string target = "[" + string.Join(", ", sizes.Select(s => s is { } size ? Dim(size) : "-1")) + "]";
        if (sizes.Count < input.Count)
        {
            throw new ShapeException($"'{label}' cannot expand {Format(x)} to {target}: the target has fewer dims");
        }

        int lead = sizes.Count - input.Count;
        var shape = new int[sizes.Count];
        for (int i = 0; i < sizes.Count; i++)
        {
            if (i < lead)
            {
                shape[i] = sizes[i] ?? throw new ShapeException($"'{label}' cannot expand {Format(x)} to {target}: -1 keeps a size, and the new leading dim {i} has none");
                continue;
            }

            int have = input[i - lead];
            if (sizes[i] is not { } want)
            {
                shape[i] = have;
                continue;
            }

            int h = Shapes.Resolve(have), w = Shapes.Resolve(want);
            if (h == 1 || h == w)
            {
                shape[i] = want;
            }
            else if (h >= 0 && w >= 0)
            {
                throw new ShapeException($"'{label}' cannot expand {Format(x)} to {target}: dim {i - lead} has size {h}, which is neither 1 nor {w}");
            }
            else
            {
                // A size only the run time knows on either side: the result has the size asked for if it fits, and the run time's Expand throws if it does not.
                shape[i] = h >= 0 ? have : want;
            }
        }

        return Add(new TensorNode(TensorOp.Expand, new[] { x }.Concat(sizeSources).ToEquatableArray(), shape.ToEquatableArray(), Text: sizesText, Label: label));
    }

    /// <summary>A reshape written as the user wrote it (<paramref name="call"/>), with the shape it gives.</summary>
    public int Reshape(int x, IReadOnlyList<int> shape, string call, string label) =>
        Add(new TensorNode(TensorOp.Reshape, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Text: call, Label: label));

    public int ReshapeAs(int g, int like) =>
        SameShape(g, like) ? g
        : Add(new TensorNode(TensorOp.ReshapeAs, new[] { g, like }.ToEquatableArray(), _nodes[like].Shape, Label: "reshaped as " + _nodes[like].Label));

    /// <summary>Dims <paramref name="dim0"/> and <paramref name="dim1"/> swapped, or the dims <paramref name="runTimeDims"/> names (C#, an eager backward's arguments) when given.</summary>
    public int Transpose(int x, int dim0, int dim1, string label, string runTimeDims = "")
    {
        int a = Normalize(x, dim0, label), b = Normalize(x, dim1, label);
        var shape = _nodes[x].Shape.ToList();
        (shape[a], shape[b]) = (shape[b], shape[a]);
        return Add(new TensorNode(TensorOp.Transpose, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Dim: Math.Min(a, b), Dim2: Math.Max(a, b), Text: runTimeDims, Label: label));
    }

    /// <summary>
    /// The dims of <paramref name="x"/> reordered by the run-time order <paramref name="order"/> (C#), or by its inverse,
    /// the result shaped like <paramref name="like"/> where given (the adjoint gives the permuted value its shape back).
    /// </summary>
    public int Permute(int x, string order, bool inverse, string label, int like = -1) =>
        Add(new TensorNode(TensorOp.Permute, new[] { x }.ToEquatableArray(), _nodes[like >= 0 ? like : x].Shape, Flag: inverse, Text: order, Label: label));

    /// <summary>
    /// torch.permute by the constant <paramref name="order"/> (dim i of the result is dim <c>order[i]</c>, negative ones
    /// counting from the end): a permutation of the dims, else a shape error.
    /// </summary>
    public int Permute(int x, IReadOnlyList<int> order, string label)
    {
        var input = _nodes[x].Shape;
        string dims = "[" + string.Join(", ", order) + "]";
        if (order.Count != input.Count)
        {
            throw new ShapeException($"'{label}' permutes {Format(x)} by {dims}, which has {order.Count} dims, not {input.Count}");
        }

        var normalized = new int[order.Count];
        for (int i = 0; i < order.Count; i++)
        {
            int d = order[i] < 0 ? order[i] + input.Count : order[i];
            if (d < 0 || d >= input.Count || Array.IndexOf(normalized, d, 0, i) >= 0)
            {
                throw new ShapeException($"'{label}' permutes {Format(x)} by {dims}, which is not a permutation of its dims: {order[i]} is {(d < 0 || d >= input.Count ? "out of range" : "repeated")}");
            }

            normalized[i] = d;
        }

        var shape = normalized.Select(d => input[d]).ToEquatableArray();
        return Add(new TensorNode(TensorOp.Permute, new[] { x }.ToEquatableArray(), shape, Text: string.Join(", ", normalized), Label: label));
    }

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

    /// <summary>
    /// torch.slice as a model's Forward writes it (<c>x.Slice(dim, start, end, step)</c>): positions start, start + step, …
    /// below end, the bounds clamped as PyTorch clamps them. Where the dim's size is a constant, the bounds are resolved
    /// here (a step of 1 is a plain narrow); else the run time clamps them and the length is a new size.
    /// </summary>
    public int Slice(int x, int dim, int start, int end, int step, string label)
    {
        int d = Normalize(x, dim, label);
        if (step < 1)
        {
            throw new ShapeException($"'{label}' slices dim {d} of {Format(x)} by step {step}: the step must be at least 1");
        }

        var shape = _nodes[x].Shape.ToList();
        int size = Shapes.Resolve(shape[d]);
        if (size < 0)
        {
            shape[d] = Shapes.NewSymbol(rigid: Shapes.IsRigid(shape[d]), "S");
            return Add(new TensorNode(TensorOp.Narrow, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Dim: d, Start: start, Step: step, End: end, Label: label));
        }

        int s = Math.Min(Math.Max(start < 0 ? start + size : start, 0), size);
        int e = Math.Min(Math.Max(end < 0 ? end + size : end, s), size);
        int length = (int)(((long)e - s + step - 1) / step); // in long: a step near int.MaxValue would overflow the sum
        if (step == 1)
        {
            return Narrow(x, d, s, length, label);
        }

        shape[d] = length;
        return Add(new TensorNode(TensorOp.Narrow, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Dim: d, Start: s, Length: length, Step: step, End: e, Label: label));
    }

    /// <summary>
    /// Position <paramref name="index"/> of <paramref name="dim"/> as a narrow of length 1 (the caller squeezes the dim
    /// away: torch.select). Out of range is a shape error where the size is a constant; else a negative index counts
    /// from the end at run time, where the narrow checks the range.
    /// </summary>
    public int SelectOne(int x, int dim, int index, string label)
    {
        int d = Normalize(x, dim, label);
        int size = Shapes.Resolve(_nodes[x].Shape[d]);
        if (size < 0)
        {
            var shape = _nodes[x].Shape.ToList();
            shape[d] = 1;
            return Add(new TensorNode(TensorOp.Narrow, new[] { x }.ToEquatableArray(), shape.ToEquatableArray(), Dim: d, Start: index, Length: 1, Label: label));
        }

        if (index < -size || index >= size)
        {
            throw new ShapeException($"'{label}' selects index {index} of dim {d} of {Format(x)}, whose size is {size}");
        }

        return Narrow(x, d, index < 0 ? index + size : index, 1, label);
    }

    /// <summary>
    /// <paramref name="g"/> placed at <paramref name="start"/> of <paramref name="dim"/> (every <paramref name="step"/>-th
    /// position from it, for a slice's) in zeros shaped like <paramref name="like"/>, or where a run-time narrow's
    /// <paramref name="runTimeArgs"/> say.
    /// </summary>
    public int PadAs(int g, int like, int dim, int start, string runTimeArgs = "", int step = 0) =>
        Add(new TensorNode(TensorOp.PadAs, new[] { g, like }.ToEquatableArray(), _nodes[like].Shape, Dim: dim, Start: start, Text: runTimeArgs, Label: "padded to " + _nodes[like].Label, Step: step));

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

    /// <summary>
    /// Whether two values have the same shape as inference knows it now: dims unified since the values were made (a
    /// later layer that fixed two unknown sizes as one) compare equal, so a backward built before the graph is resolved
    /// needs no Σ or reshape between them.
    /// </summary>
    public bool SameShape(int a, int b) =>
        _nodes[a].Rank == _nodes[b].Rank && _nodes[a].Shape.Zip(_nodes[b].Shape, (x, y) => Shapes.Resolve(x) == Shapes.Resolve(y)).All(same => same);

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
