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
            Forward(xc, cols, n, c, h, wd, w, (float)padValue, rows);
        }
        else
        {
            Forward(xc, cols, n, c, h, wd, w, padValue, rows);
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
            Backward<float>(gc, dx, shape[0], shape[1], shape[2], shape[3], w, rows);
        }
        else
        {
            Backward<double>(gc, dx, shape[0], shape[1], shape[2], shape[3], w, rows);
        }

        GC.KeepAlive(gc);
        return dx;
    }

    static void Forward<T>(Tensor x, Tensor cols, int n, int c, int h, int wd, Window2d w, T pad, bool rowLayout)
        where T : unmanaged, INumber<T>
    {
        int oh = w.OutH(h), ow = w.OutW(wd), k = c * w.KernelH * w.KernelW;
        ParallelItems.For(n, (long)cols.numel, b =>
        {
            var image = x.Elements<T>().Slice(b * c * h * wd, c * h * wd);
            var output = cols.Elements<T>().Slice(b * k * oh * ow, k * oh * ow);
            if (rowLayout)
            {
                ForwardRows(image, output, c, h, wd, w, pad);
            }
            else
            {
                ForwardColumns(image, output, c, h, wd, w, pad);
            }
        });
    }

    /// <summary>One image into [L, K] rows: each window's taps written in order, channel by channel and kernel row by kernel row.</summary>
    static void ForwardRows<T>(ReadOnlySpan<T> image, Span<T> rows, int c, int h, int wd, Window2d w, T pad)
        where T : unmanaged, INumber<T>
    {
        int oh = w.OutH(h), ow = w.OutW(wd), k = c * w.KernelH * w.KernelW;
        for (int y = 0; y < oh; y++)
        {
            for (int z = 0; z < ow; z++)
            {
                var row = rows.Slice(((y * ow) + z) * k, k);
                int x0 = (z * w.StrideW) - w.PadW, r = 0;

                // The whole window's width inside the input, taps adjacent: each kernel row is one contiguous run.
                bool inside = w.DilationW == 1 && x0 >= 0 && x0 + w.KernelW <= wd;
                for (int ch = 0; ch < c; ch++)
                {
                    var plane = image.Slice(ch * h * wd, h * wd);
                    for (int i = 0; i < w.KernelH; i++, r += w.KernelW)
                    {
                        int hy = (y * w.StrideH) - w.PadH + (i * w.DilationH);
                        var taps = row.Slice(r, w.KernelW);
                        if ((uint)hy >= (uint)h)
                        {
                            taps.Fill(pad);
                            continue;
                        }

                        var line = plane.Slice(hy * wd, wd);
                        if (inside)
                        {
                            line.Slice(x0, w.KernelW).CopyTo(taps);
                            continue;
                        }

                        for (int j = 0; j < taps.Length; j++)
                        {
                            int wz = x0 + (j * w.DilationW);
                            taps[j] = (uint)wz < (uint)wd ? line[wz] : pad;
                        }
                    }
                }
            }
        }
    }

    /// <summary>One image into [K, L] columns: for each tap (channel, kernel row, kernel column), its value at every window position.</summary>
    static void ForwardColumns<T>(ReadOnlySpan<T> image, Span<T> cols, int c, int h, int wd, Window2d w, T pad)
        where T : unmanaged, INumber<T>
    {
        int oh = w.OutH(h), ow = w.OutW(wd), l = oh * ow, k = c * w.KernelH * w.KernelW;
        for (int r = 0; r < k; r++)
        {
            int ch = r / (w.KernelH * w.KernelW), i = r / w.KernelW % w.KernelH, j = r % w.KernelW;
            var plane = image.Slice(ch * h * wd, h * wd);
            var column = cols.Slice(r * l, l);
            for (int y = 0; y < oh; y++)
            {
                int hy = (y * w.StrideH) - w.PadH + (i * w.DilationH);
                var outRow = column.Slice(y * ow, ow);
                if ((uint)hy >= (uint)h)
                {
                    outRow.Fill(pad);
                    continue;
                }

                var line = plane.Slice(hy * wd, wd);
                for (int z = 0; z < ow; z++)
                {
                    int wz = (z * w.StrideW) - w.PadW + (j * w.DilationW);
                    outRow[z] = (uint)wz < (uint)wd ? line[wz] : pad;
                }
            }
        }
    }

    static void Backward<T>(Tensor cols, Tensor dx, int n, int c, int h, int wd, Window2d w, bool rowLayout)
        where T : unmanaged, INumber<T>
    {
        int l = w.OutH(h) * w.OutW(wd), k = c * w.KernelH * w.KernelW;
        ParallelItems.For(n, (long)cols.numel, b =>
        {
            var grad = cols.Elements<T>().Slice(b * k * l, k * l);
            var image = dx.Elements<T>().Slice(b * c * h * wd, c * h * wd);
            image.Clear();
            if (rowLayout)
            {
                BackwardRows(grad, image, c, h, wd, w);
            }
            else
            {
                BackwardColumns(grad, image, c, h, wd, w);
            }
        });
    }

    /// <summary>col2im of one image's [L, K] rows: each window's taps added back where <see cref="ForwardRows"/> read them.</summary>
    static void BackwardRows<T>(ReadOnlySpan<T> rows, Span<T> image, int c, int h, int wd, Window2d w)
        where T : unmanaged, INumber<T>
    {
        int oh = w.OutH(h), ow = w.OutW(wd), k = c * w.KernelH * w.KernelW;
        for (int y = 0; y < oh; y++)
        {
            for (int z = 0; z < ow; z++)
            {
                var row = rows.Slice(((y * ow) + z) * k, k);
                int x0 = (z * w.StrideW) - w.PadW, r = 0;

                // The whole window's width inside the input, taps adjacent: each kernel row is one contiguous run.
                bool inside = w.DilationW == 1 && x0 >= 0 && x0 + w.KernelW <= wd;
                for (int ch = 0; ch < c; ch++)
                {
                    var plane = image.Slice(ch * h * wd, h * wd);
                    for (int i = 0; i < w.KernelH; i++, r += w.KernelW)
                    {
                        int hy = (y * w.StrideH) - w.PadH + (i * w.DilationH);
                        if ((uint)hy >= (uint)h)
                        {
                            continue;
                        }

                        var taps = row.Slice(r, w.KernelW);
                        var line = plane.Slice(hy * wd, wd);
                        if (inside)
                        {
                            var span = line.Slice(x0, taps.Length);
                            for (int j = 0; j < taps.Length; j++)
                            {
                                span[j] += taps[j];
                            }

                            continue;
                        }

                        for (int j = 0; j < taps.Length; j++)
                        {
                            int wz = x0 + (j * w.DilationW);
                            if ((uint)wz < (uint)wd)
                            {
                                line[wz] += taps[j];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>col2im of one image's [K, L] columns: each tap's gradients added back where <see cref="ForwardColumns"/> read them.</summary>
    static void BackwardColumns<T>(ReadOnlySpan<T> cols, Span<T> image, int c, int h, int wd, Window2d w)
        where T : unmanaged, INumber<T>
    {
        int oh = w.OutH(h), ow = w.OutW(wd), l = oh * ow, k = c * w.KernelH * w.KernelW;
        for (int r = 0; r < k; r++)
        {
            int ch = r / (w.KernelH * w.KernelW), i = r / w.KernelW % w.KernelH, j = r % w.KernelW;
            var plane = image.Slice(ch * h * wd, h * wd);
            var column = cols.Slice(r * l, l);
            for (int y = 0; y < oh; y++)
            {
                int hy = (y * w.StrideH) - w.PadH + (i * w.DilationH);
                if ((uint)hy >= (uint)h)
                {
                    continue;
                }

                var line = plane.Slice(hy * wd, wd);
                for (int z = 0; z < ow; z++)
                {
                    int wz = (z * w.StrideW) - w.PadW + (j * w.DilationW);
                    if ((uint)wz < (uint)wd)
                    {
                        line[wz] += column[(y * ow) + z];
                    }
                }
            }
        }
    }
}
