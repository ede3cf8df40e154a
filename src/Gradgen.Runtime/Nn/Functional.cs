using System.Numerics;

namespace Gradgen.Nn;

/// <summary>
/// Stateless neural-network functions (PyTorch's <c>torch.nn.functional</c>): activations, softmax, the linear map
/// and the losses' formulas, each recorded by autograd.
/// </summary>
public static partial class Functional
{
    /// <summary>The logistic sigmoid 1 / (1 + e^−x), elementwise (recorded as <c>SigmoidBackward</c>, whose rule reuses the output: g·y·(1−y)).</summary>
    /// <param name="input">A floating-point tensor.</param>
    public static Tensor Sigmoid(Tensor input) => Tensor.Sigmoid(input);

    /// <summary>max(x, 0), elementwise (recorded as <c>ReluBackward</c>; the gradient at 0 is 0, as PyTorch's).</summary>
    /// <param name="input">A tensor.</param>
    public static Tensor Relu(Tensor input) => Tensor.Relu(input);

    /// <summary>The hyperbolic tangent, elementwise (recorded as <c>TanhBackward</c>: g·(1−y²)).</summary>
    /// <param name="input">A floating-point tensor.</param>
    public static Tensor Tanh(Tensor input) => Tensor.Tanh(input);

    /// <summary>
    /// e^xᵢ / Σⱼ e^xⱼ along <paramref name="dim"/> (PyTorch's <c>softmax(x, dim)</c>), computed stably (the maximum is
    /// subtracted first) in one pass per row, recorded as one <c>SoftmaxBackward</c> node: gx = y·(g − Σ g·y).
    /// </summary>
    /// <param name="input">A Float32 or Float64 tensor.</param>
    /// <param name="dim">The dimension the probabilities sum to 1 along (negative counts from the end).</param>
    public static Tensor Softmax(Tensor input, int dim) => SoftmaxCore(input, dim, log: false);

    /// <summary>
    /// xᵢ − log Σⱼ e^xⱼ along <paramref name="dim"/> (PyTorch's <c>log_softmax(x, dim)</c>), computed stably as
    /// xᵢ − m − log Σⱼ e^(xⱼ−m) with m the maximum, recorded as one <c>LogSoftmaxBackward</c> node: gx = g − e^y·Σ g.
    /// </summary>
    /// <param name="input">A Float32 or Float64 tensor.</param>
    /// <param name="dim">The dimension to normalise along (negative counts from the end).</param>
    public static Tensor LogSoftmax(Tensor input, int dim) => SoftmaxCore(input, dim, log: true);

    static Tensor SoftmaxCore(Tensor input, int dim, bool log)
    {
        ArgumentNullException.ThrowIfNull(input);
        string op = log ? "LogSoftmax" : "Softmax";
        if (!input.DType.IsFloating())
            throw new ArgumentException($"{op}: the input has dtype {input.DType}; it must be Float32 or Float64. Convert with To(DType.Float32) first.", nameof(input));
        int d = Tensor.NormalizeDim(dim, input.Ndim, op);
        if (input.Device.Type != DeviceType.Cpu) return DeviceNn.Softmax(input, d, log);
        var (outer, size, inner) = Split(input.shape, d);
        var x = input.ContiguousData();
        var y = Tensor.Empty(input.DType, input.shape);
        if (input.DType == DType.Float32) SoftmaxForward<float>(x.StorageSpan<float>().Slice(x.offset, x.numel), y.StorageSpan<float>(), outer, size, inner, log);
        else SoftmaxForward<double>(x.StorageSpan<double>().Slice(x.offset, x.numel), y.StorageSpan<double>(), outer, size, inner, log);
        if (Autograd.Recording(input)) y.WithHistory(new SoftmaxBackward(input, y.Detach(), d, log));
        return y;
    }

    internal static (int Outer, int Size, int Inner) Split(int[] shape, int d)
    {
        if (shape.Length == 0) return (1, 1, 1);
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[d], inner);
    }

    static void SoftmaxForward<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int size, int inner, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            int baseIndex = o * size * inner;
            for (int i = 0; i < inner; i++)
            {
                int start = baseIndex + i;
                T max = T.NegativeInfinity;
                for (int j = 0; j < size; j++)
                {
                    T v = x[start + j * inner];
                    if (v > max || T.IsNaN(v)) max = v;
                }
                T sum = T.Zero;
                for (int j = 0; j < size; j++)
                {
                    T e = T.Exp(x[start + j * inner] - max);
                    if (!log) y[start + j * inner] = e;
                    sum += e;
                }
                if (log)
                {
                    T lse = max + T.Log(sum);
                    for (int j = 0; j < size; j++) y[start + j * inner] = x[start + j * inner] - lse;
                }
                else
                {
                    T inv = T.One / sum;
                    for (int j = 0; j < size; j++) y[start + j * inner] *= inv;
                }
            }
        }
    }

    internal static void SoftmaxGrad<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> g, Span<T> gx, int outer, int size, int inner, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            int baseIndex = o * size * inner;
            for (int i = 0; i < inner; i++)
            {
                int start = baseIndex + i;
                T s = T.Zero;
                if (log)
                {
                    for (int j = 0; j < size; j++) s += g[start + j * inner];
                    for (int j = 0; j < size; j++)
                    {
                        int p = start + j * inner;
                        gx[p] = g[p] - T.Exp(y[p]) * s;
                    }
                }
                else
                {
                    for (int j = 0; j < size; j++) s += g[start + j * inner] * y[start + j * inner];
                    for (int j = 0; j < size; j++)
                    {
                        int p = start + j * inner;
                        gx[p] = y[p] * (g[p] - s);
                    }
                }
            }
        }
    }
}

/// <summary>The node of <see cref="Functional.Softmax"/> and <see cref="Functional.LogSoftmax"/>; it saves only the output.</summary>
internal sealed class SoftmaxBackward : GradFn
{
    SavedTensor output;
    readonly int dim;
    readonly bool log;

    public SoftmaxBackward(Tensor input, Tensor output, int dim, bool log)
    {
        SetInputs(input);
        this.output = Save(output);
        this.dim = dim;
        this.log = log;
    }

    public override string Name => log ? "LogSoftmaxBackward" : "SoftmaxBackward";

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var y = output.Get(this);
        var g = grad.DType == y.DType ? grad.ContiguousData() : grad.ToDTypeData(y.DType);
        var (outer, size, inner) = Functional.Split(y.shape, dim);
        var gx = Tensor.Empty(y.DType, y.shape);
        if (y.DType == DType.Float32)
            Functional.SoftmaxGrad<float>(y.StorageSpan<float>().Slice(y.offset, y.numel), g.StorageSpan<float>().Slice(g.offset, g.numel), gx.StorageSpan<float>(), outer, size, inner, log);
        else
            Functional.SoftmaxGrad<double>(y.StorageSpan<double>().Slice(y.offset, y.numel), g.StorageSpan<double>().Slice(g.offset, g.numel), gx.StorageSpan<double>(), outer, size, inner, log);
        inputGrads[0] = gx;
    }

    internal override void ReleaseSaved() => output.Release();
}
