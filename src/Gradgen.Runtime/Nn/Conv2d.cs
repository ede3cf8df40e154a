using System.Globalization;

namespace Gradgen.Nn;

/// <summary>
/// A 2-D convolution layer (PyTorch's <c>nn.Conv2d</c>) over NCHW images: <c>weight</c> [out, in / groups, k, k] and
/// <c>bias</c> [out], initialised as PyTorch does (uniform in ±1/√(in / groups · k²)). Square kernels, one stride,
/// padding and dilation for both directions; CPU: the input is unfolded into one row per window (im2col) and multiplied by the filters in one GEMM.
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>A convolution of <paramref name="inChannels"/> to <paramref name="outChannels"/> channels.</summary>
    /// <param name="inChannels">Channels of the input.</param>
    /// <param name="outChannels">Channels of the output.</param>
    /// <param name="kernelSize">The kernel's side.</param>
    /// <param name="stride">The step of the window.</param>
    /// <param name="padding">Zeros added on every side.</param>
    /// <param name="dilation">The spacing of the kernel's taps.</param>
    /// <param name="groups">Channel groups, dividing both channel counts.</param>
    /// <param name="bias">Whether to add a learnable bias.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <exception cref="ArgumentException">A size is not positive, the groups do not divide the channels, or the dtype is not floating.</exception>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, DType dtype = DType.Float32)
    {
        if (inChannels < 1 || outChannels < 1 || kernelSize < 1 || stride < 1 || padding < 0 || dilation < 1 || groups < 1)
        {
            throw new ArgumentException($"Conv2d: channels, kernel_size, stride, dilation and groups must be positive and padding non-negative; got in_channels={inChannels}, out_channels={outChannels}, kernel_size={kernelSize}, stride={stride}, padding={padding}, dilation={dilation}, groups={groups}.");
        }

        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"Conv2d: in_channels ({inChannels}) and out_channels ({outChannels}) must be divisible by groups ({groups}).");
        }

        if (!dtype.IsFloating())
        {
            throw new ArgumentException($"Conv2d: the parameters' dtype must be Float32 or Float64, not {dtype}.", nameof(dtype));
        }

        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        double bound = 1 / Math.Sqrt(inChannels / groups * kernelSize * kernelSize);
        Weight = new Parameter((Tensor.Rand([outChannels, inChannels / groups, kernelSize, kernelSize], dtype) * (2 * bound)) - bound);
        RegisterParameter("weight", Weight);
        Bias = bias ? new Parameter((Tensor.Rand([outChannels], dtype) * (2 * bound)) - bound) : null;
        RegisterParameter("bias", Bias);
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's side.</summary>
    public int KernelSize { get; }

    /// <summary>The step of the window.</summary>
    public int Stride { get; }

    /// <summary>Zeros added on every side.</summary>
    public int Padding { get; }

    /// <summary>The spacing of the kernel's taps.</summary>
    public int Dilation { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>The filters [out, in / groups, k, k].</summary>
    public Parameter Weight { get; }

    /// <summary>The bias [out], or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{InChannels}, {OutChannels}, kernel_size=({KernelSize}, {KernelSize}), stride=({Stride}, {Stride})");
        text += Padding != 0 ? $", padding=({Padding}, {Padding})" : string.Empty;
        text += Dilation != 1 ? $", dilation=({Dilation}, {Dilation})" : string.Empty;
        text += Groups != 1 ? $", groups={Groups}" : string.Empty;
        return text + (Bias is null ? ", bias=False" : string.Empty);
    }
}
