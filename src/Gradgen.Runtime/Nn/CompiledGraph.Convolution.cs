using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// The compiled graph's convolution and pooling steps: the same kernels eager <see cref="Nn.Conv2d"/> and
/// <see cref="Nn.MaxPool2d"/> run, on detached tensors (on a device, their compositions: CompiledGraph.DeviceImages.cs); a layer's gradients come from one call, each computed only when
/// the backward asks for it. The window is read from the module, so a compiled graph always agrees with its Forward.
/// </summary>
public static partial class CompiledGraph
{
    /// <summary>A 2-D convolution of <paramref name="x"/> [N, C, H, W] by the module's filters, stride, padding, dilation and groups.</summary>
    /// <param name="x">The images.</param>
    /// <param name="weight">The filters [O, C / groups, kh, kw].</param>
    /// <param name="bias">One value per output channel, or null.</param>
    /// <param name="module">The layer whose window the graph applies.</param>
    /// <returns>[N, O, OH, OW].</returns>
    /// <exception cref="ArgumentException">The shapes do not fit, with the values (as eager <c>Conv2d</c>).</exception>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Conv2d module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Functional.Conv2d(x, weight, bias, module.Stride, module.Padding, module.Dilation, module.Groups);
    }

    /// <summary>
    /// <see cref="Conv2d(Tensor, Tensor, Tensor?, Nn.Conv2d)"/> followed by a generated kernel of its output (one input:
    /// the activation after the layer) or of its output and <paramref name="other"/> at the same position (two: a
    /// residual add): in Float32 on the CPU the kernel is the convolution's epilogue, applied to each element as its
    /// product writes it, so the layer's output is never stored; elsewhere the layer, then the kernel.
    /// </summary>
    /// <typeparam name="TEpilogue">The kernel as a product's epilogue (generated).</typeparam>
    /// <typeparam name="TFloat">The kernel for Float32.</typeparam>
    /// <typeparam name="TDouble">The kernel for Float64.</typeparam>
    /// <param name="entry">The kernel's name in <paramref name="cudaSource"/>.</param>
    /// <param name="cudaSource">The model's graph kernels in CUDA C.</param>
    /// <param name="x">The input [N, C, H, W].</param>
    /// <param name="weight">The filters [O, C / groups, kh, kw].</param>
    /// <param name="bias">The bias [O], or null.</param>
    /// <param name="module">The layer whose window the graph applies.</param>
    /// <param name="other">The kernel's other input, of the output's shape [N, O, OH, OW], or null for a kernel of one input.</param>
    /// <param name="productInput">Which of the kernel's inputs the convolution is (0, or 1 with <paramref name="other"/> first).</param>
    /// <returns>The kernel's output [N, O, OH, OW].</returns>
    public static Tensor Conv2dThenMap<TEpilogue, TFloat, TDouble>(string entry, string cudaSource, Tensor x, Tensor weight, Tensor? bias, Conv2d module, Tensor? other = null, int productInput = 0)
        where TEpilogue : IGemmEpilogue
        where TFloat : IElementwiseKernel<MapSpans<float>, float>
        where TDouble : IElementwiseKernel<MapSpans<double>, double>
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(module);
        CheckProductInput("Conv2dThenMap", other, productInput);

        if (x.DType == DType.Float32 && x.Device.Type == DeviceType.Cpu && (other is null || (other.DType == DType.Float32 && other.Device.Type == DeviceType.Cpu && other.Ndim == x.Ndim)))
        {
            return Functional.Conv2d<TEpilogue>(x, weight, bias, module.Stride, module.Padding, module.Dilation, module.Groups, other is null ? null : Whole(other));
        }

        return MapOfProduct<TFloat, TDouble>(entry, cudaSource, Conv2d(x, weight, bias, module), other, productInput);
    }

    /// <summary>
    /// The gradients of <see cref="Conv2d(Tensor, Tensor, Tensor?, Nn.Conv2d)"/> asked for, from the output's gradient
    /// <paramref name="g"/>, in one pass over the images: of the input (Wᵀ·dY folded back into the image), of the weight
    /// (dY·colsᵀ over every image) and of the bias (dY summed over images and positions).
    /// </summary>
    /// <param name="g">The output's gradient [N, O, OH, OW].</param>
    /// <param name="x">The convolution's input [N, C, H, W].</param>
    /// <param name="weight">The filters [O, C / groups, kh, kw].</param>
    /// <param name="module">The layer whose window the graph applied.</param>
    /// <param name="input">Compute the input's gradient.</param>
    /// <param name="weights">Compute the weight's gradient.</param>
    /// <param name="bias">Compute the bias's gradient.</param>
    /// <returns>The input's, the weight's and the bias's gradients; null where not asked for.</returns>
    /// <exception cref="ArgumentException">The gradient's shape is not the convolution's output shape.</exception>
    public static Tensor?[] Conv2dGradients(Tensor g, Tensor x, Tensor weight, Conv2d module, bool input, bool weights, bool bias)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(module);
        var window = new Window2d(weight.Shape[2], weight.Shape[3], module.Stride, module.Stride, module.Padding, module.Padding, module.Dilation, module.Dilation);
        var (oh, ow) = window.OutputSize(x, "Conv2d");
        var shape = new ConvolutionShape(x.shape, weight.shape, window, module.Groups);
        if (g.Ndim != 4 || g.Shape[0] != shape.N || g.Shape[1] != shape.O || g.Shape[2] != oh || g.Shape[3] != ow)
        {
            throw new ArgumentException($"Conv2dGradients: the gradient has shape {g.ShapeString}, but the convolution of {x.ShapeString} by {weight.ShapeString} gives [{shape.N}, {shape.O}, {oh}, {ow}].", nameof(g));
        }

        if (!IsCpu(x))
        {
            return DeviceConv2dGradients(g, x, weight, module, input, weights, bias);
        }

        var xs = Whole(x);
        var ws = Whole(weight);
        var gs = Whole(g.DType == x.DType ? g : g.ToDTypeData(x.DType));
        var dx = input ? Tensor.Empty(x.DType, [.. x.Shape]) : null;
        var db = bias ? new double[shape.O] : null;
        Tensor? dw;
        if (x.DType == DType.Float32)
        {
            var sum = ConvolutionKernel.Backward<float>(shape, xs, ws, gs, dx, weights, db);
            dw = sum is null ? null : Tensor.FromArray(sum).Reshape(weight.shape);
        }
        else
        {
            var sum = ConvolutionKernel.Backward<double>(shape, xs, ws, gs, dx, weights, db);
            dw = sum is null ? null : Tensor.FromArray(sum).Reshape(weight.shape);
        }

        GC.KeepAlive(xs);
        GC.KeepAlive(ws);
        GC.KeepAlive(gs);
        return [dx, dw, db is null ? null : Tensor.FromArray(db).To(x.DType)];
    }

    /// <summary>2-D max pooling of <paramref name="x"/> [N, C, H, W] with the module's window.</summary>
    /// <param name="x">The images.</param>
    /// <param name="module">The layer whose window the graph applies.</param>
    /// <returns>[N, C, OH, OW].</returns>
    /// <exception cref="ArgumentException">The window does not fit the input, with the values.</exception>
    public static Tensor MaxPool2d(Tensor x, MaxPool2d module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Functional.MaxPool2d(x, module.KernelSize, module.Stride, module.Padding, module.Dilation);
    }

    /// <summary>2-D max pooling for a graph that differentiates it: the values and the positions in <paramref name="x"/> they were taken from (Int32 on the CPU; on a device, Int64 positions within each plane).</summary>
    /// <param name="x">The images.</param>
    /// <param name="module">The layer whose window the graph applies.</param>
    /// <returns>The values [N, C, OH, OW] and the indices, shaped like them.</returns>
    /// <exception cref="ArgumentException">The window does not fit the input, with the values.</exception>
    public static Tensor[] MaxPool2dWithIndices(Tensor x, MaxPool2d module)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(module);
        if (x.Ndim != 4)
        {
            throw new ArgumentException($"MaxPool2d: the compiled graph takes [N, C, H, W], got shape {x.ShapeString}.", nameof(x));
        }

        Functional.CheckMaxPool(x, module.KernelSize, module.Stride, module.Padding, module.Dilation);
        var window = new Window2d(module.KernelSize, module.KernelSize, module.Stride, module.Stride, module.Padding, module.Padding, module.Dilation, module.Dilation);
        var (values, indices) = IsCpu(x) ? MaxPoolKernel.RunWithIndices(x, window) : DeviceWindows.MaxPool2dWithPositions(x, window);
        return [values, indices];
    }

    /// <summary>The gradient of max pooling: <paramref name="g"/> added at the positions <paramref name="indices"/> holds, in zeros shaped like <paramref name="x"/>.</summary>
    /// <param name="g">The pooled output's gradient [N, C, OH, OW].</param>
    /// <param name="indices">The positions from <see cref="MaxPool2dWithIndices"/>.</param>
    /// <param name="x">The pooling's input (its shape).</param>
    /// <returns>A tensor shaped like <paramref name="x"/>.</returns>
    /// <exception cref="ArgumentException">The gradient and the indices differ in shape.</exception>
    public static Tensor MaxPool2dGradient(Tensor g, Tensor indices, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(x);
        return IsCpu(x)
            ? MaxPoolKernel.Gradient(g.DType == x.DType ? g : g.ToDTypeData(x.DType), indices, [.. x.Shape])
            : DeviceMaxPool2dGradient(g.DType == x.DType ? g : g.To(x.DType), indices, x);
    }
}
