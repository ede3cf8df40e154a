using Gradgen.Kernels;

namespace Gradgen.Nn;

// A compiled graph's Linear nodes: x·Wᵀ + b over the last dim, alone or with the kernel that follows as its epilogue.
public static partial class CompiledGraph
{
    /// <summary>x·Wᵀ + b over the last dim of <paramref name="x"/>: one packed matrix product with the bias added as it is written.</summary>
    /// <param name="x">The input, <c>[…, in]</c>.</param>
    /// <param name="weight">W, <c>[out, in]</c>.</param>
    /// <param name="bias">b, <c>[out]</c>, or null.</param>
    /// <returns><c>[…, out]</c>.</returns>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        int inFeatures = weight.Shape[1];
        if (x.Shape[^1] != inFeatures)
        {
            throw new ArgumentException($"Linear: the input has shape {x.ShapeString}, but the weight {weight.ShapeString} takes {inFeatures} features.", nameof(x));
        }

        var rows = Whole(x).Reshape(-1, inFeatures);
        Tensor y;
        if (x.DType == DType.Float32 && IsCpu(x))
        {
            y = LinearRows<IdentityEpilogue>(rows, weight, bias);
        }
        else if (!IsCpu(x))
        {
            y = DeviceMatMul.Linear(rows, weight, bias);
        }
        else
        {
            y = rows.MatMul(weight.Transpose(0, 1));
            if (bias is not null) y = y + bias;
        }

        var shape = x.Shape.ToArray();
        shape[^1] = weight.Shape[0];
        return y.Reshape(shape);
    }

    /// <summary>
    /// x·Wᵀ + b followed by a generated kernel of the product (one input) or of the product and <paramref name="other"/>
    /// at the same position (two: a residual add, say): in Float32 the kernel is the product's epilogue, applied to each
    /// element as it is written, so x·Wᵀ + b is never stored (on a device, the kernel's CUDA C compiled into the GEMM);
    /// in Float64, the product, then the kernel.
    /// </summary>
    /// <typeparam name="TEpilogue">The kernel as a product's epilogue (generated).</typeparam>
    /// <typeparam name="TFloat">The kernel for Float32.</typeparam>
    /// <typeparam name="TDouble">The kernel for Float64.</typeparam>
    /// <param name="entry">The kernel's name in <paramref name="cudaSource"/>.</param>
    /// <param name="cudaSource">The model's graph kernels in CUDA C.</param>
    /// <param name="x">The input, <c>[…, in]</c>.</param>
    /// <param name="weight">W, <c>[out, in]</c>.</param>
    /// <param name="bias">b, <c>[out]</c>, or null.</param>
    /// <param name="other">The kernel's other input, of the product's shape <c>[…, out]</c>, or null for a kernel of one input.</param>
    /// <param name="productInput">Which of the kernel's inputs the product is (0, or 1 with <paramref name="other"/> first).</param>
    /// <returns>The kernel's output, <c>[…, out]</c>.</returns>
    public static Tensor LinearThenMap<TEpilogue, TFloat, TDouble>(string entry, string cudaSource, Tensor x, Tensor weight, Tensor? bias, Tensor? other, int productInput)
        where TEpilogue : IGemmEpilogue
        where TFloat : IElementwiseKernel<MapSpans<float>, float>
        where TDouble : IElementwiseKernel<MapSpans<double>, double>
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        CheckProductInput("LinearThenMap", other, productInput);

        int outFeatures = weight.Ndim == 2 ? weight.Shape[0] : -1;
        bool fits = weight.Ndim == 2 && x.Ndim >= 1 && x.Shape[^1] == weight.Shape[1]
            && (other is null || (other.Ndim == x.Ndim && other.Shape[^1] == outFeatures && LeadingDimsEqual(other, x)));
        if (fits && AllFloat32On(x.Device, x, weight, bias, other))
        {
            var rows = Whole(x).Reshape(-1, weight.Shape[1]);
            var shape = x.Shape.ToArray();
            shape[^1] = outFeatures;
            var otherRows = other is null ? null : Whole(other).Reshape(-1, outFeatures);
            return (IsCpu(x) ? LinearRows<TEpilogue>(rows, weight, bias, otherRows) : DeviceProductThenMap<TFloat>(entry, cudaSource, rows, weight, true, bias, otherRows, productInput)).Reshape(shape);
        }

        return MapOfProduct<TFloat, TDouble>(entry, cudaSource, Linear(x, weight, bias), other, productInput);
    }

    /// <summary>
    /// act(x·Wᵀ + b) over the rows of a contiguous Float32 CPU <c>[batch, in]</c>: one packed matrix product with the bias
    /// added and <typeparamref name="TEpilogue"/> applied to each tile of C as it is written, or plain loops over the rows
    /// for a handful of weights; an epilogue that <see cref="IGemmEpilogue.ReadsOther"/> reads <paramref name="other"/>,
    /// contiguous <c>[batch, out]</c>, at each position.
    /// </summary>
    private static Tensor LinearRows<TEpilogue>(Tensor x, Tensor weightTensor, Tensor? biasParameter, Tensor? other = null)
        where TEpilogue : IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(x);
        int batch = x.Shape[0], inFeatures = weightTensor.Shape[1], outFeatures = weightTensor.Shape[0];
        var z = Tensor.Empty(DType.Float32, [batch, outFeatures]);
        var weight = weightTensor.ContiguousData();
        var biasTensor = biasParameter?.ContiguousData();
        ReadOnlySpan<float> bias = biasTensor is null ? default : biasTensor.Elements<float>();
        if (IsTiny(inFeatures, outFeatures))
        {
            var values = z.Elements<float>();
            TinyLinear(x.Elements<float>(), weight.Elements<float>(), bias, values, inFeatures, outFeatures);
            ReadOnlySpan<float> others = TEpilogue.ReadsOther ? other!.Elements<float>() : default;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = TEpilogue.ReadsOther ? TEpilogue.Apply(values[i], others[i]) : TEpilogue.Apply(values[i]);
            }
        }
        else if (TEpilogue.ReadsOther)
        {
            Gemm.Multiply<TEpilogue>(false, true, batch, outFeatures, inFeatures, 1f, x.Elements<float>(), inFeatures, weight.Elements<float>(), inFeatures, 0f, z.Elements<float>(), outFeatures, bias, other!.Elements<float>(), outFeatures);
        }
        else
        {
            Gemm.Multiply<TEpilogue>(false, true, batch, outFeatures, inFeatures, 1f, x.Elements<float>(), inFeatures, weight.Elements<float>(), inFeatures, 0f, z.Elements<float>(), outFeatures, bias);
        }

        // The spans above do not expose the storages (Tensor.Elements): the tensors stay reachable until here.
        GC.KeepAlive(x);
        GC.KeepAlive(weight);
        GC.KeepAlive(biasTensor);
        GC.KeepAlive(other);
        return z;
    }

    // A handful of weights: plain loops over the rows (ProductGradients says when, and why).
    private static bool IsTiny(int inFeatures, int outFeatures) => ProductGradients.IsTiny(inFeatures, outFeatures);

    private static void TinyLinear(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> z, int inFeatures, int outFeatures)
    {
        int rows = x.Length / inFeatures;
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * inFeatures, inFeatures);
            var outRow = z.Slice(r * outFeatures, outFeatures);
            for (int o = 0; o < outFeatures; o++)
            {
                float sum = bias.IsEmpty ? 0 : bias[o];
                var weights = w.Slice(o * inFeatures, inFeatures);
                for (int i = 0; i < inFeatures; i++)
                {
                    sum = MathF.FusedMultiplyAdd(row[i], weights[i], sum);
                }

                outRow[o] = sum;
            }
        }
    }
}
