namespace Gradgen.Nn;

/// <summary>The geometry of a 2-D window sliding over [N, C, H, W] (PyTorch's kernel_size, dilation, padding, stride).</summary>
internal readonly record struct Window2d(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    public int OutH(int h) => ((h + (2 * PadH) - (DilationH * (KernelH - 1)) - 1) / StrideH) + 1;

    public int OutW(int w) => ((w + (2 * PadW) - (DilationW * (KernelW - 1)) - 1) / StrideW) + 1;

    /// <summary>Whether every window is one element read in place (1×1, stride 1, no padding): im2col would copy the image as it is.</summary>
    public bool IsIdentity => this is { KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0 };

    /// <summary>The output's height and width for a CPU input [N, C, H, W], or an error naming the sizes (the CPU kernels' guard: a device input goes to <see cref="DeviceWindows"/>).</summary>
    public (int OutH, int OutW) Check(Tensor x, string op)
    {
        if (x.Device.Type != DeviceType.Cpu)
        {
            throw new NotSupportedException($"{op}: this kernel runs on the CPU; the input is on {x.Device}.");
        }

        return OutputSize(x, op);
    }

    /// <summary>The output's height and width for an input [N, C, H, W] on any device, or an error naming the sizes.</summary>
    public (int OutH, int OutW) OutputSize(Tensor x, string op)
    {
        int h = x.Shape[2], w = x.Shape[3], oh = OutH(h), ow = OutW(w);
        if (oh <= 0 || ow <= 0)
        {
            throw new ArgumentException($"{op}: the input's spatial size {h}×{w} (padding {PadH}×{PadW}) is smaller than the kernel {KernelH}×{KernelW} (dilation {DilationH}×{DilationW}): the output would be {oh}×{ow}.");
        }

        return (oh, ow);
    }
}
