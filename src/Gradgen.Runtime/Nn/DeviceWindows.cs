namespace Gradgen.Nn;

/// <summary>
/// Convolution, max and average pooling on an accelerator, composed of recorded device operations, so that their backward is
/// those operations' own (IndexSelect's scatter-add, the gather rule of a maximum with indices, MatMul's two products)
/// and no derivative is written here. Each image plane's H·W values get one extra value behind them (0 for a
/// convolution and an average, −∞ for max pooling: what padding reads as), and one <c>IndexSelect</c> reads every window's taps at
/// once (im2col as a gather; a tap in the padding reads the extra value). The tap positions are computed on the host
/// for the input's size and uploaded with each call. The CPU keeps its own kernels (<see cref="ConvolutionKernel"/>,
/// <see cref="MaxPoolKernel"/>, <see cref="AvgPoolKernel"/>); the autograd nodes here are the composite's, not <c>ConvolutionBackward0</c>.
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
    /// Max pooling of a device input for the compiled graph: the values (not recorded) and, per output, the position
    /// within its image plane (an Int64 tensor shaped like the values; H·W where a window took the padding) that
    /// <c>CompiledGraph.MaxPool2dGradient</c> adds the gradient at.
    /// </summary>
    public static (Tensor Values, Tensor Positions) MaxPool2dWithPositions(Tensor input, Window2d window)
    {
        var (oh, ow) = window.OutputSize(input, "MaxPool2d");
        int n = input.shape[0], c = input.shape[1], taps = window.KernelH * window.KernelW, cells = oh * ow;
        var at = TapPositions(input.shape[2], input.shape[3], window, oh, ow, tapsFirst: false);
        using (Autograd.Pause())
        {
            var (values, tap) = ReadWindows(input, at, double.NegativeInfinity).Reshape(n, c, cells, taps).MaxDim(3, true, false, "MaxPool2d");
            var planePositions = Tensor.FromArray(at, device: input.Device).Reshape(1, 1, cells, taps).Expand(n, c, cells, taps).Contiguous();
            return (values.Reshape(n, c, oh, ow), planePositions.Gather(3, tap).Reshape(n, c, oh, ow));
        }
    }

    /// <summary>
    /// Average pooling of a device input [N, C, H, W] over <paramref name="windows"/> (strided or adaptive): every cell
    /// reads as many taps as the largest window holds (a smaller window's extra taps read the padding's 0), sums them
    /// and divides by its divisor.
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, AverageWindows windows)
    {
        int n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3];
        int oh = windows.Rows.Length, ow = windows.Columns.Length;
        int tallest = windows.Rows.Max(r => r.End - r.Start), widest = windows.Columns.Max(r => r.End - r.Start);
        int taps = tallest * widest;
        var at = new long[oh * ow * taps];
        var divisors = new double[oh * ow];
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                int cell = (y * ow) + x;
                divisors[cell] = windows.DivisorAt(y, x);
                for (int i = 0; i < tallest; i++)
                {
                    for (int j = 0; j < widest; j++)
                    {
                        int row = windows.Rows[y].Start + i, column = windows.Columns[x].Start + j;
                        bool inside = row < windows.Rows[y].End && column < windows.Columns[x].End;
                        at[(cell * taps) + (i * widest) + j] = inside ? ((long)row * w) + column : (long)h * w;
                    }
                }
            }
        }

        var sums = ReadWindows(input, at, 0).Reshape(n, c, oh * ow, taps).Sum(3).Reshape(n, c, oh, ow);
        return sums / Tensor.FromArray(divisors, input.DType, input.Device).Reshape(oh, ow);
    }

    /// <summary>
    /// [N, C, taps·positions] (<paramref name="tapsFirst"/>) or [N, C, positions·taps]: every window's taps, read by one
    /// IndexSelect from the planes with <paramref name="padValue"/> appended.
    /// </summary>
    static Tensor ReadWindows(Tensor input, Window2d window, int oh, int ow, double padValue, bool tapsFirst) =>
        ReadWindows(input, TapPositions(input.shape[2], input.shape[3], window, oh, ow, tapsFirst), padValue);

    /// <summary>[N, C, positions.Length]: the planes, with <paramref name="padValue"/> appended at H·W, read at <paramref name="positions"/>.</summary>
    static Tensor ReadWindows(Tensor input, long[] positions, double padValue)
    {
        int n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3];
        var pad = Tensor.Full([n, c, 1], padValue, input.DType, input.Device);
        var planes = Tensor.Cat([input.Reshape(n, c, h * w), pad], 2);
        return planes.IndexSelect(2, Tensor.FromArray(positions, device: input.Device));
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
