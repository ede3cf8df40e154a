using System.Numerics;

namespace Gradgen.Nn;

/// <summary>
/// im2col (PyTorch's <c>F.unfold</c>) on the CPU and its adjoint col2im (<c>F.fold</c>), one image at a time: every
/// window of an image [C, H, W] becomes a column of [C·kh·kw, L], L being the number of windows; a convolution
/// multiplies the filters [O, C·kh·kw] by them (<see cref="ConvolutionKernel"/>).
/// </summary>
internal static class Im2Col
{
    /// <summary>im2col of one image [C, H, W] into <paramref name="cols"/> [C·kh·kw, L].</summary>
    public static void Columns<T>(Span<T> image, Span<T> cols, int c, int h, int wd, Window2d w, T pad)
        where T : unmanaged, INumber<T>
        => Walk<T, CopyRun<T>>(cols, image, c, h, wd, w, pad);

    /// <summary>
    /// col2im of one image: adds each column of <paramref name="cols"/> [C·kh·kw, L] to the elements of
    /// <paramref name="image"/> [C, H, W] it was read from. The windows of <paramref name="cols"/> that lie in the
    /// padding may be set to zero: pass a scratch copy.
    /// </summary>
    public static void AddColumns<T>(Span<T> cols, Span<T> image, int c, int h, int wd, Window2d w)
        where T : unmanaged, INumber<T>
        => Walk<T, AddRun<T>>(cols, image, c, h, wd, w, T.Zero);

    /// <summary>
    /// The one walk over the windows of an image that im2col and col2im share: for each tap (channel, kernel row,
    /// kernel column), the window positions whose tap lies inside the image, which <typeparamref name="TRun"/> copies
    /// or adds, and those whose tap falls in the padding.
    /// </summary>
    static void Walk<T, TRun>(Span<T> cols, Span<T> image, int c, int h, int wd, Window2d w, T pad)
        where T : unmanaged, INumber<T>
        where TRun : struct, IColumnRun<T>
    {
        int l = w.OutH(h) * w.OutW(wd), r = 0;
        for (int ch = 0; ch < c; ch++)
        {
            var plane = image.Slice(ch * h * wd, h * wd);
            for (int i = 0; i < w.KernelH; i++)
            {
                for (int j = 0; j < w.KernelW; j++, r++)
                {
                    WalkTap<T, TRun>(cols.Slice(r * l, l), plane, i, j, h, wd, w, pad);
                }
            }
        }
    }

    /// <summary>The windows of one tap (kernel row <paramref name="i"/>, column <paramref name="j"/>) of one channel's <paramref name="plane"/>: its column of the columns.</summary>
    static void WalkTap<T, TRun>(Span<T> column, Span<T> plane, int i, int j, int h, int wd, Window2d w, T pad)
        where T : unmanaged, INumber<T>
        where TRun : struct, IColumnRun<T>
    {
        int oh = w.OutH(h), ow = w.OutW(wd);

        // Window z reads column z·sw + offset of the image row, inside it for z in [first, end).
        int offset = (j * w.DilationW) - w.PadW;
        int first = Math.Min(ow, offset >= 0 ? 0 : (-offset + w.StrideW - 1) / w.StrideW);
        int end = Math.Clamp(offset < wd ? ((wd - 1 - offset) / w.StrideW) + 1 : 0, first, ow);

        // Stride 1 and an output as wide as the input ("same" padding): window (y, z) reads element (y, z) of the
        // image shifted by the tap, so the tap's whole column is one run of the plane, less the padding at its edges.
        if (w.StrideH == 1 && w.StrideW == 1 && ow == wd)
        {
            int rowOffset = (i * w.DilationH) - w.PadH;
            int y0 = Math.Clamp(-rowOffset, 0, oh), y1 = Math.Clamp(h - rowOffset, y0, oh);
            if (first == end || y0 == y1)
            {
                TRun.Outside(column, pad);
                return;
            }

            var rows = column[(y0 * ow)..(y1 * ow)];
            int start = ((y0 + rowOffset) * wd) + first + offset;
            TRun.Block(rows, plane.Slice(start, rows.Length - first - (ow - end)), ow, first, end, pad);
            TRun.Outside(column[..(y0 * ow)], pad);
            TRun.Outside(column[(y1 * ow)..], pad);
            return;
        }

        for (int y = 0; y < oh; y++)
        {
            int hy = (y * w.StrideH) - w.PadH + (i * w.DilationH);
            var windows = column.Slice(y * ow, ow);
            if ((uint)hy >= (uint)h)
            {
                TRun.Outside(windows, pad);
                continue;
            }

            TRun.Inside(windows[first..end], plane.Slice(hy * wd, wd), (first * w.StrideW) + offset, w.StrideW);
            if (first > 0)
            {
                TRun.Outside(windows[..first], pad);
            }

            if (end < ow)
            {
                TRun.Outside(windows[end..], pad);
            }
        }
    }

    /// <summary>Sets the positions [0, first) and [end, rowLength) of every row of <paramref name="rows"/> to <paramref name="value"/>: the windows whose tap falls in the left or right padding.</summary>
    static void MaskEdges<T>(Span<T> rows, int rowLength, int first, int end, T value)
    {
        // Column by column: the few edge columns of many rows, each a loop without branches.
        for (int z = 0; z < first; z++)
        {
            SetColumn(rows, z, rowLength, value);
        }

        for (int z = end; z < rowLength; z++)
        {
            SetColumn(rows, z, rowLength, value);
        }
    }

    static void SetColumn<T>(Span<T> rows, int z, int rowLength, T value)
    {
        for (int at = z; at < rows.Length; at += rowLength)
        {
            rows[at] = value;
        }
    }

    /// <summary>What <see cref="Walk"/> does with the windows of one column: im2col reads the image into them, col2im adds them back.</summary>
    interface IColumnRun<T>
    {
        /// <summary>The windows of one row whose tap lies inside the image: <c>windows[z]</c> goes with <c>line[start + z·stride]</c>.</summary>
        static abstract void Inside(Span<T> windows, Span<T> line, int start, int stride);

        /// <summary>Windows whose tap lies in the padding.</summary>
        static abstract void Outside(Span<T> windows, T pad);

        /// <summary>
        /// Whole rows of windows that read one run of the image: <paramref name="source"/> goes with <paramref name="rows"/>
        /// from position <paramref name="first"/> on, and the positions outside [first, end) of each row of
        /// <paramref name="rowLength"/> are in the padding (the run passes over them to the next image row).
        /// </summary>
        static abstract void Block(Span<T> rows, Span<T> source, int rowLength, int first, int end, T pad);
    }

    readonly struct CopyRun<T> : IColumnRun<T>
        where T : unmanaged, INumber<T>
    {
        public static void Inside(Span<T> windows, Span<T> line, int start, int stride)
        {
            if (stride == 1)
            {
                line.Slice(start, windows.Length).CopyTo(windows);
                return;
            }

            for (int z = 0; z < windows.Length; z++)
            {
                windows[z] = line[start + (z * stride)];
            }
        }

        public static void Outside(Span<T> windows, T pad) => windows.Fill(pad);

        public static void Block(Span<T> rows, Span<T> source, int rowLength, int first, int end, T pad)
        {
            source.CopyTo(rows[first..]);
            MaskEdges(rows, rowLength, first, end, pad);
        }
    }

    readonly struct AddRun<T> : IColumnRun<T>
        where T : unmanaged, INumber<T>
    {
        public static void Inside(Span<T> windows, Span<T> line, int start, int stride)
        {
            if (stride == 1)
            {
                Add(windows, line.Slice(start, windows.Length));
                return;
            }

            for (int z = 0; z < windows.Length; z++)
            {
                line[start + (z * stride)] += windows[z];
            }
        }

        public static void Outside(Span<T> windows, T pad)
        {
        }

        /// <summary>The windows in the padding are zeroed first (the columns are the caller's scratch), so that the one run adds nothing there.</summary>
        public static void Block(Span<T> rows, Span<T> source, int rowLength, int first, int end, T pad)
        {
            MaskEdges(rows, rowLength, first, end, T.Zero);
            Add(rows.Slice(first, source.Length), source);
        }

        /// <summary><c>target[i] += values[i]</c>, in vectors of <see cref="Vector{T}"/>.</summary>
        static void Add(Span<T> values, Span<T> target)
        {
            int i = 0;
            for (; i <= values.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                (new Vector<T>(values[i..]) + new Vector<T>(target[i..])).CopyTo(target[i..]);
            }

            for (; i < values.Length; i++)
            {
                target[i] += values[i];
            }
        }
    }
}
