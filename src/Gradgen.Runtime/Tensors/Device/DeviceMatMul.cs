namespace Gradgen;

/// <summary>
/// Matrix products on an accelerator through the backend's GEMM, in the operands' promoted dtype (Float32, Float64,
/// Int32 or Int64, as on the CPU; Bool cannot be multiplied): MatMul (2-D and batched, transposed views read as they
/// are stored), Linear with its bias fused into the GEMM's epilogue, and the GEMMs <see cref="ProductGradients"/>
/// runs for their gradients.
/// </summary>
internal static class DeviceMatMul
{
    /// <summary><c>Tensor.MatMulCore</c> on the device: a and b are at least 2-D; batch dimensions broadcast.</summary>
    public static Tensor MatMulCore(Tensor a, Tensor b, Tensor origA, Tensor origB)
    {
        var device = Tensor.CommonDevice("MatMul", [a, b]);
        int m = a.shape[^2], k = a.shape[^1], k2 = b.shape[^2], n = b.shape[^1];
        if (k != k2)
        {
            throw new ArgumentException(
                $"MatMul: shapes {origA.ShapeString} and {origB.ShapeString} cannot be multiplied ({k} vs {k2}: the last dimension of the first must equal the {(origB.Ndim == 1 ? "only" : "second-to-last")} dimension of the second).");
        }

        var batch = ElementwiseOp.BroadcastShapes(a.shape[..^2], b.shape[..^2], "MatMul");
        var dtype = ProductType(DTypes.ResultType(a, b), "MatMul");
        var ca = Operand(a.Detach(), batch, dtype);
        var cb = Operand(b.Detach(), batch, dtype);
        int count = 1;
        foreach (int d in batch)
        {
            count *= d;
        }

        var rshape = new int[batch.Length + 2];
        batch.CopyTo(rshape, 0);
        rshape[^2] = m;
        rshape[^1] = n;
        var r = Tensor.EmptyOn(device, dtype, rshape);
        if (r.numel > 0)
        {
            var (ta, lda, sa) = Layout(ca);
            var (tb, ldb, sb) = Layout(cb);
            DeviceData.Backend(r).Gemm(new DeviceGemm(
                ta, tb, m, n, k, Buffer(ca), ca.offset, lda, sa, Buffer(cb), cb.offset, ldb, sb, Buffer(r), count, null, dtype));
        }

        if (Autograd.Recording(a, b))
        {
            int[] ashape = a.shape, bshape = b.shape;
            r.WithHistory(new Lambda2Backward(a.Ndim == 2 && b.Ndim == 2 ? "MmBackward" : "BmmBackward", a, b, [ca, cb], (g, s, na, nb) =>
                ProductGradients.MatMul(g, s[0], s[1], ashape, bshape, na, nb)));
        }

        return r;
    }

    /// <summary>
    /// Linear on the device: y = x·Wᵀ + b in one GEMM (the bias in its epilogue). Recorded as <c>AddmmBackward</c>
    /// (<c>MmBackward</c> without bias), as on the CPU.
    /// </summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias)
    {
        var device = Tensor.CommonDevice("Linear", bias is null ? [input, weight] : [input, weight, bias]);
        var dtype = ProductType(weight.DType, "Linear");
        int n = weight.shape[0], k = weight.shape[1];
        int m = 1;
        for (int i = 0; i < input.Ndim - 1; i++)
        {
            m *= input.shape[i];
        }

        var x2 = Whole(input.Detach(), dtype).Reshape(m, k);
        var w = Whole(weight.Detach(), dtype);
        var b = bias is null ? null : Whole(bias.Detach(), dtype);
        var y = Tensor.EmptyOn(device, dtype, [m, n]);
        if (y.numel > 0)
        {
            Gemm(false, true, m, n, k, x2, k, w, k, y, b);
        }

        var outShape = (int[])input.shape.Clone();
        outShape[^1] = n;
        var r = y.Reshape(outShape);
        bool record = bias is null ? Autograd.Recording(input, weight) : Autograd.Recording([input, weight, bias]);
        if (record)
        {
            r.WithHistory(new Gradgen.Nn.LinearBackward(input, weight, bias, x2, w));
        }

        return r;
    }

    /// <summary>C = op(A)·op(B) + bias for one matrix of C's dtype; operands whole from element 0, of that dtype.</summary>
    internal static void Gemm(bool transposeA, bool transposeB, int m, int n, int k, Tensor a, int lda, Tensor b, int ldb, Tensor c, Tensor? bias)
    {
        if (m == 0 || n == 0)
        {
            return; // nothing to write (a launch needs at least one block)
        }

        DeviceData.Backend(c).Gemm(new DeviceGemm(
            transposeA, transposeB, m, n, k, Buffer(a), a.offset, lda, 0, Buffer(b), b.offset, ldb, 0, Buffer(c), 1, bias is null ? null : Buffer(bias), c.DType));
    }

    /// <summary>
    /// C = f(A·op(B) + bias, other) for Float32 A (m×k), B (k×n, or n×k with <paramref name="transposeB"/>), C and other
    /// (m×n), all whole from element 0: f the generated function <paramref name="function"/> of
    /// <paramref name="cudaSource"/> (a compiled graph's kernel), applied to each element as the product writes it.
    /// </summary>
    internal static void EpilogueGemm(bool transposeB, int m, int n, int k, Tensor a, Tensor b, Tensor c, Tensor? bias, Tensor? other, string cudaSource, string function)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        DeviceData.Backend(c).Gemm(new DeviceGemm(
            false, transposeB, m, n, k, Buffer(a), a.offset, k, 0, Buffer(b), b.offset, transposeB ? k : n, 0, Buffer(c), 1, bias is null ? null : Buffer(bias), DType.Float32,
            new DeviceGemmEpilogue(cudaSource, function, other is null ? null : Buffer(other))));
    }

    static IDeviceBuffer Buffer(Tensor t) => ((DeviceStorage)t.storage).Buffer;

    /// <summary>The tensor itself when it fills its buffer from element 0 in <paramref name="dtype"/>, else such a copy.</summary>
    internal static Tensor Whole(Tensor t, DType dtype) => DeviceData.IsWhole(t) && t.DType == dtype ? t : DeviceData.Copy(t, dtype);

    /// <summary>The dtype a product computes in: the operands' promoted one, except Bool, which cannot be multiplied (as on the CPU).</summary>
    static DType ProductType(DType dtype, string op) => dtype != DType.Bool
        ? dtype
        : throw new ArgumentException($"{op}: Bool tensors cannot be multiplied; convert with To(DType.Float32).");

    /// <summary>
    /// An operand whose matrices the GEMM can read where they are: one matrix broadcast over the batch (batch stride
    /// 0), or a contiguous stack of the whole batch; anything else is copied into such a stack first.
    /// </summary>
    static Tensor Operand(Tensor t, int[] batch, DType dtype)
    {
        if (t.DType != dtype)
        {
            t = DeviceData.Copy(t, dtype);
        }

        bool single = true;
        for (int i = 0; i < t.Ndim - 2; i++)
        {
            single &= t.shape[i] == 1;
        }

        if (single && Tensor.MatrixLayout(t, out _, out _))
        {
            return t;
        }

        var full = new int[batch.Length + 2];
        batch.CopyTo(full, 0);
        full[^2] = t.shape[^2];
        full[^1] = t.shape[^1];
        var expanded = t.shape.AsSpan().SequenceEqual(full) ? t : t.Expand(full);
        return expanded.IsContiguous && !HasZeroStride(expanded) ? expanded : DeviceData.Copy(expanded, dtype);
    }

    static bool HasZeroStride(Tensor t)
    {
        for (int i = 0; i < t.Ndim; i++)
        {
            if (t.strides[i] == 0 && t.shape[i] > 1)
            {
                return true;
            }
        }

        return false;
    }

    static (bool Transposed, int Ld, int BatchStride) Layout(Tensor t)
    {
        Tensor.MatrixLayout(t, out bool transposed, out int ld);
        bool batched = t.Ndim > 2 && t.numel > t.shape[^2] * t.shape[^1];
        return (transposed, ld, batched ? t.shape[^2] * t.shape[^1] : 0);
    }
}
