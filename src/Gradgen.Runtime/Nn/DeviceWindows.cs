namespace Gradgen.Nn;

/// <summary>
/// Convolution and max pooling on an accelerator, composed of recorded device operations, so that their backward is
/// those operations' own (IndexSelect's scatter-add, the gather rule of a maximum with indices, MatMul's two products)
/// and no derivative is written here. Each image plane's H·W values get one extra value behind them (0 for a
/// convolution, −∞ for max pooling: what padding reads as), and one <c>IndexSelect</c> reads every window's taps at
/// once (im2col as a gather; a tap in the padding reads the extra value). The tap positions are computed on the host
/// for the input's size and uploaded with each call. The CPU keeps its own kernels (<see cref="ConvolutionKernel"/>,
/// <see cref="MaxPoolKernel"/>); the autograd nodes here are the composite's, not <c>ConvolutionBackward0</c>.
/// </summary>
internal static class DeviceWindows
{
    /// <summary>The convolution of a device input [N, C, H, W] with weight [O, C / groups, kh, kw] and an optional bias [O] (checked by the caller).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, Window2d window, int groups)
    {
        var (oh, ow) = window.OutputSize(input, "Conv2d");
        int n = input.shape[0], c = input.shape[1], o = weight.shape[0];
        int taps = window.KernelH * window.KernelW, cg = c / groups, og = o / groups;

        // [N, C·kh·kw, OH·OW]: row (channel, tap), as the weight's [O, C/g, kh, kw] reads when flattened.
        var columns = ReadWindows(input, window, oh, ow, 0, tapsFirst: true).Reshape(n, c * taps, oh * ow);
        var outputs = new Tensor[groups];
        for (int g = 0; g < groups; g++)
        {
            var filters = weight.Narrow(0, g * og, og).Reshape(og, cg * taps);
            var groupColumns = groups == 1 ? columns : columns.Narrow(1, g * cg * taps, cg * taps);
            outputs[g] = filters.MatMul(groupColumns);
        }

        var y = (groups == 1 ? outputs[0] : Tensor.Cat(outputs, 1)).Reshape(n, o, oh, ow);
        return bias is null ? y : y + bias.Reshape(1, o, 1, 1);
    }

    /// <summary>
    /// Max pooling of a device input [N, C, H, W]: each window's largest element (NaN wins, padding is −∞), the gradient
    /// to its first occurrence in the window's row-major order, as PyTorch's and the CPU kernel's.
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, Window2d window)
    {
        var (oh, ow) = window.OutputSize(input, "MaxPool2d");
        int n = input.shape[0], c = input.shape[1];
        var windows = ReadWindows(input, window, oh, ow, double.NegativeInfinity, tapsFirst: false)
            .Reshape(n, c, oh * ow, window.KernelH * window.KernelW);
        return windows.MaxDim(3, false, false, "MaxPool2d").Values.Reshape(n, c, oh, ow);
    }

    /// <summary>
    /// [N, C, taps·positions] (<paramref name="tapsFirst"/>) or [N, C, positions·taps]: every window's taps, read by one
    /// IndexSelect from the planes with <paramref name="padValue"/> appended.
    /// </summary>
    static Tensor ReadWindows(Tensor input, Window2d window, int oh, int ow, double padValue, bool tapsFirst)
    {
        int n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3];
        var pad = Tensor.Full([n, c, 1], padValue, input.DType, input.Device);
        var planes = Tensor.Cat([input.Reshape(n, c, h * w), pad], 2);
        var positions = Tensor.FromArray(TapPositions(h, w, window, oh, ow, tapsFirst), device: input.Device);
        return planes.IndexSelect(2, positions);
    }

    /// <summary>
    /// Where in a plane of H·W values (plus one padding value at H·W) each tap of each window reads: tap (i, j) of the
    /// window at output (y, x) reads row y·strideH − padH + i·dilationH and the column likewise.
    /// </summary>
    internal static long[] TapPositions(int h, int w, Window2d window, int oh, int ow, bool tapsFirst)
    {
        int taps = window.KernelH * window.KernelW, cells = oh * ow;
        var at = new long[taps * cells];
        for (int i = 0; i < window.KernelH; i++)
        {
            for (int j = 0; j < window.KernelW; j++)
            {
                int tap = (i * window.KernelW) + j;
                for (int y = 0; y < oh; y++)
                {
                    int row = (y * window.StrideH) - window.PadH + (i * window.DilationH);
                    for (int x = 0; x < ow; x++)
                    {
                        int column = (x * window.StrideW) - window.PadW + (j * window.DilationW);
                        bool inside = row >= 0 && row < h && column >= 0 && column < w;
                        int cell = (y * ow) + x;
                        at[tapsFirst ? (tap * cells) + cell : (cell * taps) + tap] = inside ? ((long)row * w) + column : (long)h * w;
                    }
                }
            }
        }

        return at;
    }
}
