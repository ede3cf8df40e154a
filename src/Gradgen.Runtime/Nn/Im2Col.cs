using System.Numerics;

namespace Gradgen.Nn;

/// <summary>The geometry of a 2-D window sliding over [N, C, H, W] (PyTorch's kernel_size, dilation, padding, stride).</summary>
internal readonly record struct Window2d(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    public int OutH(int h) => ((h + (2 * PadH) - (DilationH * (KernelH - 1)) - 1) / StrideH) + 1;

    public int OutW(int w) => ((w + (2 * PadW) - (DilationW * (KernelW - 1)) - 1) / StrideW) + 1;
}

/// <summary>
/// im2col (PyTorch's <c>F.unfold</c>) on the CPU with its backward col2im (<c>F.fold</c>): turns every window of an
/// [N, C, H, W] tensor into a column of [N, C·kh·kw, L], so that a convolution is one matrix product through the
/// packed GEMM and pooling is a reduction over dimension 1.
/// </summary>
internal static class Im2Col
{
    /// <summary>
    /// The columns of <paramref name="x"/> (Float32 or Float64, CPU): out[n, (c·kh + i)·kw + j, oh·OW + ow] =
    /// x[n, c, oh·sh − ph + i·dh, ow·sw − pw + j·dw], or <paramref name="padValue"/> outside the input; recorded as
    /// <c>Im2ColBackward</c> (col2im: each column's gradient added back to the elements it was read from).
    /// </summary>
    public static Tensor Unfold(Tensor x, Window2d w, double padValue, string op)
    {
        if (x.Device.Type != DeviceType.Cpu)
        {
            throw new NotSupportedException($"{op}: runs on the CPU only so far; the input is on {x.Device}. Move it with To(Device.Cpu).");
        }

        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int oh = w.OutH(h), ow = w.OutW(wd);
        if (oh <= 0 || ow <= 0)
        {
            throw new ArgumentException($"{op}: the input's spatial size {h}×{wd} (padding {w.PadH}×{w.PadW}) is smaller than the kernel {w.KernelH}×{w.KernelW} (dilation {w.DilationH}×{w.DilationW}): the output would be {oh}×{ow}.");
        }

        var xc = x.ContiguousData();
        var cols = Tensor.Empty(x.DType, [n, c * w.KernelH * w.KernelW, oh * ow]);
        if (x.DType == DType.Float32)
        {
            Forward(xc.Elements<float>(), cols.Elements<float>(), n, c, h, wd, w, (float)padValue);
        }
        else
        {
            Forward(xc.Elements<double>(), cols.Elements<double>(), n, c, h, wd, w, padValue);
        }

        GC.KeepAlive(xc);
        if (Autograd.Recording(x))
        {
            int[] shape = [n, c, h, wd];
            cols.WithHistory(new LambdaBackward("Im2ColBackward", x, g => Fold(g, shape, w)));
        }

        return cols;
    }

    /// <summary>col2im: the gradient of the input from the gradient of its columns (not recorded: first derivatives only).</summary>
    static Tensor Fold(Tensor g, int[] shape, Window2d w)
    {
        var gc = g.ContiguousData();
        var dx = Tensor.Empty(g.DType, shape);
        if (g.DType == DType.Float32)
        {
            Backward(gc.Elements<float>(), dx.Elements<float>(), shape[0], shape[1], shape[2], shape[3], w);
        }
        else
        {
            Backward(gc.Elements<double>(), dx.Elements<double>(), shape[0], shape[1], shape[2], shape[3], w);
        }

        GC.KeepAlive(gc);
        return dx;
    }

    static void Forward<T>(ReadOnlySpan<T> x, Span<T> cols, int n, int c, int h, int wd, Window2d w, T pad)
        where T : unmanaged, INumber<T>
    {
        int oh = w.OutH(h), ow = w.OutW(wd), l = oh * ow, rows = c * w.KernelH * w.KernelW;
        for (int b = 0; b < n; b++)
        {
            for (int r = 0; r < rows; r++)
            {
                int ch = r / (w.KernelH * w.KernelW), i = r / w.KernelW % w.KernelH, j = r % w.KernelW;
                var plane = x.Slice(((b * c) + ch) * h * wd, h * wd);
                var column = cols.Slice(((b * rows) + r) * l, l);
                for (int y = 0; y < oh; y++)
                {
                    int hy = (y * w.StrideH) - w.PadH + (i * w.DilationH);
                    var line = column.Slice(y * ow, ow);
                    if ((uint)hy >= (uint)h)
                    {
                        line.Fill(pad);
                        continue;
                    }

                    for (int z = 0; z < ow; z++)
                    {
                        int wz = (z * w.StrideW) - w.PadW + (j * w.DilationW);
                        line[z] = (uint)wz < (uint)wd ? plane[(hy * wd) + wz] : pad;
                    }
                }
            }
        }
    }

    static void Backward<T>(ReadOnlySpan<T> cols, Span<T> dx, int n, int c, int h, int wd, Window2d w)
        where T : unmanaged, INumber<T>
    {
        dx.Clear();
        int oh = w.OutH(h), ow = w.OutW(wd), l = oh * ow, rows = c * w.KernelH * w.KernelW;
        for (int b = 0; b < n; b++)
        {
            for (int r = 0; r < rows; r++)
            {
                int ch = r / (w.KernelH * w.KernelW), i = r / w.KernelW % w.KernelH, j = r % w.KernelW;
                var plane = dx.Slice(((b * c) + ch) * h * wd, h * wd);
                var column = cols.Slice(((b * rows) + r) * l, l);
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
                            plane[(hy * wd) + wz] += column[(y * ow) + z];
                        }
                    }
                }
            }
        }
    }
}
