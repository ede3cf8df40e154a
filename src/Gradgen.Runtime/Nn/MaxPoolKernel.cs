using System.Numerics;

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
        var (oh, ow) = w.Check(input, "MaxPool2d");
        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], wd = input.Shape[3];

        var x = input.ContiguousData();
        var y = Tensor.Empty(input.DType, [n, c, oh, ow]);
        var indices = new int[n * c * oh * ow];
        if (input.DType == DType.Float32)
        {
            Forward<float>(x.Elements<float>(), y.Elements<float>(), indices, n * c, h, wd, w);
        }
        else
        {
            Forward<double>(x.Elements<double>(), y.Elements<double>(), indices, n * c, h, wd, w);
        }

        GC.KeepAlive(x);
        if (Autograd.Recording(input))
        {
            int[] shape = [n, c, h, wd];
            y.WithHistory(new LambdaBackward("MaxPool2DWithIndicesBackward", input, g => Backward(g, shape, indices)));
        }

        return y;
    }

    static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int[] indices, int planes, int h, int wd, Window2d w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = w.OutH(h), ow = w.OutW(wd);
        for (int p = 0; p < planes; p++)
        {
            int plane = p * h * wd;
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    T best = T.NegativeInfinity;
                    int at = -1;
                    for (int i = 0; i < w.KernelH; i++)
                    {
                        int hy = (oy * w.StrideH) - w.PadH + (i * w.DilationH);
                        if ((uint)hy >= (uint)h)
                        {
                            continue;
                        }

                        for (int j = 0; j < w.KernelW; j++)
                        {
                            int wx = (ox * w.StrideW) - w.PadW + (j * w.DilationW);
                            if ((uint)wx >= (uint)wd)
                            {
                                continue;
                            }

                            int index = plane + (hy * wd) + wx;
                            T v = x[index];
                            if (at < 0 || v > best || (T.IsNaN(v) && !T.IsNaN(best)))
                            {
                                best = v;
                                at = index;
                            }
                        }
                    }

                    int o = (((p * oh) + oy) * ow) + ox;
                    y[o] = best;
                    indices[o] = at;
                }
            }
        }
    }

    static Tensor Backward(Tensor g, int[] shape, int[] indices)
    {
        var gc = g.ContiguousData();
        var dx = Tensor.Empty(g.DType, shape);
        if (g.DType == DType.Float32)
        {
            Scatter<float>(gc.Elements<float>(), dx.Elements<float>(), indices);
        }
        else
        {
            Scatter<double>(gc.Elements<double>(), dx.Elements<double>(), indices);
        }

        GC.KeepAlive(gc);
        return dx;
    }

    static void Scatter<T>(ReadOnlySpan<T> g, Span<T> dx, int[] indices)
        where T : unmanaged, INumber<T>
    {
        dx.Clear();
        for (int o = 0; o < indices.Length; o++)
        {
            dx[indices[o]] += g[o];
        }
    }
}
