using System.Numerics;

namespace Gradgen.Nn;

/// <summary>The geometry of a 2-D window sliding over [N, C, H, W] (PyTorch's kernel_size, dilation, padding, stride).</summary>
internal readonly record struct Window2d(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    public int OutH(int h) => ((h + (2 * PadH) - (DilationH * (KernelH - 1)) - 1) / StrideH) + 1;

    public int OutW(int w) => ((w + (2 * PadW) - (DilationW * (KernelW - 1)) - 1) / StrideW) + 1;

    /// <summary>The output's height and width for a CPU input [N, C, H, W], or an error naming the sizes (the kernels run on the CPU only so far).</summary>
    public (int OutH, int OutW) Check(Tensor x, string op)
    {
        if (x.Device.Type != DeviceType.Cpu)
        {
            throw new NotSupportedException($"{op}: runs on the CPU only so far; the input is on {x.Device}. Move it with To(Device.Cpu).");
        }

        int h = x.Shape[2], w = x.Shape[3], oh = OutH(h), ow = OutW(w);
        if (oh <= 0 || ow <= 0)
        {
            throw new ArgumentException($"{op}: the input's spatial size {h}×{w} (padding {PadH}×{PadW}) is smaller than the kernel {KernelH}×{KernelW} (dilation {DilationH}×{DilationW}): the output would be {oh}×{ow}.");
        }

        return (oh, ow);
    }
}

/// <summary>
/// im2col (PyTorch's <c>F.unfold</c>) on the CPU with its backward col2im (<c>F.fold</c>): turns every window of an
/// [N, C, H, W] tensor into a column of [N, C·kh·kw, L] (pooling reduces over dimension 1), or into a row of
/// [N, L, C·kh·kw] (a convolution is then one matrix product of all N·L rows through the packed GEMM).
/// </summary>
internal static class Im2Col
{
    /// <summary>
    /// The columns of <paramref name="x"/> (Float32 or Float64, CPU): out[n, (c·kh + i)·kw + j, oh·OW + ow] =
    /// x[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw], or <paramref name="padValue"/> outside the input; recorded as
    /// <c>Im2ColBackward</c> (col2im: each column's gradient added back to the elements it was read from).
    /// </summary>
    public static Tensor Unfold(Tensor x, Window2d w, double padValue, string op, bool rows = false)
    {
        var (oh, ow) = w.Check(x, op);
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];

        var xc = x.ContiguousData();
        int k = c * w.KernelH * w.KernelW;
        var cols = Tensor.Empty(x.DType, rows ? [n, oh * ow, k] : [n, k, oh * ow]);
        if (x.DType == DType.Float32)
        {
            Forward(xc.Elements<float>(), cols.Elements<float>(), n, c, h, wd, w, (float)padValue, rows);
        }
        else
        {
            Forward(xc.Elements<double>(), cols.Elements<double>(), n, c, h, wd, w, padValue, rows);
        }

        GC.KeepAlive(xc);
        if (Autograd.Recording(x))
        {
            int[] shape = [n, c, h, wd];
            cols.WithHistory(new LambdaBackward("Im2ColBackward", x, g => Fold(g, shape, w, rows)));
        }

        return cols;
    }

    /// <summary>col2im: the gradient of the input from the gradient of its columns (not recorded: first derivatives only).</summary>
    static Tensor Fold(Tensor g, int[] shape, Window2d w, bool rows)
    {
        var gc = g.ContiguousData();
        var dx = Tensor.Empty(g.DType, shape);
        if (g.DType == DType.Float32)
        {
            Backward(gc.Elements<float>(), dx.Elements<float>(), shape[0], shape[1], shape[2], shape[3], w, rows);
        }
        else
        {
            Backward(gc.Elements<double>(), dx.Elements<double>(), shape[0], shape[1], shape[2], shape[3], w, rows);
        }

        GC.KeepAlive(gc);
        return dx;
    }

    /// <summary>Where element (b, r, position) of the unfolded tensor lies: [N, K, L] columns or [N, L, K] rows.</summary>
    static int At(bool rowLayout, int b, int r, int position, int k, int l) =>
        rowLayout ? (((b * l) + position) * k) + r : (((b * k) + r) * l) + position;

    static void Forward<T>(ReadOnlySpan<T> x, Span<T> cols, int n, int c, int h, int wd, Window2d w, T pad, bool rowLayout)
        where T : unmanaged, INumber<T>
    {
        int oh = w.OutH(h), ow = w.OutW(wd), l = oh * ow, k = c * w.KernelH * w.KernelW;
        for (int b = 0; b < n; b++)
        {
            for (int r = 0; r < k; r++)
            {
                int ch = r / (w.KernelH * w.KernelW), i = r / w.KernelW % w.KernelH, j = r % w.KernelW;
                var plane = x.Slice(((b * c) + ch) * h * wd, h * wd);
                for (int y = 0; y < oh; y++)
                {
                    int hy = (y * w.StrideH) - w.PadH + (i * w.DilationH);
                    bool rowInside = (uint)hy < (uint)h;
                    for (int z = 0; z < ow; z++)
                    {
                        int wz = (z * w.StrideW) - w.PadW + (j * w.DilationW);
                        cols[At(rowLayout, b, r, (y * ow) + z, k, l)] = rowInside && (uint)wz < (uint)wd ? plane[(hy * wd) + wz] : pad;
                    }
                }
            }
        }
    }

    static void Backward<T>(ReadOnlySpan<T> cols, Span<T> dx, int n, int c, int h, int wd, Window2d w, bool rowLayout)
        where T : unmanaged, INumber<T>
    {
        dx.Clear();
        int oh = w.OutH(h), ow = w.OutW(wd), l = oh * ow, k = c * w.KernelH * w.KernelW;
        for (int b = 0; b < n; b++)
        {
            for (int r = 0; r < k; r++)
            {
                int ch = r / (w.KernelH * w.KernelW), i = r / w.KernelW % w.KernelH, j = r % w.KernelW;
                var plane = dx.Slice(((b * c) + ch) * h * wd, h * wd);
                for (int y = 0; y < oh; y++)
                {
                    int hy = (y * w.StrideH) - w.PadH + (i * w.DilationH);
                    if ((uint)hy >= (uint)h)
                    {
                        continue;
                    }

                    for (int z = 0; z < ow; z++)
                    {
                        int wz = (z * w.StrideW) - w.PadW + (j * w.DilationW);
                        if ((uint)wz < (uint)wd)
                        {
                            plane[(hy * wd) + wz] += cols[At(rowLayout, b, r, (y * ow) + z, k, l)];
                        }
                    }
                }
            }
        }
    }
}
