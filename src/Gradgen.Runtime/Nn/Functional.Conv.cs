using Gradgen.Kernels;

namespace Gradgen.Nn;

public static partial class Functional
{
    /// <summary>
    /// A 2-D convolution (PyTorch's <c>F.conv2d</c>, a cross-correlation) of <paramref name="input"/> [N, C, H, W]
    /// (or [C, H, W]) with <paramref name="weight"/> [O, C / groups, kh, kw]: image by image, im2col and one matrix
    /// product per group through the packed GEMM into the NCHW output (<see cref="ConvolutionKernel"/>), recorded as
    /// <c>ConvolutionBackward0</c>. Float32 or Float64; on an accelerator, composed of
    /// device operations (<see cref="DeviceWindows"/>).
    /// </summary>
    /// <param name="input">The images.</param>
    /// <param name="weight">The filters.</param>
    /// <param name="bias">One value per output channel, or null.</param>
    /// <param name="stride">The step of the window in both directions, ≥ 1.</param>
    /// <param name="padding">Zeros added on every side, ≥ 0.</param>
    /// <param name="dilation">The spacing of the kernel's taps, ≥ 1.</param>
    /// <param name="groups">Channel groups, dividing C and O.</param>
    /// <returns>[N, O, OH, OW] with OH = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1 (likewise OW).</returns>
    /// <exception cref="ArgumentException">The shapes or arguments do not fit, with the values.</exception>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d<IdentityEpilogue>(input, weight, bias, stride, padding, dilation, groups);

    /// <summary>
    /// <see cref="Conv2d(Tensor, Tensor, Tensor?, int, int, int, int)"/> with <typeparamref name="TEpilogue"/> applied to
    /// each output element as the product writes it (a compiled model's activation after the layer): a Float32 CPU
    /// input only, for an epilogue other than <see cref="IdentityEpilogue"/>; one that reads a second value reads
    /// <paramref name="other"/>, of the output's shape.
    /// </summary>
    internal static Tensor Conv2d<TEpilogue>(Tensor input, Tensor weight, Tensor? bias, int stride, int padding, int dilation, int groups, Tensor? other = null)
        where TEpilogue : IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Ndim == 3)
        {
            return Conv2d<TEpilogue>(input.Unsqueeze(0), weight, bias, stride, padding, dilation, groups, other?.Unsqueeze(0)).Squeeze(0);
        }

        CheckWindow("Conv2d", input, stride, padding, dilation);
        if (weight.Ndim != 4)
        {
            throw new ArgumentException($"Conv2d: the weight must be 4-D [out_channels, in_channels / groups, kh, kw], got shape {weight.Shape}.", nameof(weight));
        }

        int c = input.Shape[1], o = weight.Shape[0], kh = weight.Shape[2], kw = weight.Shape[3];
        if (groups < 1 || c % groups != 0 || o % groups != 0 || weight.Shape[1] * groups != c)
        {
            throw new ArgumentException($"Conv2d: input of shape {input.Shape} with {c} channels, weight of shape {weight.Shape} and groups={groups} do not fit: expected weight [O, {(groups >= 1 ? c / groups : c)}, kh, kw] with O and {c} divisible by groups.");
        }

        if (bias is not null && (bias.Ndim != 1 || bias.Shape[0] != o))
        {
            throw new ArgumentException($"Conv2d: the bias must have shape [{o}], got {bias.Shape}.", nameof(bias));
        }

        if (weight.DType != input.DType || (bias is not null && bias.DType != input.DType))
        {
            throw new ArgumentException($"Conv2d: the input ({input.DType}), weight ({weight.DType}) and bias ({bias?.DType.ToString() ?? "none"}) must have one dtype.", nameof(weight));
        }

        if (weight.Device != input.Device || (bias is not null && bias.Device != input.Device))
        {
            throw new ArgumentException($"Conv2d: the input is on {input.Device}, the weight on {weight.Device} and the bias on {bias?.Device.ToString() ?? "none"}; they must be on one device.", nameof(weight));
        }

        var window = new Window2d(kh, kw, stride, stride, padding, padding, dilation, dilation);
        if (typeof(TEpilogue) != typeof(IdentityEpilogue) && input.Device.Type != DeviceType.Cpu)
        {
            throw new ArgumentException($"Conv2d: an epilogue runs on the CPU only, not on {input.Device}.", nameof(input));
        }

        return input.Device.Type == DeviceType.Cpu
            ? ConvolutionKernel.Run<TEpilogue>(input, weight, bias, window, groups, other)
            : DeviceWindows.Conv2d(input, weight, bias, window, groups);
    }

    /// <summary>2-D max pooling (PyTorch's <c>F.max_pool2d</c>): the largest element of each window, padding counting as −∞; the gradient goes to the first largest element of each window, as PyTorch's.</summary>
    /// <param name="input">[N, C, H, W] or [C, H, W].</param>
    /// <param name="kernelSize">The window's side.</param>
    /// <param name="stride">The window's step; null for <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Added on every side, at most half the kernel.</param>
    /// <param name="dilation">The spacing of the window's taps.</param>
    /// <exception cref="ArgumentException">The arguments do not fit the input, with the values.</exception>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Ndim == 3)
        {
            return MaxPool2d(input.Unsqueeze(0), kernelSize, stride, padding, dilation).Squeeze(0);
        }

        int step = stride ?? kernelSize;
        CheckMaxPool(input, kernelSize, step, padding, dilation);
        var window = new Window2d(kernelSize, kernelSize, step, step, padding, padding, dilation, dilation);
        return input.Device.Type == DeviceType.Cpu ? MaxPoolKernel.Run(input, window) : DeviceWindows.MaxPool2d(input, window);
    }

    /// <summary>Throws, naming the values, where a max pooling's window does not fit <paramref name="input"/> [N, C, H, W].</summary>
    internal static void CheckMaxPool(Tensor input, int kernelSize, int stride, int padding, int dilation)
    {
        if (padding * 2 > kernelSize)
        {
            throw new ArgumentException($"MaxPool2d: pad should be at most half of effective kernel size, but got pad={padding}, kernel_size={kernelSize} and dilation={dilation}.", nameof(padding));
        }

        CheckWindow("MaxPool2d", input, stride, padding, dilation);
        if (kernelSize < 1)
        {
            throw new ArgumentException($"MaxPool2d: kernel_size must be positive, got {kernelSize}.", nameof(kernelSize));
        }
    }

    /// <summary>
    /// 2-D average pooling (PyTorch's <c>F.avg_pool2d</c>): the mean of each window; padding counts as zeros in the
    /// divisor unless <paramref name="countIncludePad"/> is false, and <paramref name="divisorOverride"/> replaces the
    /// divisor. Recorded as <c>AvgPool2DBackward</c>. Float32 or Float64; on an accelerator, composed of device
    /// operations (<see cref="DeviceWindows"/>).
    /// </summary>
    /// <param name="input">[N, C, H, W] or [C, H, W].</param>
    /// <param name="kernelSize">The window's side.</param>
    /// <param name="stride">The window's step; null for <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Zeros added on every side, at most half the kernel.</param>
    /// <param name="countIncludePad">Divide by the whole window (true) or by its elements inside the input.</param>
    /// <param name="ceilMode">Round the output size up (a last, partial window), as PyTorch's ceil_mode.</param>
    /// <param name="divisorOverride">What every window's sum divides by instead, or null.</param>
    /// <exception cref="ArgumentException">The arguments do not fit the input, with the values.</exception>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false, int? divisorOverride = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Ndim == 3)
        {
            return AvgPool2d(input.Unsqueeze(0), kernelSize, stride, padding, countIncludePad, ceilMode, divisorOverride).Squeeze(0);
        }

        CheckWindow("AvgPool2d", input, stride ?? kernelSize, padding, 1);
        var windows = AverageWindows.Strided(input.Shape[2], input.Shape[3], kernelSize, stride ?? kernelSize, padding, ceilMode, countIncludePad, divisorOverride);
        return input.Device.Type == DeviceType.Cpu ? AvgPoolKernel.Run(input, windows, "AvgPool2DBackward") : DeviceWindows.AvgPool2d(input, windows);
    }

    /// <summary>
    /// 2-D adaptive average pooling (PyTorch's <c>F.adaptive_avg_pool2d</c>): output cell (i, j) is the mean of rows
    /// ⌊i·H/oh⌋ to ⌈(i+1)·H/oh⌉ and the columns likewise. Recorded as <c>AdaptiveAvgPool2DBackward</c>. Float32 or Float64, on any device.
    /// </summary>
    /// <param name="input">[N, C, H, W] or [C, H, W].</param>
    /// <param name="outputH">The output's height, ≥ 1.</param>
    /// <param name="outputW">The output's width, ≥ 1.</param>
    /// <exception cref="ArgumentException">The input is not 3-D or 4-D floating, or an output size is not positive, with the values.</exception>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputH, int outputW)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Ndim == 3)
        {
            return AdaptiveAvgPool2d(input.Unsqueeze(0), outputH, outputW).Squeeze(0);
        }

        if (input.Ndim != 4 || outputH < 1 || outputW < 1)
        {
            throw new ArgumentException($"AdaptiveAvgPool2d: expected a 3-D or 4-D input and a positive output size, got shape {input.Shape} and output size ({outputH}, {outputW}).");
        }

        CheckWindow("AdaptiveAvgPool2d", input, 1, 0, 1);
        var windows = AverageWindows.Adaptive(input.Shape[2], input.Shape[3], outputH, outputW);
        return input.Device.Type == DeviceType.Cpu ? AvgPoolKernel.Run(input, windows, "AdaptiveAvgPool2DBackward") : DeviceWindows.AvgPool2d(input, windows);
    }

    static void CheckWindow(string op, Tensor input, int stride, int padding, int dilation)
    {
        if (input.Ndim != 4)
        {
            throw new ArgumentException($"{op}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape {input.Shape}.", nameof(input));
        }

        if (!input.DType.IsFloating())
        {
            throw new ArgumentException($"{op}: expected a Float32 or Float64 input, got {input.DType}.", nameof(input));
        }

        if (stride < 1 || padding < 0 || dilation < 1)
        {
            throw new ArgumentException($"{op}: stride must be ≥ 1, padding ≥ 0 and dilation ≥ 1; got stride={stride}, padding={padding}, dilation={dilation}.");
        }
    }
}
