using System.Globalization;

namespace Gradgen.Nn;

/// <summary>
/// A fully connected layer, y = x·Wᵀ + b (PyTorch's <c>torch.nn.Linear</c>), with PyTorch's weight layout
/// <c>[out, in]</c> and initialisation: weight and bias uniform in (−1/√in, 1/√in) (<c>kaiming_uniform_</c> with
/// a = √5), drawn from <see cref="RandomGenerator"/>.
/// </summary>
public sealed class Linear : Module
{
    /// <summary>A layer from <paramref name="inFeatures"/> inputs to <paramref name="outFeatures"/> outputs.</summary>
    /// <param name="inFeatures">The size of each input's last dimension.</param>
    /// <param name="outFeatures">The size of each output's last dimension.</param>
    /// <param name="bias">Whether the layer adds a learnable bias.</param>
    /// <param name="dtype">The parameters' dtype, <see cref="DType.Float32"/> (default) or <see cref="DType.Float64"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not floating-point.</exception>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(outFeatures);
        if (!dtype.IsFloating()) throw new ArgumentException($"Linear: the parameters' dtype must be Float32 or Float64, not {dtype}.", nameof(dtype));
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        double bound = inFeatures > 0 ? 1 / Math.Sqrt(inFeatures) : 0;
        Weight = new Parameter(Uniform([outFeatures, inFeatures], bound, dtype));
        RegisterParameter("weight", Weight);
        Bias = bias ? new Parameter(Uniform([outFeatures], bound, dtype)) : null;
        RegisterParameter("bias", Bias);
    }

    static Tensor Uniform(int[] shape, double bound, DType dtype) => Tensor.Rand(shape, dtype) * (2 * bound) - bound;

    /// <summary>The number of input features (PyTorch's <c>in_features</c>).</summary>
    public int InFeatures { get; }

    /// <summary>The number of output features (PyTorch's <c>out_features</c>).</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, of shape <c>[OutFeatures, InFeatures]</c>.</summary>
    public Parameter Weight { get; }

    /// <summary>The bias, of shape <c>[OutFeatures]</c>, or null when the layer was built with <c>bias: false</c>.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <summary>x·Wᵀ + b for <paramref name="input"/> of shape <c>[…, InFeatures]</c>; the result has shape <c>[…, OutFeatures]</c>.</summary>
    /// <param name="input">The input, of the parameters' dtype.</param>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}");
}

/// <summary>
/// The graph node of <see cref="Functional.Linear"/>, on the CPU and on a device (<c>AddmmBackward</c>, or
/// <c>MmBackward</c> without bias, as PyTorch names them): its gradients are <see cref="ProductGradients.Linear"/>'s.
/// </summary>
internal sealed class LinearBackward : GradFn
{
    SavedTensor x2, weight;
    readonly int[] inputShape;
    readonly bool hasBias;

    /// <param name="input">The input as given (the gradient has its shape).</param>
    /// <param name="weight">The weight as given (the graph edge).</param>
    /// <param name="bias">The bias as given, or null.</param>
    /// <param name="x2">The input's data as a contiguous [m, in] matrix, saved.</param>
    /// <param name="w">The weight's data, contiguous, saved.</param>
    public LinearBackward(Tensor input, Tensor weight, Tensor? bias, Tensor x2, Tensor w)
    {
        hasBias = bias is not null;
        SetInputs(bias is null ? [input, weight] : [input, weight, bias]);
        inputShape = input.shape;
        this.x2 = Save(x2);
        this.weight = Save(w);
    }

    public override string Name => hasBias ? "AddmmBackward" : "MmBackward";

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var x = x2.Get(this);
        var w = weight.Get(this);
        int m = x.shape[0], n = w.shape[0];
        bool onDevice = DeviceData.OnDevice(x);
        var g = onDevice
            ? DeviceData.IsWhole(grad) && grad.DType == x.DType ? grad : DeviceData.Copy(grad, x.DType)
            : grad.DType == x.DType ? grad.ContiguousData() : grad.ToDTypeData(x.DType);
        var (dx, dw, db) = ProductGradients.Linear(g.Reshape(m, n), x, w, Needs(0), Needs(1), hasBias && Needs(2));
        inputGrads[0] = dx?.Reshape(inputShape);
        inputGrads[1] = dw;
        if (hasBias)
        {
            inputGrads[2] = db;
        }
    }

    internal override void ReleaseSaved()
    {
        x2.Release();
        weight.Release();
    }
}

public static partial class Functional
{
    /// <summary>
    /// x·Wᵀ + b (PyTorch's <c>torch.nn.functional.linear</c>) for <paramref name="input"/> of shape <c>[…, in]</c>,
    /// <paramref name="weight"/> <c>[out, in]</c> and <paramref name="bias"/> <c>[out]</c>: one matrix product with the
    /// weight read transposed in place and the bias added as it is written, one graph node.
    /// </summary>
    /// <param name="input">The input, at least 1-D, of the weight's dtype.</param>
    /// <param name="weight">The weight, <c>[out, in]</c>, Float32 or Float64.</param>
    /// <param name="bias">The bias, <c>[out]</c>, or null.</param>
    /// <exception cref="ArgumentException">Shapes or dtypes do not match.</exception>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Ndim != 2) throw new ArgumentException($"Linear: the weight must be 2-D [out, in], got shape {weight.Shape}.", nameof(weight));
        if (!weight.DType.IsFloating()) throw new ArgumentException($"Linear: the weight has dtype {weight.DType}; it must be Float32 or Float64.", nameof(weight));
        int n = weight.shape[0], k = weight.shape[1];
        if (input.Ndim == 0) throw new ArgumentException($"Linear: the input must be at least 1-D [..., {k}], got a 0-D tensor.", nameof(input));
        if (input.shape[^1] != k)
            throw new ArgumentException($"Linear: the input of shape {input.Shape} cannot be multiplied by the weight of shape {weight.Shape}: its last dimension is {input.shape[^1]} but in_features is {k}.", nameof(input));
        if (input.DType != weight.DType)
            throw new ArgumentException($"Linear: the input has dtype {input.DType} but the weight has dtype {weight.DType}; convert the input with To(DType.{weight.DType}).", nameof(input));
        if (bias is not null)
        {
            if (bias.Ndim != 1 || bias.shape[0] != n)
                throw new ArgumentException($"Linear: the bias must have shape [{n}] (out_features), got {bias.Shape}.", nameof(bias));
            if (bias.DType != weight.DType)
                throw new ArgumentException($"Linear: the bias has dtype {bias.DType} but the weight has dtype {weight.DType}.", nameof(bias));
        }
        if (input.Device.Type != DeviceType.Cpu || weight.Device.Type != DeviceType.Cpu || (bias is not null && bias.Device.Type != DeviceType.Cpu)) return DeviceMatMul.Linear(input, weight, bias);
        int m = input.numel / Math.Max(k, 1);
        if (k == 0)
        {
            m = 1;
            for (int i = 0; i < input.Ndim - 1; i++) m *= input.shape[i];
        }
        var x2 = input.ContiguousData().Detach().Reshape(m, k);
        var w = weight.ContiguousData().Detach();
        var b = bias?.ContiguousData().Detach();
        var outShape = (int[])input.shape.Clone();
        outShape[^1] = n;
        var y = Tensor.Empty(weight.DType, [m, n]);
        Gemm(false, true, m, n, k, x2, k, w, k, y, n, b);
        var r = y.Reshape(outShape);
        bool record = bias is null ? Autograd.Recording(input, weight) : Autograd.Recording([input, weight, bias]);
        if (record) r.WithHistory(new LinearBackward(input, weight, bias, x2, w));
        return r;
    }

    /// <summary>C[m×n] = op(A)·op(B) (+ bias on every row), with the runtime's GEMM, for contiguous Float32 or Float64 tensors.</summary>
    internal static void Gemm(bool transposeA, bool transposeB, int m, int n, int k, Tensor a, int lda, Tensor b, int ldb, Tensor c, int ldc, Tensor? bias)
    {
        if (m == 0 || n == 0) return;
        if (c.DType == DType.Float32)
        {
            ReadOnlySpan<float> bs = bias is null ? default : bias.StorageSpan<float>().Slice(bias.offset, n);
            if (k == 0)
            {
                var cs = c.StorageSpan<float>().Slice(c.offset, c.numel);
                for (int i = 0; i < m; i++) if (bias is null) cs.Slice(i * ldc, n).Clear(); else bs.CopyTo(cs.Slice(i * ldc, n));
                return;
            }
            Kernels.Gemm.Multiply(transposeA, transposeB, m, n, k, 1f,
                a.StorageSpan<float>().Slice(a.offset, a.numel), lda,
                b.StorageSpan<float>().Slice(b.offset, b.numel), ldb,
                0f, c.StorageSpan<float>().Slice(c.offset, c.numel), ldc, bs);
        }
        else
        {
            var cs = c.StorageSpan<double>().Slice(c.offset, c.numel);
            double beta = 0;
            if (bias is not null)
            {
                var bs = bias.StorageSpan<double>().Slice(bias.offset, n);
                for (int i = 0; i < m; i++) bs.CopyTo(cs.Slice(i * ldc, n));
                beta = 1;
            }
            else if (k == 0) cs.Clear();
            if (k == 0) return;
            Kernels.Gemm.Multiply(transposeA, transposeB, m, n, k, 1.0,
                a.StorageSpan<double>().Slice(a.offset, a.numel), lda,
                b.StorageSpan<double>().Slice(b.offset, b.numel), ldb,
                beta, cs, ldc);
        }
    }
}
