namespace Gradgen;

/// <summary>A graph node with two inputs whose backward is a function of the output gradient.</summary>
internal sealed class Lambda2Backward : GradFn
{
    readonly string name;
    readonly Func<Tensor, Tensor[], bool, bool, (Tensor?, Tensor?)> backward;
    readonly SavedTensor[] saved;

    /// <summary>A two-input node; <paramref name="saved"/> are version-checked and freed after backward unless retained.</summary>
    public Lambda2Backward(string name, Tensor a, Tensor b, Tensor[] saved, Func<Tensor, Tensor[], bool, bool, (Tensor?, Tensor?)> backward)
    {
        this.name = name;
        this.backward = backward;
        this.saved = LambdaBackward.SaveAll(this, saved);
        SetInputs([a, b]);
    }

    public override string Name => name;

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads) =>
        (inputGrads[0], inputGrads[1]) = backward(grad, LambdaBackward.Unpack(this, saved), Needs(0), Needs(1));

    internal override void ReleaseSaved() => LambdaBackward.ReleaseAll(saved);
}

/// <summary>The node of <see cref="Tensor.Cat"/> and <see cref="Tensor.Stack"/>: each input gets its slice of the gradient.</summary>
internal sealed class CatBackward(string name, Tensor[] inputs, int dim) : GradFn
{
    readonly int[] sizes = SetUp(inputs, dim);

    static int[] SetUp(Tensor[] inputs, int dim)
    {
        var s = new int[inputs.Length];
        for (int i = 0; i < s.Length; i++) s[i] = inputs[i].shape[dim];
        return s;
    }

    public override string Name => name;

    internal void Connect(Tensor[] inputs) => SetInputs(inputs);

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            if (Needs(i))
            {
                var g = grad.Narrow(dim, start, sizes[i]);
                inputGrads[i] = g.DType == next[i]!.outputDType ? g : g.ToDTypeData(next[i]!.outputDType);
            }
            start += sizes[i];
        }
    }
}

public partial class Tensor
{
    /// <summary>
    /// This tensor in another dtype: itself if the dtype is the same, else a copy (floats to integers truncate toward
    /// zero). Float-to-float conversions are recorded as <c>ToCopyBackward</c>; integer results do not require grad.
    /// </summary>
    /// <param name="dtype">The target dtype.</param>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var r = ToDTypeData(dtype);
        var from = DType;
        if (dtype.IsFloating() && Autograd.Recording(this)) r.WithHistory(new LambdaBackward("ToCopyBackward", this, g => g.ToDTypeData(from)));
        return r;
    }


    /// <summary>This tensor on the device named as PyTorch names it (<c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>).</summary>
    /// <param name="device">The device's name.</param>
    public Tensor To(string device) => To(Device.Parse(device));

    /// <summary>
    /// Elementwise choice with broadcasting: <paramref name="x"/> where <paramref name="condition"/> is true, else
    /// <paramref name="y"/> (PyTorch's <c>torch.where</c>). Recorded as <c>WhereBackward</c>.
    /// </summary>
    /// <param name="condition">A Bool tensor.</param>
    /// <param name="x">Values where the condition holds.</param>
    /// <param name="y">Values elsewhere.</param>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y)
    {
        Checked(condition); Checked(x); Checked(y);
        if (condition.DType != DType.Bool) throw new ArgumentException($"Where: the condition must have dtype Bool, got {condition.DType}.", nameof(condition));
        if (condition.storage is DeviceStorage || x.storage is DeviceStorage || y.storage is DeviceStorage) return DeviceMap.Where(condition, x, y);
        var shape = ElementwiseOp.BroadcastShapes(ElementwiseOp.BroadcastShapes(condition.shape, x.shape, "Where"), y.shape, "Where");
        var dt = DTypes.ResultType(x, y);
        var r = Empty(dt, shape);
        var c = condition.ToDTypeData(dt);
        var cx = x.DType == dt ? x : x.ToDTypeData(dt);
        var cy = y.DType == dt ? y : y.ToDTypeData(dt);
        switch (dt)
        {
            case DType.Float32: Map.Run<float, float, WhereKernel<float>>(c, cx, cy, r, default); break;
            case DType.Float64: Map.Run<double, double, WhereKernel<double>>(c, cx, cy, r, default); break;
            case DType.Int32: Map.Run<int, int, WhereKernel<int>>(c, cx, cy, r, default); break;
            case DType.Int64: Map.Run<long, long, WhereKernel<long>>(c, cx, cy, r, default); break;
            default: Map.Run<bool, bool, WhereKernel<bool>>(condition, x, y, r, default); break;
        }
        // The gradient reaches the branch taken (the generated backward of ElementwiseFunctions.Where, which reads
        // only the condition), summed back to each input's shape and dtype.
        if (Autograd.Recording(x, y)) ElementwiseGradient.Where.Record("Where", r, [null, x, y], [c, cx, cy]);
        return r;
    }

    /// <summary>Elementwise choice: this tensor where <paramref name="condition"/> holds, else <paramref name="other"/> (PyTorch's <c>x.where(cond, y)</c>).</summary>
    /// <param name="condition">A Bool tensor.</param>
    /// <param name="other">Values elsewhere.</param>
    public Tensor Where(Tensor condition, Tensor other) => Where(condition, this, other);

    /// <summary>
    /// The elements where <paramref name="mask"/> (Bool, broadcastable to this tensor's shape) is true, in row-major
    /// order, as a 1-D tensor (PyTorch's <c>x[mask]</c>). Recorded as <c>IndexBackward</c>, as PyTorch records indexing.
    /// </summary>
    /// <param name="mask">A Bool tensor.</param>
    [System.Runtime.CompilerServices.IndexerName("Indexer")]
    public Tensor this[Tensor mask] => MaskedSelect(mask, "IndexBackward");

    /// <summary>
    /// The elements where <paramref name="mask"/> is true, as a 1-D tensor (PyTorch's <c>masked_select</c>; see the
    /// indexer <c>x[mask]</c>): the tensor and the mask broadcast to their common shape. Recorded as
    /// <c>MaskedSelectBackward</c>.
    /// </summary>
    /// <param name="mask">A Bool tensor broadcastable with this tensor.</param>
    public Tensor MaskedSelect(Tensor mask) => MaskedSelect(mask, "MaskedSelectBackward");

    Tensor MaskedSelect(Tensor mask, string node)
    {
        Checked(mask);
        if (mask.DType != DType.Bool)
            throw new ArgumentException($"MaskedSelect: the mask must have dtype Bool, got {mask.DType}. Build one with a comparison such as x > 3.", nameof(mask));
        var bs = ElementwiseOp.BroadcastShapes(shape, mask.shape, "MaskedSelect");
        // Both broadcast to their common shape, as in PyTorch; the expanded view sums the gradient back.
        if (!bs.AsSpan().SequenceEqual(shape)) return Expand(bs).MaskedSelect(mask, node);
        if (storage is DeviceStorage || mask.storage is DeviceStorage) return DeviceIndexing.MaskedSelect(this, mask, node);
        var dense = mask.Expand(shape).Detach().ContiguousData();
        var m = dense.StorageSpan<bool>().Slice(dense.offset, numel).ToArray();
        GC.KeepAlive(dense); // read through a span above: its pooled array stays in use until here
        int count = 0;
        foreach (bool b in m) if (b) count++;
        var positions = new int[count];
        for (int i = 0, j = 0; i < m.Length; i++) if (m[i]) positions[j++] = i;
        var src = ContiguousData();
        var r = Empty(DType, [count]);
        switch (DType)
        {
            case DType.Float32: Gather<float>(src, positions, r); break;
            case DType.Float64: Gather<double>(src, positions, r); break;
            case DType.Int32: Gather<int>(src, positions, r); break;
            case DType.Int64: Gather<long>(src, positions, r); break;
            default: Gather<bool>(src, positions, r); break;
        }
        if (Autograd.Recording(this))
        {
            var index = FromArray(Array.ConvertAll(positions, p => (long)p));
            RecordMaskedSelect(r, this, index, node);
        }
        return r;
    }

    /// <summary>
    /// Records <paramref name="selected"/> as <paramref name="x"/> flattened and gathered at <paramref name="index"/>
    /// (the selected positions, Int64, 1-D): its backward is the rule table's Gather ↔ ScatterAddAs rule over the
    /// flattened input, reshaped back.
    /// </summary>
    internal static void RecordMaskedSelect(Tensor selected, Tensor x, Tensor index, string node)
    {
        var inShape = x.shape;
        int[] flat = [x.numel];
        selected.WithHistory(new LambdaBackward(node, x, [index], (g, s) => EagerVjps.Gathered(flat, 0, s[0], g).Reshape(inShape)));
    }

    static void Gather<T>(Tensor src, int[] positions, Tensor dst) where T : unmanaged
    {
        var s = src.StorageSpan<T>().Slice(src.offset, src.numel);
        var d = dst.StorageSpan<T>();
        for (int i = 0; i < positions.Length; i++) d[i] = s[positions[i]];
        GC.KeepAlive(src);
    }

    /// <summary>
    /// The tensors joined along <paramref name="dim"/> (PyTorch's <c>torch.cat</c>); they must agree in every other
    /// dimension. Dtypes are promoted. Recorded as <c>CatBackward</c>.
    /// </summary>
    /// <param name="tensors">At least one tensor, all with the same number of dimensions.</param>
    /// <param name="dim">The dimension to join along.</param>
    public static Tensor Cat(Tensor[] tensors, int dim = 0) => CatCore(tensors, dim, "Cat", "CatBackward");

    /// <summary>
    /// The tensors stacked along a new dimension <paramref name="dim"/> (PyTorch's <c>torch.stack</c>); they must all
    /// have the same shape. Recorded as <c>StackBackward</c>.
    /// </summary>
    /// <param name="tensors">At least one tensor, all of the same shape.</param>
    /// <param name="dim">Where the new dimension goes.</param>
    public static Tensor Stack(Tensor[] tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("Stack: expected at least one tensor.", nameof(tensors));
        for (int i = 0; i < tensors.Length; i++)
        {
            Checked(tensors[i]);
            if (!tensors[i].Shape.Equals(tensors[0].Shape))
                throw new ArgumentException($"Stack: every tensor must have the same shape, but tensor 0 has shape {tensors[0].ShapeString} and tensor {i} has shape {tensors[i].ShapeString}.");
        }
        int d = NormalizeDim(dim, tensors[0].Ndim + 1, "Stack");
        var u = new Tensor[tensors.Length];
        for (int i = 0; i < u.Length; i++) u[i] = tensors[i].Unsqueeze(d);
        return CatCore(u, d, "Stack", "StackBackward");
    }

    static Tensor CatCore(Tensor[] tensors, int dim, string op, string node)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException($"{op}: expected at least one tensor.", nameof(tensors));
        foreach (var t in tensors) Checked(t);
        var first = tensors[0];
        if (first.Ndim == 0) throw new ArgumentException($"{op}: zero-dimensional tensors cannot be concatenated; use Stack.");
        int d = NormalizeDim(dim, first.Ndim, op);
        int total = 0;
        for (int i = 0; i < tensors.Length; i++)
        {
            var t = tensors[i];
            if (t.Ndim != first.Ndim)
                throw new ArgumentException($"{op}: tensor 0 has {first.Ndim} dimensions (shape {first.ShapeString}) but tensor {i} has {t.Ndim} (shape {t.ShapeString}).");
            for (int k = 0; k < t.Ndim; k++)
                if (k != d && t.shape[k] != first.shape[k])
                    throw new ArgumentException($"{op}: sizes must match except in dimension {d}, but tensor 0 has shape {first.ShapeString} and tensor {i} has shape {t.ShapeString} (dimension {k}: {first.shape[k]} vs {t.shape[k]}).");
            total += t.shape[d];
        }
        var dt = DTypes.ResultType(tensors);
        var shape = (int[])first.shape.Clone();
        shape[d] = total;
        var r = first.storage is DeviceStorage ? EmptyOn(CommonDevice(op, tensors), dt, shape) : Empty(dt, shape);
        int start = 0;
        foreach (var t in tensors)
        {
            CopyInto(t, r.Detach().Narrow(d, start, t.shape[d]));
            start += t.shape[d];
        }
        if (Autograd.Recording(tensors))
        {
            var n = new CatBackward(node, tensors, d);
            n.Connect(tensors);
            r.WithHistory(n);
        }
        return r;
    }

    /// <summary>
    /// The matrix product with PyTorch's <c>matmul</c> rules: 1-D·1-D is the dot product, 2-D·2-D the matrix
    /// product, a 1-D operand is treated as a row (left) or column (right) vector and that dimension removed, and
    /// more dimensions are batches that broadcast. Recorded as <c>MmBackward</c> (2-D) or <c>BmmBackward</c>.
    /// </summary>
    /// <param name="other">The right operand.</param>
    public Tensor MatMul(Tensor other)
    {
        Checked(other);
        if (Ndim == 0 || other.Ndim == 0)
            throw new ArgumentException($"MatMul: both arguments must be at least 1-D, got shapes {ShapeString} and {other.ShapeString}.");
        if (Ndim == 1 && other.Ndim == 1)
        {
            if (shape[0] != other.shape[0])
                throw new ArgumentException($"MatMul: shapes {ShapeString} and {other.ShapeString} cannot be multiplied (the vectors have {shape[0]} and {other.shape[0]} elements).");
            return MatMulCore(Unsqueeze(0), other.Unsqueeze(1), this, other).Reshape();
        }
        var a = Ndim == 1 ? Unsqueeze(0) : this;
        var b = other.Ndim == 1 ? other.Unsqueeze(1) : other;
        var r = MatMulCore(a, b, this, other);
        if (Ndim == 1) r = r.Squeeze(-2);
        if (other.Ndim == 1) r = r.Squeeze(-1);
        return r;
    }

    /// <summary>The matrix product of <paramref name="a"/> and <paramref name="b"/> (the static form of <see cref="MatMul(Tensor)"/>).</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor MatMul(Tensor a, Tensor b) => Checked(a).MatMul(b);

    static Tensor MatMulCore(Tensor a, Tensor b, Tensor origA, Tensor origB)
    {
        if (a.storage is DeviceStorage || b.storage is DeviceStorage) return DeviceMatMul.MatMulCore(a, b, origA, origB);
        int m = a.shape[^2], k = a.shape[^1], k2 = b.shape[^2], n = b.shape[^1];
        if (k != k2)
            throw new ArgumentException(
                $"MatMul: shapes {origA.ShapeString} and {origB.ShapeString} cannot be multiplied ({k} vs {k2}: the last dimension of the first must equal the {(origB.Ndim == 1 ? "only" : "second-to-last")} dimension of the second).");
        var batch = ElementwiseOp.BroadcastShapes(a.shape[..^2], b.shape[..^2], "MatMul");
        // PyTorch's matmul does not promote: both operands must have one dtype.
        if (a.DType != b.DType)
            throw new ArgumentException($"MatMul: both arguments must have the same dtype, got {a.DType} and {b.DType}; convert one with To(DType.{a.DType}) or To(DType.{b.DType}).");
        var dt = a.DType;
        if (dt == DType.Bool) throw new ArgumentException("MatMul: Bool tensors cannot be multiplied; convert with To(DType.Float32).");
        var ca = a;
        var cb = b;
        // Row-major or transposed storage of the last two dimensions reaches the kernel as it is; other strides are copied.
        if (!MatrixLayout(ca, out _, out _)) ca = ca.CloneData();
        if (!MatrixLayout(cb, out _, out _)) cb = cb.CloneData();
        var rshape = new int[batch.Length + 2];
        batch.CopyTo(rshape, 0);
        rshape[^2] = m;
        rshape[^1] = n;
        // Zeros: a product over k = 0 is a matrix of zeros, as in PyTorch.
        var r = k == 0 ? Zeros(rshape, dt) : Empty(dt, rshape);
        if (r.numel == 0 || k == 0)
        {
            // Nothing to multiply (an empty batch, m, n or k).
        }
        else switch (dt)
            {
                case DType.Float32: BatchedMultiply<float>(ca, cb, r, batch, m, n, k); break;
                case DType.Float64: BatchedMultiply<double>(ca, cb, r, batch, m, n, k); break;
                case DType.Int32: BatchedMultiply<int>(ca, cb, r, batch, m, n, k); break;
                default: BatchedMultiply<long>(ca, cb, r, batch, m, n, k); break;
            }
        if (Autograd.Recording(a, b))
        {
            int[] ashape = a.shape, bshape = b.shape;
            r.WithHistory(new Lambda2Backward(a.Ndim == 2 && b.Ndim == 2 ? "MmBackward" : "BmmBackward", a, b, [ca.Detach(), cb.Detach()], (g, s, na, nb) =>
                ProductGradients.MatMul(g, s[0], s[1], ashape, bshape, na, nb)));
        }
        return r;
    }

    /// <summary>
    /// How the last two dimensions (rows × columns) are stored: row-major with leading dimension <paramref name="ld"/>,
    /// or, when <paramref name="transposed"/>, as the row-major transpose. False when neither holds.
    /// </summary>
    internal static bool MatrixLayout(Tensor t, out bool transposed, out int ld)
    {
        int rows = t.shape[^2], cols = t.shape[^1], s0 = t.strides[^2], s1 = t.strides[^1];
        if ((s1 == 1 || cols <= 1) && (rows <= 1 || s0 >= Math.Max(cols, 1)))
        {
            transposed = false;
            ld = rows <= 1 ? Math.Max(cols, 1) : s0;
            return true;
        }
        if ((s0 == 1 || rows <= 1) && (cols <= 1 || s1 >= Math.Max(rows, 1)))
        {
            transposed = true;
            ld = cols <= 1 ? Math.Max(rows, 1) : s1;
            return true;
        }
        transposed = false;
        ld = 0;
        return false;
    }

    static void BatchedMultiply<T>(Tensor a, Tensor b, Tensor r, int[] batch, int m, int n, int k) where T : unmanaged, System.Numerics.INumber<T>
    {
        MatrixLayout(a, out bool ta, out int lda);
        MatrixLayout(b, out bool tb, out int ldb);
        int nb = 1;
        foreach (int d in batch) nb *= d;
        Span<int> sa = stackalloc int[batch.Length];
        Span<int> sb = stackalloc int[batch.Length];
        var batchA = new Tensor(a.storage, a.shape[..^2], a.strides[..^2], 0);
        var batchB = new Tensor(b.storage, b.shape[..^2], b.strides[..^2], 0);
        NdLoop.BroadcastStrides(batchA, batch, sa);
        NdLoop.BroadcastStrides(batchB, batch, sb);
        var asp = a.StorageSpan<T>();
        var bsp = b.StorageSpan<T>();
        var rsp = r.StorageSpan<T>();
        for (int bi = 0; bi < nb; bi++)
        {
            int oa = a.offset, ob = b.offset, rem = bi;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                int i = rem % batch[d];
                rem /= batch[d];
                oa += i * sa[d];
                ob += i * sb[d];
            }
            MatMulKernels.Multiply<T>(ta, tb, m, n, k, asp[oa..], lda, bsp[ob..], ldb, rsp.Slice(bi * m * n, m * n), n);
        }

        // Read through spans until here: keep the operands' pooled arrays from going back to the cache.
        GC.KeepAlive(a);
        GC.KeepAlive(b);
    }
}

internal struct WhereKernel<T> : IFunc3<T, T> where T : unmanaged
{
    public readonly T Invoke(T c, T x, T y) => Elem.ToDouble(c) != 0 ? x : y;
}
