namespace Gradgen;

/// <summary>
/// The backward of the eager reductions, gathers and views, generated from the rule table (DESIGN.md 10: no
/// derivative outside it). Two kinds of <c>[EagerVjp]</c> function:
/// <list type="bullet">
/// <item>A reduction's or gather's is the backward of the operation applied along dim 1 of rank-3 values, with the dim
/// kept; <see cref="Along"/> views a tensor of any rank and a dim known only at run time that way: <c>x</c> as
/// <c>[outer, size, inner]</c> (the dims before the reduced one, it, the dims after), its result and gradient as
/// <c>[outer, 1, inner]</c> (or <c>[outer, count, inner]</c> for a gather), and the gradient it returns back in the
/// input's shape. The parameters are the operation's inputs, its result, then the incoming gradient.</item>
/// <item>A view's takes the input's shape and the call's dims and positions as they are, then the incoming gradient,
/// of any rank: nothing is reshaped to fit a fixed rank, so a view's backward stays a view where it was one.</item>
/// </list>
/// </summary>
internal static partial class EagerVjps
{
    /// <summary>Expand ↔ sum: the gradient summed back to the input's shape (ExpandBackward).</summary>
    [EagerVjp("Expand")]
    internal static partial Tensor ExpandBackward(int[] inShape, Tensor gradOutput);

    /// <summary>Reshape ↔ reshape: the gradient in the input's shape, a view where its strides allow (View, Reshape, Flatten, Squeeze, Unsqueeze).</summary>
    [EagerVjp("Reshape")]
    internal static partial Tensor ViewBackward(int[] inShape, Tensor gradOutput);

    /// <summary>Slice ↔ pad: the gradient at positions start, start + step, … of dim in zeros of the input's shape (Slice, Narrow, and Select after its squeeze).</summary>
    [EagerVjp("Narrow")]
    internal static partial Tensor SliceBackward(int[] inShape, int dim, int start, int step, Tensor gradOutput);

    /// <summary>Transpose ↔ transpose: the gradient with the same two dims swapped back, a view.</summary>
    [EagerVjp("Transpose")]
    internal static partial Tensor TransposeBackward(int dim0, int dim1, Tensor gradOutput);

    /// <summary>Permute ↔ permute by the inverse order (the order non-negative): every dim of the gradient put back, a view.</summary>
    [EagerVjp("Permute")]
    internal static partial Tensor PermuteBackward(int[] order, Tensor gradOutput);

    /// <summary>Σ: the gradient broadcast back, an expanded view of it (no copy).</summary>
    [EagerVjp("Sum")]
    internal static partial Tensor SumBackward(Tensor x, Tensor y, Tensor gradOutput);

    /// <summary>The mean: g/n broadcast back, the quotient computed on the reduced shape and expanded as a view.</summary>
    [EagerVjp("Mean")]
    internal static partial Tensor MeanBackward(Tensor x, Tensor y, Tensor gradOutput);

    /// <summary>torch.amax: PyTorch's (g / ties)·mask, so that a NaN maximum gives its row NaN.</summary>
    [EagerVjp("Max")]
    internal static partial Tensor AmaxBackward(Tensor x, Tensor y, Tensor gradOutput);

    /// <summary>torch.max() of a whole tensor: g shared evenly among the positions holding the maximum (the NaNs when it is NaN), 0 elsewhere.</summary>
    [EagerVjp("MaxEvenly")]
    internal static partial Tensor MaxBackward(Tensor x, Tensor y, Tensor gradOutput);

    /// <summary>torch.min() of a whole tensor, as <see cref="MaxBackward"/>.</summary>
    [EagerVjp("MinEvenly")]
    internal static partial Tensor MinBackward(Tensor x, Tensor y, Tensor gradOutput);

    /// <summary>torch.gather (and the values of Max/Min with indices, IndexSelect): g added back at the positions read.</summary>
    [EagerVjp("Gather")]
    internal static partial Tensor GatherBackward(Tensor x, Tensor index, Tensor y, Tensor gradOutput);

    /// <summary>
    /// Runs a reduction's generated backward for an input of shape <paramref name="inShape"/> reduced along
    /// <paramref name="dim"/> (−1: every element, as one dim), and returns the gradient in <paramref name="inShape"/>.
    /// <paramref name="x"/> and <paramref name="y"/> are the saved input and result, or null for an operation whose
    /// backward reads only the input's shape (Sum, Mean: nothing is saved, as PyTorch saves only sizes); the gradient
    /// may have the result's shape with the dim kept or not.
    /// </summary>
    internal static Tensor Along(Func<Tensor, Tensor, Tensor, Tensor> backward, int[] inShape, int dim, Tensor? x, Tensor? y, Tensor g)
    {
        var (outer, size, inner) = Split(inShape, dim);
        var g3 = g.Reshape(outer, 1, inner);
        var x3 = x?.Reshape(outer, size, inner) ?? ShapeOnly(g3, size);
        var y3 = y?.Reshape(outer, 1, inner) ?? g3;
        return backward(x3, y3, g3).Reshape(inShape);
    }

    /// <summary>
    /// Runs <see cref="GatherBackward"/> for an input of shape <paramref name="inShape"/> read along
    /// <paramref name="dim"/> at <paramref name="index"/> (non-negative positions, the input's rank). Where the index is
    /// smaller than the input in another dim (torch.gather allows it), the index and the gradient are first padded to
    /// the input's size there, the index with position 0 and the gradient with 0: the padding adds nothing.
    /// </summary>
    internal static Tensor Gathered(int[] inShape, int dim, Tensor index, Tensor g)
    {
        var original = inShape;
        if (inShape.Length == 0)
        {
            inShape = [1];
            index = index.Reshape(-1);
            g = g.Reshape(-1);
        }

        var size = index.Shape.ToArray();
        if (index.Ndim == 0)
        {
            size = [1];
        }

        bool padded = false;
        for (int d = 0; d < inShape.Length; d++)
        {
            padded |= d != dim && size[d] != inShape[d];
        }

        if (padded)
        {
            var full = (int[])inShape.Clone();
            full[dim] = size[dim];
            index = PadTo(index.Reshape(size), full);
            g = PadTo(g.Reshape(size), full);
        }

        var (outer, _, inner) = Split(inShape, dim);
        int count = size[dim];
        var g3 = g.Reshape(outer, count, inner);
        return GatherBackward(ShapeOnly(g3, inShape[dim]), index.Reshape(outer, count, inner), g3, g3).Reshape(original);
    }

    static (int Outer, int Size, int Inner) Split(int[] shape, int dim)
    {
        if (dim >= 0)
        {
            return Nn.Functional.Split(shape, dim);
        }

        int n = 1;
        foreach (int s in shape) n *= s;
        return (1, n, 1);
    }

    /// <summary>
    /// A tensor of shape <c>[outer, size, inner]</c> for a backward that reads only the input's shape: the gradient
    /// expanded (a view, no memory), never read as values.
    /// </summary>
    static Tensor ShapeOnly(Tensor g3, int size)
    {
        if (g3.Shape[1] == size) return g3;
        var one = g3.Shape[1] > 0 ? g3.Narrow(1, 0, 1) : Tensor.Zeros([1, 1, 1], g3.DType, g3.Device);
        return one.Expand(g3.Shape[0], size, g3.Shape[2]);
    }

    static Tensor PadTo(Tensor t, int[] shape)
    {
        var full = Tensor.Zeros(shape, t.DType, t.Device);
        var region = full;
        for (int d = 0; d < shape.Length; d++)
        {
            region = region.Narrow(d, 0, t.Shape[d]);
        }

        region.CopyFrom(t);
        return full;
    }
}
