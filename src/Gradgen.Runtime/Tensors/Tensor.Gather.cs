namespace Gradgen;

public partial class Tensor
{
    /// <summary>
    /// Values picked along <paramref name="dim"/> by <paramref name="index"/> (PyTorch's <c>torch.gather</c>): for a
    /// 3-D input and dim 1, <c>out[i, j, k] = this[i, index[i, j, k], k]</c>. The index is an Int64 or Int32 tensor
    /// with as many dimensions as this one and no larger in any other dimension; the result has its shape. Recorded
    /// as <c>GatherBackward</c> (the gradient is scatter-added back).
    /// </summary>
    /// <param name="dim">The dimension to pick along.</param>
    /// <param name="index">The positions, in [-size, size) of that dimension.</param>
    public Tensor Gather(int dim, Tensor index)
    {
        Checked(index);
        int d = NormalizeDim(dim, shape.Length, "Gather");
        var idx = CheckIndex(index, d, "Gather");
        var r = GatherCore(this, d, idx);
        if (Autograd.Recording(this)) r.WithHistory(new LambdaBackward("GatherBackward", this, [idx], (g, s) => EagerVjps.Gathered(shape, d, s[0], g)));
        return r;
    }

    /// <summary>
    /// The slices at positions <paramref name="index"/> (1-D, Int64 or Int32) of dimension <paramref name="dim"/>, in
    /// that order, as a new tensor (PyTorch's <c>index_select</c>). Recorded as <c>IndexSelectBackward</c>.
    /// </summary>
    /// <param name="dim">The dimension to select along.</param>
    /// <param name="index">The positions; may repeat.</param>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        Checked(index);
        if (index.Ndim > 1) throw new ArgumentException($"IndexSelect: the index must be 1-D, got shape {index.ShapeString}.", nameof(index));
        int d = NormalizeDim(dim, shape.Length, "IndexSelect");
        // The positions are checked even where the result has no elements (another dimension is empty), as PyTorch.
        if (index.DType.IsIntegral() && index.NumElements > 0)
        {
            int size = shape.Length == 0 ? 1 : shape[d];
            foreach (long v in index.Contiguous().To(DType.Int64).ToArray<long>())
                if (v < -size || v >= size)
                    throw new ArgumentOutOfRangeException(nameof(index), $"IndexSelect: index {v} is out of range for dimension {d} of size {size} (shape {ShapeString}).");
        }
        // A 0-D tensor is selected from as one element (PyTorch gives a 0-D result): a single position, which must be
        // 0 or -1. PyTorch 1.13 also returns one 0-D value for several positions (and 0 for none); Gradgen refuses those.
        if (shape.Length == 0 && index.NumElements != 1)
            throw new ArgumentException($"IndexSelect: a 0-D tensor holds one element, so the index must hold one position; got shape {index.ShapeString}. Reshape(1) the tensor to select it several times.", nameof(index));
        var view = new int[Math.Max(shape.Length, 1)];
        Array.Fill(view, 1);
        view[d] = index.NumElements;
        var outShape = (int[])shape.Clone();
        if (outShape.Length > 0) outShape[d] = index.NumElements;
        Tensor expanded;
        using (Autograd.Pause()) expanded = shape.Length == 0 ? index.Detach().Reshape() : index.Detach().Reshape(view).Expand(outShape);
        var idx = CheckIndex(expanded, d, "IndexSelect");
        var r = GatherCore(this, d, idx);
        if (Autograd.Recording(this)) r.WithHistory(new LambdaBackward("IndexSelectBackward", this, [idx], (g, s) => EagerVjps.Gathered(shape, d, s[0], g)));
        return r;
    }

    /// <summary>Validates an index tensor for gathering along <paramref name="dim"/> and returns it as Int64 with negative positions wrapped.</summary>
    Tensor CheckIndex(Tensor index, int dim, string op)
    {
        if (!index.DType.IsIntegral())
            throw new ArgumentException($"{op}: the index must have dtype Int64 or Int32, got {index.DType}.", nameof(index));
        int nd = Math.Max(shape.Length, 1);
        if (Math.Max(index.Ndim, 1) != nd)
            throw new ArgumentException($"{op}: the index has shape {index.ShapeString} but the input has shape {ShapeString}; they need the same number of dimensions.", nameof(index));
        for (int i = 0; i < index.Ndim; i++)
            if (i != dim && index.shape[i] > shape[i])
                throw new ArgumentException($"{op}: the index of shape {index.ShapeString} is larger than the input of shape {ShapeString} in dimension {i} ({index.shape[i]} vs {shape[i]}).", nameof(index));
        int size = shape.Length == 0 ? 1 : shape[dim];
        var values = index.ToArray<long>();
        for (int i = 0; i < values.Length; i++)
        {
            long v = values[i];
            if (v < -size || v >= size)
                throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index {v} is out of range for dimension {dim} of size {size} (input shape {ShapeString}).");
            if (v < 0) values[i] = v + size;
        }
        return new Tensor(new Storage<long>(values), index.shape.Length == 0 && shape.Length > 0 ? [1] : index.shape);
    }

    static Tensor GatherCore(Tensor x, int dim, Tensor idx)
    {
        if (x.storage is DeviceStorage) return DeviceNn.Gather(x, dim, idx);
        var r = Empty(x.DType, idx.shape);
        if (x.shape.Length == 0)
        {
            CopyInto(x, r);
            return r;
        }
        var xs = (int[])x.strides.Clone();
        xs[dim] = 0;
        var xv = new Tensor(x.storage, idx.shape, xs, x.offset);
        switch (x.DType)
        {
            case DType.Float32: Gather<float>(x, xv, dim, idx, r); break;
            case DType.Float64: Gather<double>(x, xv, dim, idx, r); break;
            case DType.Int32: Gather<int>(x, xv, dim, idx, r); break;
            case DType.Int64: Gather<long>(x, xv, dim, idx, r); break;
            default: Gather<bool>(x, xv, dim, idx, r); break;
        }
        return r;
    }

    static void Gather<T>(Tensor x, Tensor xv, int dim, Tensor idx, Tensor r) where T : unmanaged
    {
        var k = new GatherKernel<T> { X = x.StorageSpan<T>(), R = r.StorageSpan<T>(), I = idx.StorageSpan<long>(), Stride = x.strides[dim] };
        NdLoop.Run(ref k, idx.shape, [xv, idx, r]);
    }

    internal static Tensor ScatterAddGrad(Tensor g, int[] inputShape, int dim, Tensor idx)
    {
        if (g.storage is DeviceStorage) return DeviceNn.ScatterAddGrad(g, inputShape, dim, idx);
        var z = Empty(g.DType, inputShape, zeroed: true);
        if (inputShape.Length == 0)
        {
            z.AddInPlaceUnchecked(g.Sum());
            return z;
        }
        Reductions.ScatterAddAlong(z, dim, idx, g);
        return z;
    }

    ref struct GatherKernel<T> : IRowKernel where T : unmanaged
    {
        public Span<T> X, R;
        public Span<long> I;
        public int Stride;

        public void Row(int count, scoped ReadOnlySpan<int> off, scoped ReadOnlySpan<int> st)
        {
            for (int j = 0; j < count; j++)
            {
                long i = NdLoop.At(I, off[1] + j * st[1]);
                NdLoop.At(R, off[2] + j * st[2]) = NdLoop.At(X, off[0] + j * st[0] + (int)i * Stride);
            }
        }
    }
}
