using System.Numerics;

namespace Gradgen.Nn;

/// <summary>
/// The windows of an average pooling over [N, C, H, W]: per output row its input rows [start, end) and per output
/// column its input columns, with what each cell divides by. <see cref="Nn.AvgPool2d"/> and
/// <see cref="Nn.AdaptiveAvgPool2d"/> differ only in how they place these windows, so one kernel runs both.
/// </summary>
/// <param name="Rows">Per output row: the first input row, the end, and the window's height counted for the divisor.</param>
/// <param name="Columns">Per output column: likewise for the columns.</param>
/// <param name="Divisor">What every cell divides by instead (PyTorch's divisor_override), or null.</param>
internal sealed record AverageWindows((int Start, int End, int Counted)[] Rows, (int Start, int End, int Counted)[] Columns, int? Divisor)
{
    /// <summary>
    /// PyTorch's <c>avg_pool2d</c> windows over an H×W plane: rows start at i·stride − padding, end at most
    /// <paramref name="kernelSize"/> later and at most <paramref name="padding"/> past the input, and are clipped to it;
    /// padding counts in the divisor when <paramref name="countIncludePad"/> (so a window clipped by the ceil mode's
    /// extra row does not count what lies beyond the padding).
    /// </summary>
    /// <exception cref="ArgumentException">The arguments do not fit the input, with the values.</exception>
    public static AverageWindows Strided(int h, int w, int kernelSize, int stride, int padding, bool ceilMode, bool countIncludePad, int? divisor)
    {
        if (kernelSize < 1 || stride < 1 || padding < 0)
        {
            throw new ArgumentException($"AvgPool2d: kernel_size and stride must be ≥ 1 and padding ≥ 0; got kernel_size={kernelSize}, stride={stride}, padding={padding}.");
        }

        if (padding * 2 > kernelSize)
        {
            throw new ArgumentException($"AvgPool2d: pad should be at most half of kernel size, but got pad={padding} and kernel_size={kernelSize}.", nameof(padding));
        }

        if (divisor == 0)
        {
            throw new ArgumentException("AvgPool2d: divisor must be not zero (divisor_override=0).", nameof(divisor));
        }

        int oh = OutputSize(h, kernelSize, stride, padding, ceilMode), ow = OutputSize(w, kernelSize, stride, padding, ceilMode);
        if (oh < 1 || ow < 1)
        {
            throw new ArgumentException($"AvgPool2d: the input's spatial size {h}×{w} with padding {padding} is smaller than the kernel {kernelSize}×{kernelSize}: the output would be {oh}×{ow}.");
        }

        return new AverageWindows(Spans(oh, h), Spans(ow, w), divisor);

        (int, int, int)[] Spans(int count, int size)
        {
            var spans = new (int, int, int)[count];
            for (int i = 0; i < count; i++)
            {
                int start = (i * stride) - padding, end = Math.Min(start + kernelSize, size + padding);
                int first = Math.Max(start, 0), last = Math.Min(end, size);
                spans[i] = (first, last, countIncludePad ? end - start : last - first);
            }

            return spans;
        }
    }

    /// <summary>PyTorch's <c>adaptive_avg_pool2d</c> windows: output row i averages rows ⌊i·H/oh⌋ to ⌈(i+1)·H/oh⌉ (columns likewise).</summary>
    /// <exception cref="ArgumentException">An output size is not positive, with the values.</exception>
    public static AverageWindows Adaptive(int h, int w, int outputH, int outputW)
    {
        if (outputH < 1 || outputW < 1)
        {
            throw new ArgumentException($"AdaptiveAvgPool2d: the output size must be positive, got ({outputH}, {outputW}).");
        }

        return new AverageWindows(Spans(outputH, h), Spans(outputW, w), null);

        static (int, int, int)[] Spans(int count, int size)
        {
            var spans = new (int, int, int)[count];
            for (int i = 0; i < count; i++)
            {
                int start = (int)((long)i * size / count), end = (int)((((long)(i + 1) * size) + count - 1) / count);
                spans[i] = (start, end, end - start);
            }

            return spans;
        }
    }

    /// <summary>PyTorch's pooling_output_shape: ⌊(size + 2p − k) / s⌋ + 1, or rounded up in ceil mode unless the last window would start in the right padding.</summary>
    static int OutputSize(int size, int kernelSize, int stride, int padding, bool ceilMode)
    {
        int span = size + (2 * padding) - kernelSize;
        if (span < 0)
        {
            return 0;
        }

        int output = ((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
        return ceilMode && (output - 1) * stride >= size + padding ? output - 1 : output;
    }

    /// <summary>What output cell (i, j) divides its window's sum by.</summary>
    public int DivisorAt(int i, int j) => Divisor ?? (Rows[i].Counted * Columns[j].Counted);
}

/// <summary>
/// Average pooling on the CPU, plane by plane (image and channel): the forward sums each window and divides, and the
/// gradient (the rule table's <c>AvgPool2dGradient</c>, and eager's <c>AvgPool2DBackward0</c>) spreads each output's
/// gradient, divided the same way, over its window.
/// </summary>
internal static class AvgPoolKernel
{
    /// <summary>Average pooling of a [N, C, H, W] Float32 or Float64 CPU tensor, recorded as <paramref name="backwardName"/> when autograd records.</summary>
    public static Tensor Run(Tensor input, AverageWindows windows, string backwardName)
    {
        var y = Forward(input, windows);
        if (Autograd.Recording(input))
        {
            int[] shape = [.. input.Shape];
            y.WithHistory(new LambdaBackward(backwardName, input, g => Gradient(g, windows, shape)));
        }

        return y;
    }

    /// <summary>The pooled values [N, C, rows, columns], not recorded.</summary>
    public static Tensor Forward(Tensor input, AverageWindows windows)
    {
        if (input.Device.Type != DeviceType.Cpu)
        {
            throw new NotSupportedException($"Average pooling runs on the CPU only so far; the input is on {input.Device}. Move it with To(Device.Cpu).");
        }

        int n = input.Shape[0], c = input.Shape[1], h = input.Shape[2], w = input.Shape[3];
        var x = input.ContiguousData();
        var y = Tensor.Empty(input.DType, [n, c, windows.Rows.Length, windows.Columns.Length]);
        if (input.DType == DType.Float32)
        {
            ParallelItems.For(n * c, (long)n * c * h * w, p => ForwardPlane(x.Elements<float>(), y.Elements<float>(), p, h, w, windows));
        }
        else
        {
            ParallelItems.For(n * c, (long)n * c * h * w, p => ForwardPlane(x.Elements<double>(), y.Elements<double>(), p, h, w, windows));
        }

        GC.KeepAlive(x);
        return y;
    }

    /// <summary>The input's gradient [<paramref name="inputShape"/>] from the output's <paramref name="g"/>: each output's share added over its window.</summary>
    /// <exception cref="ArgumentException"><paramref name="g"/> is not shaped like the pooling's output, with both shapes.</exception>
    public static Tensor Gradient(Tensor g, AverageWindows windows, int[] inputShape)
    {
        int n = inputShape[0], c = inputShape[1], h = inputShape[2], w = inputShape[3];
        if (g.Ndim != 4 || g.Shape[0] != n || g.Shape[1] != c || g.Shape[2] != windows.Rows.Length || g.Shape[3] != windows.Columns.Length)
        {
            throw new ArgumentException($"Average pooling: the gradient has shape {g.ShapeString}, but the pooling of [{string.Join(", ", inputShape)}] gives [{n}, {c}, {windows.Rows.Length}, {windows.Columns.Length}].", nameof(g));
        }

        var gc = g.ContiguousData();
        var dx = Tensor.Empty(g.DType, inputShape);
        if (g.DType == DType.Float32)
        {
            ParallelItems.For(n * c, (long)n * c * h * w, p => BackwardPlane(gc.Elements<float>(), dx.Elements<float>(), p, h, w, windows));
        }
        else
        {
            ParallelItems.For(n * c, (long)n * c * h * w, p => BackwardPlane(gc.Elements<double>(), dx.Elements<double>(), p, h, w, windows));
        }

        GC.KeepAlive(gc);
        return dx;
    }

    static void ForwardPlane<T>(ReadOnlySpan<T> x, Span<T> y, int p, int h, int w, AverageWindows windows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = windows.Rows.Length, ow = windows.Columns.Length;
        var input = x.Slice(p * h * w, h * w);
        var output = y.Slice(p * oh * ow, oh * ow);
        for (int i = 0; i < oh; i++)
        {
            var (r0, r1, _) = windows.Rows[i];
            for (int j = 0; j < ow; j++)
            {
                var (c0, c1, _) = windows.Columns[j];
                T sum = T.Zero;
                for (int r = r0; r < r1; r++)
                {
                    foreach (var v in input.Slice((r * w) + c0, Math.Max(0, c1 - c0)))
                    {
                        sum += v;
                    }
                }

                // A window wholly in the padding has nothing to average: PyTorch gives 0 there.
                output[(i * ow) + j] = r0 < r1 && c0 < c1 ? sum / T.CreateChecked(windows.DivisorAt(i, j)) : T.Zero;
            }
        }
    }

    static void BackwardPlane<T>(ReadOnlySpan<T> g, Span<T> dx, int p, int h, int w, AverageWindows windows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = windows.Rows.Length, ow = windows.Columns.Length;
        var gradient = g.Slice(p * oh * ow, oh * ow);
        var input = dx.Slice(p * h * w, h * w);
        input.Clear();
        for (int i = 0; i < oh; i++)
        {
            var (r0, r1, _) = windows.Rows[i];
            for (int j = 0; j < ow; j++)
            {
                var (c0, c1, _) = windows.Columns[j];
                T share = gradient[(i * ow) + j] / T.CreateChecked(windows.DivisorAt(i, j));
                for (int r = r0; r < r1; r++)
                {
                    foreach (ref var v in input.Slice((r * w) + c0, Math.Max(0, c1 - c0)))
                    {
                        v += share;
                    }
                }
            }
        }
    }
}
