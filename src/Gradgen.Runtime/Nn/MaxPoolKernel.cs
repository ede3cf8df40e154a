using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gradgen.Nn;

/// <summary>
/// Max pooling on the CPU in one pass over the input: each window's first largest element (NaN counts as largest, as
/// in PyTorch) and its position, which the backward (<c>MaxPool2DWithIndicesBackward</c>) adds the gradient to.
/// </summary>
internal static class MaxPoolKernel
{
    /// <summary>Max pooling of a contiguous-able [N, C, H, W] Float32 or Float64 CPU tensor.</summary>
    public static Tensor Run(Tensor input, Window2d w)
    {
        var (y, indices) = RunWithIndices(input, w);
        if (Autograd.Recording(input))
        {
            int[] shape = [.. input.Shape];
            y.WithHistory(new LambdaBackward("MaxPool2DWithIndicesBackward", input, g => Backward(g, shape, indices)));
        }

        return y;
    }

    /// <summary>The input's gradient [<paramref name="inputShape"/>]: <paramref name="g"/> added at <paramref name="indices"/> (from <see cref="RunWithIndices"/>).</summary>
    public static Tensor Gradient(Tensor g, Tensor indices, int[] inputShape)
    {
        if (indices.DType != DType.Int32 || !g.Shape.SequenceEqual(indices.Shape))
        {
            throw new ArgumentException($"MaxPool2d: the gradient has shape {g.ShapeString} and the indices {indices.DType} {indices.ShapeString}; they must be one shape, the indices Int32.", nameof(indices));
        }

        return Backward(g, inputShape, indices);
    }

    /// <summary>
    /// The pooled values and, per output, the position in the input of the element it took (an Int32 tensor shaped
    /// like the values): what <see cref="Gradient"/> adds the output's gradient at.
    /// </summary>
    public static (Tensor Values, Tensor Indices) RunWithIndices(Tensor input, Window2d w)
    {
        var (oh, ow) = w.Check(input, "MaxPool2d");
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], wd = input.Shape[3];

        var x = input.ContiguousData();
        var y = Tensor.Empty(input.DType, [n, c, oh, ow]);
        var indices = Tensor.Empty(DType.Int32, [n, c, oh, ow]);
        if (input.DType == DType.Float32)
        {
            Forward<float>(x, y, indices, n * c, h, wd, w);
        }
        else
        {
            Forward<double>(x, y, indices, n * c, h, wd, w);
        }

        GC.KeepAlive(x);
        return (y, indices);
    }

    /// <summary>Each plane (image and channel) on its own, in parallel for large inputs; indices are into the whole input.</summary>
    static void Forward<T>(Tensor x, Tensor y, Tensor indices, int planes, int h, int wd, Window2d w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = w.OutH(h), ow = w.OutW(wd);
        bool pairs = w is { KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1 };
        ParallelItems.For(planes, (long)planes * h * wd, p =>
        {
            if (pairs)
            {
                ForwardPairs(x.Elements<T>(), y.Elements<T>(), indices.Elements<int>(), p, h, wd, oh, ow);
            }
            else
            {
                ForwardPlane(x.Elements<T>(), y.Elements<T>(), indices.Elements<int>(), p, h, wd, oh, ow, w);
            }
        });
    }

    /// <summary>The common 2×2 window with stride 2, no padding and no dilation: two adjacent rows, two adjacent columns, no bounds to test.</summary>
    static void ForwardPairs<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> indices, int p, int h, int wd, int oh, int ow)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = p * h * wd;
        var output = y.Slice(p * oh * ow, oh * ow);
        var positions = indices.Slice(p * oh * ow, oh * ow);
        for (int oy = 0; oy < oh; oy++)
        {
            int top = plane + (2 * oy * wd);
            var r0 = x.Slice(top, wd);
            var r1 = x.Slice(top + wd, wd);
            var outRow = output.Slice(oy * ow, ow);
            var atRow = positions.Slice(oy * ow, ow);
            if (typeof(T) == typeof(float) && Sse.IsSupported && ow >= 4)
            {
                PairsOfFour(MemoryMarshal.Cast<T, float>(r0), MemoryMarshal.Cast<T, float>(r1), MemoryMarshal.Cast<T, float>(outRow), atRow, top, wd);
                continue;
            }

            for (int ox = 0; ox < outRow.Length; ox++)
            {
                int j = 2 * ox;
                T best = r0[j];
                int at = top + j;
                Take(ref best, ref at, r0[j + 1], top + j + 1);
                Take(ref best, ref at, r1[j], top + wd + j);
                Take(ref best, ref at, r1[j + 1], top + wd + j + 1);
                outRow[ox] = best;
                atRow[ox] = at;
            }
        }
    }

    /// <summary>
    /// One row of 2×2 windows, four at a time: each window's four elements gathered into four vectors (even and odd
    /// columns of the two rows) and compared lane by lane as <see cref="Take{T}"/> does, without branches, which
    /// random data mispredicts. A last group that would pass the row's end is moved back to overlap the one before.
    /// </summary>
    static void PairsOfFour(ReadOnlySpan<float> r0, ReadOnlySpan<float> r1, Span<float> outRow, Span<int> atRow, int top, int wd)
    {
        int ow = outRow.Length;
        var columns = Vector128.Create(0, 2, 4, 6);
        for (int ox = 0; ox < ow; ox += 4)
        {
            int first = Math.Min(ox, ow - 4), j = 2 * first;
            Vector128<float> upperLeft = Vector128.Create(r0.Slice(j, 4)), upperRight = Vector128.Create(r0.Slice(j + 4, 4));
            Vector128<float> lowerLeft = Vector128.Create(r1.Slice(j, 4)), lowerRight = Vector128.Create(r1.Slice(j + 4, 4));
            var upper = Vector128.Create(top + j) + columns;
            var at = upper;
            var best = Sse.Shuffle(upperLeft, upperRight, 0x88);
            Take(ref best, ref at, Sse.Shuffle(upperLeft, upperRight, 0xDD), upper + Vector128.Create(1));
            Take(ref best, ref at, Sse.Shuffle(lowerLeft, lowerRight, 0x88), upper + Vector128.Create(wd));
            Take(ref best, ref at, Sse.Shuffle(lowerLeft, lowerRight, 0xDD), upper + Vector128.Create(wd + 1));
            best.CopyTo(outRow[first..]);
            at.CopyTo(atRow[first..]);
        }
    }

    /// <summary><see cref="Take{T}"/> in each lane: where <paramref name="v"/> is larger, or NaN while the kept value is not, it replaces the kept value and its position.</summary>
    static void Take(ref Vector128<float> best, ref Vector128<int> at, Vector128<float> v, Vector128<int> index)
    {
        var take = Vector128.AndNot(Vector128.Equals(best, best), Vector128.LessThanOrEqual(v, best));
        best = Vector128.ConditionalSelect(take, v, best);
        at = Vector128.ConditionalSelect(take.AsInt32(), index, at);
    }

    /// <summary>Keeps the first maximum: a larger value replaces it, and a NaN does unless a NaN is already kept.</summary>
    static void Take<T>(ref T best, ref int at, T v, int index)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(v <= best) && !T.IsNaN(best))
        {
            best = v;
            at = index;
        }
    }

    static void ForwardPlane<T>(ReadOnlySpan<T> x, Span<T> y, Span<int> indices, int p, int h, int wd, int oh, int ow, Window2d w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = p * h * wd;
        var input = x.Slice(plane, h * wd);
        var output = y.Slice(p * oh * ow, oh * ow);
        var positions = indices.Slice(p * oh * ow, oh * ow);
        for (int oy = 0; oy < oh; oy++)
        {
            int y0 = (oy * w.StrideH) - w.PadH;
            var (i0, i1) = Taps(y0, w.KernelH, w.DilationH, h);
            for (int ox = 0; ox < ow; ox++)
            {
                int x0 = (ox * w.StrideW) - w.PadW;
                var (j0, j1) = Taps(x0, w.KernelW, w.DilationW, wd);
                T best = T.NegativeInfinity;
                int at = -1;
                for (int i = i0; i < i1; i++)
                {
                    int row = (y0 + (i * w.DilationH)) * wd;
                    for (int j = j0; j < j1; j++)
                    {
                        int index = row + x0 + (j * w.DilationW);
                        T v = input[index];

                        // Larger, or NaN (which wins and ends the window: PyTorch takes the first NaN).
                        if (at < 0 || !(v <= best))
                        {
                            best = v;
                            at = index;
                            if (T.IsNaN(v))
                            {
                                i = i1;
                                break;
                            }
                        }
                    }
                }

                int o = (oy * ow) + ox;
                output[o] = best;
                positions[o] = at < 0 ? -1 : plane + at;
            }
        }
    }

    /// <summary>The taps [first, end) of a window starting at <paramref name="start"/> that fall inside [0, size).</summary>
    static (int First, int End) Taps(int start, int kernel, int dilation, int size)
    {
        int first = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        int end = Math.Min(kernel, start >= size ? 0 : ((size - 1 - start) / dilation) + 1);
        return (first, Math.Max(first, end));
    }

    static Tensor Backward(Tensor g, int[] shape, Tensor indices)
    {
        var gc = g.ContiguousData();
        var dx = Tensor.Empty(g.DType, shape);
        if (g.DType == DType.Float32)
        {
            Scatter<float>(gc.Elements<float>(), dx.Elements<float>(), indices.Elements<int>());
        }
        else
        {
            Scatter<double>(gc.Elements<double>(), dx.Elements<double>(), indices.Elements<int>());
        }

        GC.KeepAlive(gc);
        return dx;
    }

    static void Scatter<T>(ReadOnlySpan<T> g, Span<T> dx, ReadOnlySpan<int> indices)
        where T : unmanaged, INumber<T>
    {
        dx.Clear();
        for (int o = 0; o < indices.Length; o++)
        {
            dx[indices[o]] += g[o];
        }
    }
}
