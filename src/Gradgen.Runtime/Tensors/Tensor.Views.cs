namespace Gradgen;

/// <summary>A graph node whose backward is a small function of the output gradient (views, copies, shape changes).</summary>
internal sealed class LambdaBackward : GradFn
{
    readonly string name;
    readonly Func<Tensor, Tensor>? backward;
    readonly Func<Tensor, Tensor[], Tensor>? backwardWithSaved;
    readonly SavedTensor[] saved = [];

    public LambdaBackward(string name, Tensor input, Func<Tensor, Tensor> backward)
    {
        this.name = name;
        this.backward = backward;
        SetInputs(input);
    }

    /// <summary>A node that saves tensors for its backward (version-checked, freed after backward unless retained).</summary>
    public LambdaBackward(string name, Tensor input, Tensor[] saved, Func<Tensor, Tensor[], Tensor> backward)
    {
        this.name = name;
        backwardWithSaved = backward;
        this.saved = SaveAll(this, saved);
        SetInputs(input);
    }

    public override string Name => name;

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads) =>
        inputGrads[0] = backward is not null ? backward(grad) : backwardWithSaved!(grad, Unpack(this, saved));

    internal override void ReleaseSaved() => ReleaseAll(saved);

    internal static SavedTensor[] SaveAll(GradFn owner, Tensor[] tensors)
    {
        var s = new SavedTensor[tensors.Length];
        for (int i = 0; i < s.Length; i++) s[i] = owner.Save(tensors[i]);
        return s;
    }

    internal static Tensor[] Unpack(GradFn owner, SavedTensor[] saved)
    {
        var t = new Tensor[saved.Length];
        for (int i = 0; i < t.Length; i++) t[i] = saved[i].Get(owner);
        return t;
    }

    internal static void ReleaseAll(SavedTensor[] saved)
    {
        for (int i = 0; i < saved.Length; i++) saved[i].Release();
    }
}

public partial class Tensor
{
    /// <summary>A view of this tensor's storage with other geometry; recorded as <paramref name="node"/> when needed.</summary>
    Tensor MakeView(int[] newShape, int[] newStrides, int newOffset, string node, Func<Tensor, Tensor> backward)
    {
        var v = new Tensor(storage, newShape, newStrides, newOffset);
        if (Autograd.Recording(this)) v.WithHistory(new LambdaBackward(node, this, backward));
        return v;
    }

    int[] InferShape(int[] newShape, string op)
    {
        ArgumentNullException.ThrowIfNull(newShape);
        var s = (int[])newShape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be inferred (-1) in shape {Shape.Format(newShape)}.");
                infer = i;
            }
            else if (s[i] < 0) throw new ArgumentException($"{op}: invalid dimension {s[i]} in shape {Shape.Format(newShape)}.");
            else known *= s[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
                throw new ArgumentException($"{op}: shape {Shape.Format(newShape)} is invalid for input of size {numel} (shape {ShapeString}).");
            s[infer] = (int)(numel / known);
        }
        else if (known != numel)
            throw new ArgumentException($"{op}: shape {Shape.Format(newShape)} is invalid for input of size {numel} (shape {ShapeString}).");
        return s;
    }

    /// <summary>PyTorch's <c>computeStride</c>: strides that let <paramref name="newShape"/> view this geometry, or null.</summary>
    int[]? ViewStrides(int[] newShape)
    {
        if (numel == 0 || shape.Length == 0 || IsContiguous) return ContiguousStrides(newShape);
        var ns = new int[newShape.Length];
        int viewD = newShape.Length - 1;
        long chunkBase = strides[^1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase))
            {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
                {
                    ns[viewD] = (int)(viewNumel * chunkBase);
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0)
                {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? ns : null;
    }

    /// <summary>
    /// The same elements in another shape, sharing storage (PyTorch's <c>view</c>); one size may be -1 (inferred).
    /// Throws where the strides do not allow a view; <see cref="Reshape"/> copies then.
    /// </summary>
    /// <param name="shape">The new shape.</param>
    public Tensor View(params int[] shape)
    {
        var s = InferShape(shape, "View");
        var st = ViewStrides(s) ?? throw new InvalidOperationException(
            $"View: shape {Shape.Format(s)} is not compatible with the input's shape {ShapeString} and strides {Shape.Format(strides)} " +
            "(at least one dimension spans across two contiguous subspaces). Use Reshape(...) instead, which copies when it must.");
        var inShape = this.shape;
        return MakeView(s, st, offset, "ViewBackward", g => EagerVjps.ViewBackward(inShape, g));
    }

    /// <summary>The same elements in another shape: a view when the strides allow it, else a copy (PyTorch's <c>reshape</c>). One size may be -1.</summary>
    /// <param name="shape">The new shape.</param>
    public Tensor Reshape(params int[] shape)
    {
        var s = InferShape(shape, "Reshape");
        if (s.AsSpan().SequenceEqual(this.shape) && !Autograd.Recording(this)) return this;
        var st = ViewStrides(s);
        var inShape = this.shape;
        if (st is not null) return MakeView(s, st, offset, "ViewBackward", g => EagerVjps.ViewBackward(inShape, g));
        return Contiguous().View(s);
    }

    /// <summary>Dimensions <paramref name="startDim"/> to <paramref name="endDim"/> merged into one (PyTorch's <c>flatten</c>); a view when possible.</summary>
    /// <param name="startDim">The first dimension to merge.</param>
    /// <param name="endDim">The last dimension to merge (default: the last).</param>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (shape.Length == 0) return Reshape(1);
        int s = NormalizeDim(startDim, shape.Length, "Flatten"), e = NormalizeDim(endDim, shape.Length, "Flatten");
        if (s > e) throw new ArgumentException($"Flatten: startDim {startDim} comes after endDim {endDim} for shape {ShapeString}.");
        // As PyTorch: flattening one dimension returns the tensor itself.
        if (s == e) return this;
        var ns = new List<int>();
        for (int i = 0; i < s; i++) ns.Add(shape[i]);
        int m = 1;
        for (int i = s; i <= e; i++) m *= shape[i];
        ns.Add(m);
        for (int i = e + 1; i < shape.Length; i++) ns.Add(shape[i]);
        return Reshape([.. ns]);
    }

    /// <summary>A view with dimensions <paramref name="dim0"/> and <paramref name="dim1"/> swapped.</summary>
    /// <param name="dim0">A dimension.</param>
    /// <param name="dim1">Another dimension.</param>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = NormalizeDim(dim0, shape.Length, "Transpose"), b = NormalizeDim(dim1, shape.Length, "Transpose");
        var ns = (int[])shape.Clone();
        var st = (int[])strides.Clone();
        if (shape.Length > 0)
        {
            (ns[a], ns[b]) = (ns[b], ns[a]);
            (st[a], st[b]) = (st[b], st[a]);
        }
        return MakeView(ns, st, offset, "TransposeBackward", g => EagerVjps.TransposeBackward(a, b, g));
    }

    /// <summary>The transpose of a 2-D tensor, as a view (PyTorch's <c>.T</c>); of a tensor with fewer than two dimensions, a view of it as it is.</summary>
    /// <exception cref="InvalidOperationException">The tensor has more than two dimensions (use <see cref="Permute"/> or <see cref="Transpose"/>).</exception>
    public Tensor T
    {
        get
        {
            // As PyTorch (x.T is x.permute(reversed dims)): a 0-D or 1-D tensor gives a view of itself.
            if (shape.Length < 2) return Permute(shape.Length == 0 ? [] : [0]);
            if (shape.Length > 2)
                throw new InvalidOperationException($"T: the tensor has shape {ShapeString}; T is defined for 2-D tensors. Use Transpose(dim0, dim1) or Permute(...) for more dimensions.");
            return Transpose(0, 1);
        }
    }

    /// <summary>A view with the dimensions reordered: dimension i of the result is dimension <c>dims[i]</c> of this tensor.</summary>
    /// <param name="dims">A permutation of the dimensions.</param>
    public Tensor Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != shape.Length)
            throw new ArgumentException($"Permute: {Shape.Format(dims)} has {dims.Length} entries but the tensor has {shape.Length} dimensions (shape {ShapeString}).");
        var seen = new bool[dims.Length];
        var ns = new int[dims.Length];
        var st = new int[dims.Length];
        var order = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            int d = NormalizeDim(dims[i], shape.Length, "Permute");
            if (seen[d]) throw new ArgumentException($"Permute: dimension {d} appears more than once in {Shape.Format(dims)}.");
            seen[d] = true;
            ns[i] = shape[d];
            st[i] = strides[d];
            order[i] = d;
        }
        return MakeView(ns, st, offset, "PermuteBackward", g => EagerVjps.PermuteBackward(order, g));
    }

    /// <summary>A view with a new dimension of size 1 inserted at <paramref name="dim"/> (PyTorch's <c>unsqueeze</c>).</summary>
    /// <param name="dim">Where the new dimension goes, in [-ndim-1, ndim].</param>
    public Tensor Unsqueeze(int dim)
    {
        int d = NormalizeDim(dim, shape.Length + 1, "Unsqueeze");
        var ns = new int[shape.Length + 1];
        var st = new int[shape.Length + 1];
        for (int i = 0, j = 0; i < ns.Length; i++)
        {
            if (i == d)
            {
                ns[i] = 1;
                st[i] = j < shape.Length ? strides[j] * shape[j] : 1;
            }
            else
            {
                ns[i] = shape[j];
                st[i] = strides[j];
                j++;
            }
        }
        var inShape = shape;
        return MakeView(ns, st, offset, "UnsqueezeBackward", g => EagerVjps.ViewBackward(inShape, g));
    }

    /// <summary>A view without the dimensions of size 1 (PyTorch's <c>squeeze()</c>).</summary>
    public Tensor Squeeze()
    {
        var ns = new List<int>();
        var st = new List<int>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            ns.Add(shape[i]);
            st.Add(strides[i]);
        }
        var inShape = shape;
        return MakeView([.. ns], [.. st], offset, "SqueezeBackward", g => EagerVjps.ViewBackward(inShape, g));
    }

    /// <summary>A view without dimension <paramref name="dim"/> if its size is 1, else this tensor's geometry unchanged (PyTorch's <c>squeeze(dim)</c>).</summary>
    /// <param name="dim">The dimension to remove.</param>
    public Tensor Squeeze(int dim)
    {
        int d = NormalizeDim(dim, shape.Length, "Squeeze");
        var inShape = shape;
        if (shape.Length == 0 || shape[d] != 1) return MakeView(shape, strides, offset, "SqueezeBackward", g => EagerVjps.ViewBackward(inShape, g));
        var ns = new int[shape.Length - 1];
        var st = new int[shape.Length - 1];
        for (int i = 0, j = 0; i < shape.Length; i++)
        {
            if (i == d) continue;
            ns[j] = shape[i];
            st[j++] = strides[i];
        }
        return MakeView(ns, st, offset, "SqueezeBackward", g => EagerVjps.ViewBackward(inShape, g));
    }

    /// <summary>A view of <paramref name="length"/> positions of dimension <paramref name="dim"/> starting at <paramref name="start"/>.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="start">The first position (negative counts from the end).</param>
    /// <param name="length">How many positions.</param>
    public Tensor Narrow(int dim, int start, int length)
    {
        if (shape.Length == 0) throw new InvalidOperationException("Narrow: cannot narrow a zero-dimensional tensor.");
        int d = NormalizeDim(dim, shape.Length, "Narrow");
        if (start < 0) start += shape[d];
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow: start {start} and length {length} do not fit in dimension {d} of size {shape[d]} (shape {ShapeString}).");
        return Slice(d, start, start + length, 1);
    }

    /// <summary>A view of positions start, start + step, … below <paramref name="end"/> of dimension <paramref name="dim"/> (Python's <c>x[start:end:step]</c>); bounds are clamped as in Python.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="start">The first position (negative counts from the end).</param>
    /// <param name="end">The bound, excluded (negative counts from the end).</param>
    /// <param name="step">The step, at least 1.</param>
    public Tensor Slice(int dim, int start, int end, int step = 1)
    {
        if (shape.Length == 0) throw new InvalidOperationException("Slice: cannot slice a zero-dimensional tensor.");
        int d = NormalizeDim(dim, shape.Length, "Slice");
        if (step <= 0) throw new ArgumentOutOfRangeException(nameof(step), $"Slice: step must be positive, got {step}.");
        int size = shape[d];
        if (start < 0) start += size;
        if (end < 0) end += size;
        start = Math.Clamp(start, 0, size);
        end = Math.Clamp(end, start, size);
        // In long: a step near int.MaxValue would overflow the sum.
        int len = (int)(((long)end - start + step - 1) / step);
        var ns = (int[])shape.Clone();
        var st = (int[])strides.Clone();
        ns[d] = len;
        st[d] = strides[d] * step;
        var inShape = shape;
        int s0 = start;
        return MakeView(ns, st, offset + start * strides[d], "SliceBackward", g => EagerVjps.SliceBackward(inShape, d, s0, step, g));
    }

    /// <summary>A view of position <paramref name="index"/> of dimension <paramref name="dim"/>, without that dimension (PyTorch's <c>select</c>, <c>x[i]</c>).</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="index">The position (negative counts from the end).</param>
    public Tensor Select(int dim, int index)
    {
        if (shape.Length == 0) throw new InvalidOperationException("Select: cannot index a zero-dimensional tensor.");
        int d = NormalizeDim(dim, shape.Length, "Select");
        int size = shape[d];
        if (index < -size || index >= size)
            throw new ArgumentOutOfRangeException(nameof(index), $"Select: index {index} is out of range for dimension {d} of size {size} (shape {ShapeString}).");
        if (index < 0) index += size;
        var ns = new int[shape.Length - 1];
        var st = new int[shape.Length - 1];
        for (int i = 0, j = 0; i < shape.Length; i++)
        {
            if (i == d) continue;
            ns[j] = shape[i];
            st[j++] = strides[i];
        }
        var inShape = shape;
        int idx = index;
        // Select is a narrow to one position, then that dim squeezed: its backward is theirs chained, the gradient given
        // the dim back (a view), then padded.
        var narrowed = (int[])shape.Clone();
        narrowed[d] = 1;
        return MakeView(ns, st, offset + index * strides[d], "SelectBackward", g => EagerVjps.SliceBackward(inShape, d, idx, 1, EagerVjps.ViewBackward(narrowed, g)));
    }

    /// <summary>Indexing with integers (select), <see cref="System.Index"/> and ranges (slice), one entry per leading dimension: <c>x[0]</c>, <c>x[.., 1]</c>, <c>x[1..3, ^1]</c>. The result is a view.</summary>
    /// <param name="indices">One entry per leading dimension.</param>
    [System.Runtime.CompilerServices.IndexerName("Indexer")]
    public Tensor this[params TensorIndex[] indices]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(indices);
            if (indices.Length > shape.Length)
                throw new ArgumentException($"Indexer: {indices.Length} indices given for a tensor with {shape.Length} dimensions (shape {ShapeString}).");
            var r = this;
            int dim = 0;
            foreach (var ix in indices)
            {
                int size = r.shape[dim];
                if (ix.isRange)
                {
                    int s = ix.range.Start.IsFromEnd ? size - ix.range.Start.Value : ix.range.Start.Value;
                    int e = ix.range.End.IsFromEnd ? size - ix.range.End.Value : ix.range.End.Value;
                    r = r.Slice(dim, Math.Clamp(s, 0, size), Math.Clamp(e, 0, size));
                    dim++;
                }
                else
                {
                    // ^0 is one past the end (as for arrays); as -0 it would read position 0.
                    if (ix.index.IsFromEnd && ix.index.Value == 0)
                        throw new ArgumentOutOfRangeException(nameof(indices), $"Indexer: index ^0 is out of range for dimension {dim} of size {size} (shape {r.ShapeString}).");
                    int i = ix.index.IsFromEnd ? -ix.index.Value : ix.index.Value;
                    r = r.Select(dim, i);
                }
            }
            return r;
        }
    }

    /// <summary>A view that repeats size-1 dimensions (stride 0) to <paramref name="sizes"/>, adding leading dimensions as needed; -1 keeps a size (PyTorch's <c>expand</c>).</summary>
    /// <param name="sizes">The target shape.</param>
    public Tensor Expand(params int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length < shape.Length)
            throw new ArgumentException($"Expand: the target shape {Shape.Format(sizes)} has fewer dimensions than the tensor's shape {ShapeString}.");
        int lead = sizes.Length - shape.Length;
        var ns = new int[sizes.Length];
        var st = new int[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            int j = i - lead;
            int want = sizes[i];
            if (j < 0)
            {
                if (want < 0) throw new ArgumentException($"Expand: size -1 is not allowed for the new leading dimension {i} in {Shape.Format(sizes)}.");
                ns[i] = want;
                st[i] = 0;
            }
            else if (want == -1 || want == shape[j])
            {
                ns[i] = shape[j];
                st[i] = strides[j];
            }
            else if (shape[j] == 1)
            {
                ns[i] = want;
                st[i] = 0;
            }
            else throw new ArgumentException($"Expand: the size {shape[j]} of dimension {j} (shape {ShapeString}) must match {want} at dimension {i} of {Shape.Format(sizes)}, or be 1.");
        }
        var inShape = shape;
        return MakeView(ns, st, offset, "ExpandBackward", g => EagerVjps.ExpandBackward(inShape, g));
    }

    /// <summary>
    /// This tensor expanded to <paramref name="other"/>'s shape (PyTorch's <c>expand_as</c>): <c>Expand(other.Shape)</c>, a
    /// view that repeats size-1 dimensions (stride 0) and adds leading ones, recorded as <c>ExpandBackward</c> (its
    /// gradient sums the copies). Only <paramref name="other"/>'s shape is read: no gradient flows to it.
    /// </summary>
    /// <param name="other">The tensor whose shape the result takes.</param>
    /// <exception cref="ArgumentException">A dimension of this tensor is neither 1 nor the size of <paramref name="other"/>'s
    /// matching (trailing-aligned) dimension, or <paramref name="other"/> has fewer dimensions.</exception>
    public Tensor ExpandAs(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.shape.Length < shape.Length)
            throw new ArgumentException($"ExpandAs: cannot expand {ShapeString} as {other.ShapeString}, which has fewer dimensions.", nameof(other));
        for (int j = 0, i = other.shape.Length - shape.Length; j < shape.Length; i++, j++)
        {
            if (shape[j] != 1 && shape[j] != other.shape[i])
                throw new ArgumentException($"ExpandAs: cannot expand {ShapeString} as {other.ShapeString}: dimension {j} has size {shape[j]}, which is neither 1 nor {other.shape[i]}.", nameof(other));
        }
        return Expand(other.shape);
    }

    /// <summary>This tensor if <see cref="IsContiguous"/>, else a contiguous copy (recorded as <c>CloneBackward</c>).</summary>
    public Tensor Contiguous() => IsContiguous ? this : Clone();

    /// <summary>A contiguous copy with its own storage; gradients flow back unchanged (<c>CloneBackward</c>).</summary>
    public Tensor Clone()
    {
        var r = CloneData();
        if (Autograd.Recording(this)) r.WithHistory(new LambdaBackward("CloneBackward", this, g => g));
        return r;
    }
}
