using System.Globalization;

namespace Gradgen.Nn;

/// <summary>2-D max pooling (PyTorch's <c>nn.MaxPool2d</c>, square windows): each window's first largest element, padding counting as −∞; CPU.</summary>
/// <param name="kernelSize">The window's side.</param>
/// <param name="stride">The window's step; null for the kernel size.</param>
/// <param name="padding">Added on every side (as −∞), at most half the kernel.</param>
/// <param name="dilation">The spacing of the window's taps.</param>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1) : Module
{
    /// <summary>The window's side.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>The window's step.</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Added on every side (as −∞).</summary>
    public int Padding { get; } = padding;

    /// <summary>The spacing of the window's taps.</summary>
    public int Dilation { get; } = dilation;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.MaxPool2d(input, KernelSize, Stride, Padding, Dilation);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode=False");
}

/// <summary>2-D average pooling (PyTorch's <c>nn.AvgPool2d</c>, square windows): the mean of each window; CPU.</summary>
/// <param name="kernelSize">The window's side.</param>
/// <param name="stride">The window's step; null for the kernel size.</param>
/// <param name="padding">Zeros added on every side, at most half the kernel.</param>
/// <param name="countIncludePad">Whether padding counts in the mean.</param>
/// <param name="ceilMode">Round the output size up (a last, partial window), as PyTorch's ceil_mode.</param>
/// <param name="divisorOverride">What every window's sum divides by instead of its size, or null.</param>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false, int? divisorOverride = null) : Module
{
    /// <summary>The window's side.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>The window's step.</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Zeros added on every side.</summary>
    public int Padding { get; } = padding;

    /// <summary>Whether padding counts in the mean.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>What every window's sum divides by instead of its size, or null.</summary>
    public int? DivisorOverride { get; } = divisorOverride;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AvgPool2d(input, KernelSize, Stride, Padding, CountIncludePad, CeilMode, DivisorOverride);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}");
}

/// <summary>2-D adaptive average pooling to a fixed output size (PyTorch's <c>nn.AdaptiveAvgPool2d</c>): cell (i, j) averages rows ⌊i·H/oh⌋ to ⌈(i+1)·H/oh⌉ and the columns likewise; CPU.</summary>
/// <param name="outputH">The output's height.</param>
/// <param name="outputW">The output's width.</param>
public sealed class AdaptiveAvgPool2d(int outputH, int outputW) : Module
{
    /// <summary>A square output of side <paramref name="outputSize"/>.</summary>
    /// <param name="outputSize">The output's side.</param>
    public AdaptiveAvgPool2d(int outputSize)
        : this(outputSize, outputSize)
    {
    }

    /// <summary>The output's height.</summary>
    public int OutputH { get; } = outputH;

    /// <summary>The output's width.</summary>
    public int OutputW { get; } = outputW;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveAvgPool2d(input, OutputH, OutputW);

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"output_size=({OutputH}, {OutputW})");
}
