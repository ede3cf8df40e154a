using System.Numerics;

namespace Gradgen.Nn;

/// <summary>The sizes of one convolution: input [N, C, H, W], weight [O, C / groups, kh, kw], output [N, O, OH, OW] with L = OH·OW windows.</summary>
internal readonly record struct ConvolutionShape(int N, int C, int H, int W, int O, int Groups, Window2d Window)
{
    public ConvolutionShape(int[] input, int[] weight, Window2d window, int groups)
        : this(input[0], input[1], input[2], input[3], weight[0], groups, window)
    {
    }

    /// <summary>Input channels per group.</summary>
    public int Cg => C / Groups;

    /// <summary>Output channels per group.</summary>
    public int Og => O / Groups;

    /// <summary>Taps of one filter: the rows of one group's columns.</summary>
    public int K => Cg * Window.KernelH * Window.KernelW;

    /// <summary>Windows per image.</summary>
    public int L => Window.OutH(H) * Window.OutW(W);

    public int ImageSize => C * H * W;

    public int GroupImageSize => Cg * H * W;

    public int OutputSize => O * L;

    public int ColumnsSize => K * L;

    /// <summary>Group <paramref name="g"/>'s filters [O/g, K] in the weight's elements.</summary>
    public Span<T> Filters<T>(Span<T> weight, int g) => weight.Slice(g * Og * K, Og * K);

    /// <summary>Group <paramref name="g"/>'s columns [K, L] of one image: unfolded into <paramref name="buffer"/>, or the image's own elements for a 1×1 window that reads each element once.</summary>
    public Span<T> Columns<T>(Span<T> image, int g, Span<T> buffer)
        where T : unmanaged, INumber<T>
    {
        var channels = image.Slice(g * GroupImageSize, GroupImageSize);
        if (Window.IsIdentity)
        {
            return channels;
        }

        Im2Col.Columns(channels, buffer, Cg, H, W, Window, T.Zero);
        return buffer;
    }
}
