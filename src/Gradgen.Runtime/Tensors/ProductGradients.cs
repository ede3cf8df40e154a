using System.Numerics;
using Gradgen.Kernels;
using Gradgen.Nn;

namespace Gradgen;

/// <summary>
/// The vector-Jacobian product of every matrix product in the runtime, written once: the runtime's side of the
/// <c>Linear</c> and <c>MatMul</c> rules of the generator's <c>TensorRules</c>. For C = A·B′ (B′ = B, or Bᵀ) and the
/// gradient G of C: dA = G·B′ᵀ and dB′ = Aᵀ·G, summed over every row of A when B is one matrix; for y = x·Wᵀ + b
/// (B′ = Wᵀ): dx = G·W, dW = Gᵀ·x over every row, db = the column sums of G.
/// </summary>
/// <remarks>
/// Eager <c>Linear</c> (<c>AddmmBackward</c>), <c>MatMul</c> (<c>MmBackward</c>, <c>BmmBackward</c>), the compiled
/// models' <c>{Class}Backward</c> nodes and the products a compiled graph's generated backward runs all call these
/// functions. Each product runs through the packed GEMM on the CPU and <see cref="DeviceMatMul"/> on a device,
/// reading row-major and transposed operands where they are; a product that carries a gradient into an activation
/// takes that activation's derivative as its epilogue (a generic <see cref="IGemmEpilogue"/> on the CPU; on a device a
/// compiled graph's <c>MatMulThenMap</c> compiles the generated kernel into the GEMM), so the product is never stored
/// before it.
/// </remarks>
internal static class ProductGradients
{
    // Layers with a handful of weights (the seed's 2-2-1 MLP) are tall, narrow products that a packed GEMM handles
    // badly: its packing and 8×32 tiles are mostly padding there. Plain loops over the rows, with the weights in
    // registers, cost a few multiply-adds per row instead.
    private const int TinyWeights = 64;

    /// <summary>Whether a weight of <paramref name="rows"/> × <paramref name="cols"/> is small enough for plain row loops instead of the packed GEMM.</summary>
    internal static bool IsTiny(int rows, int cols) => (long)rows * cols <= TinyWeights;

    /// <summary>
    /// y = x·Wᵀ + b, over rows: the gradients of the input (G·W, <c>[m, k]</c>), of the weight (Gᵀ·x, <c>[n, k]</c>) and of the
    /// bias (the column sums of G, <c>[n]</c>), each only when asked for.
    /// </summary>
    /// <param name="g">The gradient of y, <c>[m, n]</c>, of x's dtype.</param>
    /// <param name="x">The input, <c>[m, k]</c>.</param>
    /// <param name="w">The weight, <c>[n, k]</c>.</param>
    /// <param name="input">Whether to compute dx.</param>
    /// <param name="weight">Whether to compute dW.</param>
    /// <param name="bias">Whether to compute db.</param>
    public static (Tensor? Input, Tensor? Weight, Tensor? Bias) Linear(Tensor g, Tensor x, Tensor w, bool input, bool weight, bool bias) =>
        (input ? Times(g, w, transposeB: false) : null, weight ? AcrossRows(g, x) : null, bias ? ColumnSums(g) : null);

    /// <summary>
    /// C = A·B with torch.matmul's batches (they broadcast): dA = G·Bᵀ and dB = Aᵀ·G, each summed down to its operand's
    /// shape. When B is one matrix every row of A meets it, so each gradient is one product over all rows.
    /// </summary>
    /// <param name="g">The gradient of C.</param>
    /// <param name="a">A as the product read it (at least 2-D, row-major or transposed matrices).</param>
    /// <param name="b">B as the product read it.</param>
    /// <param name="aShape">The shape A's gradient takes.</param>
    /// <param name="bShape">The shape B's gradient takes.</param>
    /// <param name="needA">Whether to compute dA.</param>
    /// <param name="needB">Whether to compute dB.</param>
    public static (Tensor? A, Tensor? B) MatMul(Tensor g, Tensor a, Tensor b, int[] aShape, int[] bShape, bool needA, bool needB)
    {
        if (IsCpu(g) && g.DType != a.DType)
        {
            g = g.ToDTypeData(a.DType);
        }

        // On a device the batched form below reads transposed operands in place, where the row form would copy them.
        if (IsCpu(g) && b.Ndim == 2 && bShape.Length == 2 && a.Shape.ToArray().AsSpan().SequenceEqual(aShape))
        {
            return (needA ? Times(g, b, transposeB: true) : null, needB ? AcrossRows(a, g) : null);
        }

        // Batches of B: one product per batch, then the sum over the batch dims that were broadcast.
        Tensor? ga = needA ? ElementwiseOp.SumToShape(g.MatMul(b.Transpose(-1, -2)), aShape) : null;
        Tensor? gb = needB ? ElementwiseOp.SumToShape(a.Transpose(-1, -2).MatMul(g), bShape) : null;
        return (ga, gb);
    }

    /// <summary>
    /// A's rows times B′ (B, or Bᵀ when <paramref name="transposeB"/>): with B one matrix, every row of A (all its leading
    /// dims) times it; with B of A's leading dims, batch by batch. Other batches (that broadcast) are
    /// <see cref="Tensor.MatMul(Tensor)"/>'s. Also the forward of a compiled graph's MatMul, which is the same product.
    /// </summary>
    /// <param name="a">A, <c>[…, m, k]</c>.</param>
    /// <param name="b">B, <c>[k, n]</c> (<c>[n, k]</c> when transposed), or with A's leading dims.</param>
    /// <param name="transposeB">Multiply by Bᵀ.</param>
    /// <returns><c>[…, m, n]</c>.</returns>
    public static Tensor Times(Tensor a, Tensor b, bool transposeB)
    {
        int k = a.Shape[^1];
        int n = transposeB ? b.Shape[^2] : b.Shape[^1];
        bool rowsTimesMatrix = b.Ndim == 2;
        bool sameBatches = b.Ndim == a.Ndim && a.Shape.ToArray().AsSpan(0, a.Ndim - 2).SequenceEqual(b.Shape.ToArray().AsSpan(0, b.Ndim - 2));
        bool deviceRows = rowsTimesMatrix && DeviceData.IsWhole(a) && DeviceData.IsWhole(b) && a.DType == b.DType;
        if ((transposeB ? b.Shape[^1] : b.Shape[^2]) != k || !(rowsTimesMatrix || sameBatches) || (!IsCpu(a) && !deviceRows))
        {
            // Broadcast batches, or sizes that do not fit: the tensor operation (and its error message). On a device
            // also views, which the tensor operation's GEMM reads where they are.
            return a.MatMul(transposeB ? b.Transpose(-1, -2) : b);
        }

        int m = rowsTimesMatrix ? RowCount(a) : a.Shape[^2];
        var shape = a.Shape.ToArray();
        shape[^1] = n;
        if (!IsCpu(a))
        {
            var product = Tensor.EmptyOn(a.Device, a.DType, shape);
            DeviceMatMul.Gemm(false, transposeB, m, n, k, a, k, b, transposeB ? k : n, product, null);
            return product;
        }

        if (rowsTimesMatrix && !transposeB && a.DType == DType.Float32 && b.IsContiguous)
        {
            // G·W of a layer's gradient: the path that can also apply an activation's derivative.
            return Times<IdentityEpilogue>(a, b, null);
        }

        var rows = a.ContiguousData();
        var c = Tensor.Empty(a.DType, shape);
        if (rowsTimesMatrix)
        {
            // One matrix B, read where it is: a transposed view is the transposed product of its storage.
            var matrix = Tensor.MatrixLayout(b, out bool bTransposed, out int ldb) ? b : b.ContiguousData();
            if (matrix != b)
            {
                bTransposed = false;
                ldb = b.Shape[^1];
            }

            Multiply(false, transposeB != bTransposed, m, n, k, rows, 0, k, matrix, matrix.offset, ldb, c, 0);
            GC.KeepAlive(matrix);
        }
        else
        {
            var cb = b.ContiguousData();
            int batches = RowCount(a) / Math.Max(m, 1);
            for (int batch = 0; batch < batches; batch++)
            {
                Multiply(false, transposeB, m, n, k, rows, batch * m * k, k, cb, cb.offset + (batch * n * k), transposeB ? k : n, c, batch * m * n);
            }

            GC.KeepAlive(cb);
        }

        GC.KeepAlive(rows);
        return c;
    }

    /// <summary>
    /// G·W for Float32 CPU tensors with <typeparamref name="TGradient"/> applied to each element as the product writes
    /// it: (G·W) ⊙ act′(Y) when the epilogue reads the activation's output <paramref name="activationOutput"/>, so G·W is
    /// never stored. This is the product that carries a layer's gradient into the activation below it.
    /// </summary>
    /// <typeparam name="TGradient">The activation's derivative from its output (a generated epilogue), or <see cref="IdentityEpilogue"/>.</typeparam>
    /// <param name="g">G, <c>[…, out]</c>.</param>
    /// <param name="w">W, <c>[out, in]</c>.</param>
    /// <param name="activationOutput">Y, contiguous <c>[…, in]</c>; null for an epilogue that reads none.</param>
    /// <returns><c>[…, in]</c>.</returns>
    public static Tensor Times<TGradient>(Tensor g, Tensor w, Tensor? activationOutput)
        where TGradient : IGemmEpilogue
    {
        int outFeatures = w.Shape[0], inFeatures = w.Shape[1];
        var shape = g.Shape.ToArray();
        shape[^1] = inFeatures;
        int rows = outFeatures == 0 ? RowCount(g) : g.NumElements / outFeatures;
        var dz = g.ContiguousData();
        var weight = w.ContiguousData();
        var dx = Tensor.Empty(DType.Float32, shape);
        ReadOnlySpan<float> y = TGradient.ReadsOther ? activationOutput!.Elements<float>() : default;
        if (IsTiny(inFeatures, outFeatures))
        {
            var values = dx.Elements<float>();
            TinyInputGradient(dz.Elements<float>(), weight.Elements<float>(), values, inFeatures, outFeatures);
            if (TGradient.ReadsOther)
            {
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = TGradient.Apply(values[i], y[i]);
                }
            }
        }
        else if (rows > 0 && inFeatures > 0)
        {
            Gemm.Multiply<TGradient>(false, false, rows, inFeatures, outFeatures, 1f, dz.Elements<float>(), outFeatures, weight.Elements<float>(), inFeatures, 0f, dx.Elements<float>(), inFeatures, default, y, inFeatures);
        }

        GC.KeepAlive(dz);
        GC.KeepAlive(weight);
        GC.KeepAlive(activationOutput);
        return dx;
    }

    /// <summary>
    /// Aᵀ·B summed over every leading dim: <c>[…, m]</c> and <c>[…, n]</c> give <c>[m, n]</c> (a weight's gradient Gᵀ·x,
    /// or a matrix operand's Aᵀ·G). A 2-D operand is read where it is, row-major or transposed.
    /// </summary>
    /// <param name="a">A.</param>
    /// <param name="b">B, with A's leading dims.</param>
    /// <returns><c>[m, n]</c>.</returns>
    public static Tensor AcrossRows(Tensor a, Tensor b)
    {
        int m = a.Shape[^1], n = b.Shape[^1];
        int rows = m == 0 ? RowCount(a) : a.NumElements / m;
        if (!IsCpu(a))
        {
            var ca = DeviceMatMul.Whole(a.Detach(), a.DType);
            var cb = DeviceMatMul.Whole(b.Detach(), a.DType);
            var product = Tensor.EmptyOn(a.Device, a.DType, [m, n]);
            if (rows == 0)
            {
                product.Fill(0);
            }
            else
            {
                DeviceMatMul.Gemm(true, false, m, n, rows, ca, m, cb, n, product, null);
            }

            return product;
        }

        var left = a.Ndim == 2 && Tensor.MatrixLayout(a, out _, out _) ? a : a.ContiguousData();
        var right = b.Ndim == 2 && Tensor.MatrixLayout(b, out _, out _) ? b : b.ContiguousData();
        var c = Tensor.Empty(a.DType, [m, n]);
        if (a.DType == DType.Float32 && IsTiny(m, n) && left.IsContiguous && right.IsContiguous)
        {
            TinyWeightGradient(left.Elements<float>(), right.Elements<float>(), c.Elements<float>(), n, m);
        }
        else
        {
            // Aᵀ of a row-major A is the transposed read; Aᵀ of a transposed view is its storage read row-major.
            bool aTransposed = false, bTransposed = false;
            int lda = m, ldb = n;
            if (left.Ndim == 2)
            {
                Tensor.MatrixLayout(left, out aTransposed, out lda);
            }

            if (right.Ndim == 2)
            {
                Tensor.MatrixLayout(right, out bTransposed, out ldb);
            }

            Multiply(!aTransposed, bTransposed, m, n, rows, left, left.offset, lda, right, right.offset, ldb, c, 0);
        }

        GC.KeepAlive(left);
        GC.KeepAlive(right);
        return c;
    }

    /// <summary>The column sums of G: its rows of <c>G.Shape[^1]</c> elements added up (a bias's gradient).</summary>
    /// <param name="g">G, <c>[…, n]</c>.</param>
    /// <returns><c>[n]</c>.</returns>
    public static Tensor ColumnSums(Tensor g) => ColumnSums(g, g.Ndim == 0 ? 1 : g.Shape[^1]);

    /// <summary>The sums of G's consecutive rows of <paramref name="width"/> elements (the adjoint of broadcasting a trailing block).</summary>
    /// <param name="g">G, whose element count is a multiple of <paramref name="width"/>.</param>
    /// <param name="width">The row length.</param>
    /// <returns><c>[width]</c>.</returns>
    public static Tensor ColumnSums(Tensor g, int width)
    {
        if (!IsCpu(g))
        {
            var whole = g.IsContiguous ? g : g.Contiguous();
            int rows = width == 0 ? 0 : whole.NumElements / width;
            return rows == 0
                ? Tensor.Zeros([width], g.DType).To(g.Device)
                : DeviceReductions.SumToKeptShape(whole.Reshape(rows, width), [1, width]).Reshape(width);
        }

        var data = g.ContiguousData();
        var sums = Tensor.Zeros([width], g.DType);
        if (g.DType == DType.Float64)
        {
            SumRows<double>(data.Elements<double>(), sums.Elements<double>());
        }
        else
        {
            SumRows<float>(data.Elements<float>(), sums.Elements<float>());
        }

        GC.KeepAlive(data);
        return sums;
    }

    private static bool IsCpu(Tensor t) => t.Device.Type == DeviceType.Cpu;

    /// <summary>The product of every dim but the last (the rows of a tensor whose last dim may be 0).</summary>
    private static int RowCount(Tensor t)
    {
        int rows = 1;
        for (int i = 0; i < t.Ndim - 1; i++)
        {
            rows *= t.Shape[i];
        }

        return rows;
    }

    /// <summary>C = op(A)·op(B) into <paramref name="c"/> (contiguous, from <paramref name="cStart"/>) on the CPU's packed GEMM; zeros for a product over k = 0.</summary>
    private static void Multiply(bool transposeA, bool transposeB, int m, int n, int k, Tensor a, int aStart, int lda, Tensor b, int bStart, int ldb, Tensor c, int cStart)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (c.DType == DType.Float64)
        {
            var cs = c.Elements<double>().Slice(cStart, m * n);
            if (k == 0)
            {
                cs.Clear();
                return;
            }

            Gemm.Multiply(transposeA, transposeB, m, n, k, 1.0, a.StorageSpan<double>()[aStart..], lda, b.StorageSpan<double>()[bStart..], ldb, 0.0, cs, n);
        }
        else
        {
            var cs = c.Elements<float>().Slice(cStart, m * n);
            if (k == 0)
            {
                cs.Clear();
                return;
            }

            Gemm.Multiply(transposeA, transposeB, m, n, k, 1f, a.StorageSpan<float>()[aStart..], lda, b.StorageSpan<float>()[bStart..], ldb, 0f, cs, n);
        }
    }

    private static void SumRows<T>(ReadOnlySpan<T> rows, Span<T> sums)
        where T : unmanaged, INumber<T>
    {
        int width = sums.Length;
        for (int r = 0; width > 0 && r + width <= rows.Length; r += width)
        {
            var row = rows.Slice(r, width);
            int i = 0;
            for (; i <= width - Vector<T>.Count; i += Vector<T>.Count)
            {
                (new Vector<T>(sums[i..]) + new Vector<T>(row[i..])).CopyTo(sums[i..]);
            }

            for (; i < width; i++)
            {
                sums[i] += row[i];
            }
        }
    }

    private static void TinyWeightGradient(ReadOnlySpan<float> dz, ReadOnlySpan<float> x, Span<float> dw, int inFeatures, int outFeatures)
    {
        Span<double> sums = stackalloc double[inFeatures * outFeatures];
        int rows = outFeatures == 0 ? 0 : dz.Length / outFeatures;
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * inFeatures, inFeatures);
            var gradients = dz.Slice(r * outFeatures, outFeatures);
            for (int o = 0; o < outFeatures; o++)
            {
                double g = gradients[o];
                for (int i = 0; i < inFeatures; i++)
                {
                    sums[(o * inFeatures) + i] += g * row[i];
                }
            }
        }

        for (int k = 0; k < sums.Length; k++)
        {
            dw[k] = (float)sums[k];
        }
    }

    private static void TinyInputGradient(ReadOnlySpan<float> dz, ReadOnlySpan<float> w, Span<float> dx, int inFeatures, int outFeatures)
    {
        int rows = inFeatures == 0 ? 0 : dx.Length / inFeatures;
        for (int r = 0; r < rows; r++)
        {
            var gradients = dz.Slice(r * outFeatures, outFeatures);
            var outRow = dx.Slice(r * inFeatures, inFeatures);
            outRow.Clear();
            for (int o = 0; o < outFeatures; o++)
            {
                float g = gradients[o];
                var weights = w.Slice(o * inFeatures, inFeatures);
                for (int i = 0; i < inFeatures; i++)
                {
                    outRow[i] = MathF.FusedMultiplyAdd(g, weights[i], outRow[i]);
                }
            }
        }
    }
}
