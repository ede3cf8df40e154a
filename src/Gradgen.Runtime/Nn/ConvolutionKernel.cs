using System.Numerics;
using System.Runtime.InteropServices;
using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// 2-D convolution on the CPU, image by image. The forward unfolds one image into this thread's column buffer
/// [C/g·kh·kw, L] (<see cref="Im2Col.Columns"/>), small enough to stay in cache, and multiplies each group's filters
/// [O/g, C/g·kh·kw] by it through the packed GEMM, straight into the image's output planes [O/g, L] of the NCHW result
/// (the bias written there first). The backward unfolds each image again and takes dW += dY·colsᵀ and
/// dcols = Wᵀ·dY, then folds dcols back into dX (<see cref="Im2Col.AddColumns"/>). So neither pass copies the whole
/// batch between layouts: the columns of all images (25 times the input for a 5×5 kernel) never exist at once.
/// </summary>
internal static class ConvolutionKernel
{
    /// <summary>The convolution of a Float32 or Float64 CPU input [N, C, H, W] with weight [O, C / groups, kh, kw] and an optional bias [O], all of one dtype (checked by the caller).</summary>
    public static Tensor Run(Tensor input, Tensor weight, Tensor? bias, Window2d window, int groups) => Run<IdentityEpilogue>(input, weight, bias, window, groups);

    /// <summary>
    /// The convolution with <typeparamref name="TEpilogue"/> applied to each output element as its product writes it
    /// (after the bias): Float32 only for an epilogue other than <see cref="IdentityEpilogue"/>. An epilogue that
    /// <see cref="IGemmEpilogue.ReadsOther"/> reads <paramref name="other"/>, of the output's shape, at each position (a
    /// residual added to the layer's output).
    /// </summary>
    public static Tensor Run<TEpilogue>(Tensor input, Tensor weight, Tensor? bias, Window2d window, int groups, Tensor? other = null)
        where TEpilogue : IGemmEpilogue
    {
        if (typeof(TEpilogue) != typeof(IdentityEpilogue) && input.DType != DType.Float32)
        {
            throw new ArgumentException($"Conv2d: an epilogue runs in Float32 only, not {input.DType}.", nameof(input));
        }

        window.Check(input, "Conv2d");
        var shape = new ConvolutionShape(input.shape, weight.shape, window, groups);
        int[] outputShape = [shape.N, shape.O, window.OutH(shape.H), window.OutW(shape.W)];
        if (TEpilogue.ReadsOther != other is not null || (other is not null && (other.DType != DType.Float32 || !other.Shape.ToArray().AsSpan().SequenceEqual(outputShape))))
        {
            throw new ArgumentException($"Conv2d<{typeof(TEpilogue).Name}>: the epilogue {(TEpilogue.ReadsOther ? "reads" : "reads no")} second value, given {(other is null ? "none" : $"a {other.DType} of shape {other.ShapeString}")}; the output is Float32 [{string.Join(", ", outputShape)}].", nameof(other));
        }

        var x = input.ContiguousData();
        var w = weight.ContiguousData();
        var b = bias?.ContiguousData();
        var o = other?.ContiguousData();
        var y = Tensor.Empty(input.DType, outputShape);
        if (input.DType == DType.Float32)
        {
            Forward<float, TEpilogue>(shape, x, w, b, y, o);
        }
        else
        {
            Forward<double, IdentityEpilogue>(shape, x, w, b, y, null);
        }

        GC.KeepAlive(x);
        GC.KeepAlive(w);
        GC.KeepAlive(b);
        GC.KeepAlive(o);
        bool record = bias is null ? Autograd.Recording(input, weight) : Autograd.Recording([input, weight, bias]);
        if (record)
        {
            y.WithHistory(new ConvolutionBackward(input, weight, bias, shape));
        }

        return y;
    }

    static void Forward<T, TEpilogue>(ConvolutionShape s, Tensor x, Tensor w, Tensor? bias, Tensor y, Tensor? other)
        where T : unmanaged, INumber<T>
        where TEpilogue : IGemmEpilogue
    {
        int chunks = ParallelItems.Chunks(s.N, x.numel + y.numel), gemmThreads = Math.Max(1, Gemm.ThreadCount / chunks);
        ParallelItems.ForChunks(s.N, chunks, (_, first, end) =>
        {
            var cols = ColumnBuffer<T>.Get(s.ColumnsSize);
            for (int b = first; b < end; b++)
            {
                var image = x.Elements<T>().Slice(b * s.ImageSize, s.ImageSize);
                var output = y.Elements<T>().Slice(b * s.OutputSize, s.OutputSize);
                for (int g = 0; g < s.Groups; g++)
                {
                    var planes = output.Slice(g * s.Og * s.L, s.Og * s.L);
                    if (bias is not null)
                    {
                        var values = bias.Elements<T>().Slice(g * s.Og, s.Og);
                        for (int o = 0; o < s.Og; o++)
                        {
                            planes.Slice(o * s.L, s.L).Fill(values[o]);
                        }
                    }

                    // The other value's planes for this image and group sit where the output's do.
                    var source = s.Columns(image, g, cols);
                    var others = other is null ? default : other.Elements<float>().Slice((b * s.OutputSize) + (g * s.Og * s.L), s.Og * s.L);
                    Product<T, TEpilogue>(false, false, s.Og, s.L, s.K, s.Filters(w.Elements<T>(), g), s.K, source, s.L, bias is not null, planes, s.L, gemmThreads, others);
                }
            }
        });
    }

    /// <summary>
    /// The gradients of the input (<paramref name="dx"/>, when not null), of the weight (returned, when
    /// <paramref name="needWeight"/>) and of the bias (<paramref name="biasGrad"/>, when not null, summed in
    /// double) from the output's gradient <paramref name="gy"/>; each chunk of images keeps its own partial sums.
    /// </summary>
    internal static T[]? Backward<T>(ConvolutionShape s, Tensor x, Tensor w, Tensor gy, Tensor? dx, bool needWeight, double[]? biasGrad)
        where T : unmanaged, INumber<T>
    {
        int chunks = ParallelItems.Chunks(s.N, x.numel + gy.numel), gemmThreads = Math.Max(1, Gemm.ThreadCount / chunks);
        var weightParts = needWeight ? new T[chunks][] : null;
        var biasParts = biasGrad is null ? null : new double[chunks][];
        ParallelItems.ForChunks(s.N, chunks, (chunk, first, end) =>
        {
            var buffer = ColumnBuffer<T>.Get(2 * s.ColumnsSize);
            Span<T> cols = buffer[..s.ColumnsSize], dcols = buffer[s.ColumnsSize..];
            var dw = weightParts is null ? default : (weightParts[chunk] = new T[s.O * s.K]).AsSpan();
            var db = biasParts is null ? null : (biasParts[chunk] = new double[s.O]);
            for (int b = first; b < end; b++)
            {
                var image = x.Elements<T>().Slice(b * s.ImageSize, s.ImageSize);
                var gradOut = gy.Elements<T>().Slice(b * s.OutputSize, s.OutputSize);
                var dxImage = dx is null ? default : dx.Elements<T>().Slice(b * s.ImageSize, s.ImageSize);
                dxImage.Clear();
                for (int g = 0; g < s.Groups; g++)
                {
                    var planes = gradOut.Slice(g * s.Og * s.L, s.Og * s.L);
                    if (weightParts is not null)
                    {
                        // dW[o, r] += Σ_l dY[o, l]·cols[r, l]; the chunk's first image overwrites.
                        var source = s.Columns(image, g, cols);
                        Product(false, true, s.Og, s.K, s.L, planes, s.L, source, s.L, b != first, dw.Slice(g * s.Og * s.K, s.Og * s.K), s.K, gemmThreads);
                    }

                    if (dx is not null)
                    {
                        // dcols = Wᵀ·dY, added back where each column was read from; a 1×1 window reads each element once.
                        var dxGroup = dxImage.Slice(g * s.GroupImageSize, s.GroupImageSize);
                        var target = s.Window.IsIdentity ? dxGroup : dcols;
                        Product(true, false, s.K, s.L, s.Og, s.Filters(w.Elements<T>(), g), s.K, planes, s.L, false, target, s.L, gemmThreads);
                        if (!s.Window.IsIdentity)
                        {
                            Im2Col.AddColumns(dcols, dxGroup, s.Cg, s.H, s.W, s.Window);
                        }
                    }

                    if (db is not null)
                    {
                        for (int o = 0; o < s.Og; o++)
                        {
                            db[(g * s.Og) + o] += Sum(planes.Slice(o * s.L, s.L));
                        }
                    }
                }
            }
        });

        if (biasParts is not null)
        {
            foreach (var part in biasParts)
            {
                for (int o = 0; o < part.Length; o++)
                {
                    biasGrad![o] += part[o];
                }
            }
        }

        if (weightParts is null)
        {
            return null;
        }

        var sum = weightParts[0];
        for (int p = 1; p < weightParts.Length; p++)
        {
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += weightParts[p][i];
            }
        }

        return sum;
    }

    /// <summary><c>C = op(A)·op(B)</c>, or <c>C += op(A)·op(B)</c> when <paramref name="accumulate"/>, through the single- or double-precision GEMM.</summary>
    static void Product<T>(bool transposeA, bool transposeB, int m, int n, int k, Span<T> a, int lda, Span<T> b, int ldb, bool accumulate, Span<T> c, int ldc, int threads)
        where T : unmanaged => Product<T, IdentityEpilogue>(transposeA, transposeB, m, n, k, a, lda, b, ldb, accumulate, c, ldc, threads);

    /// <summary>The same with <typeparamref name="TEpilogue"/> applied to each element of C as it is written (single precision), reading <paramref name="other"/> (laid out as C) when it reads a second value.</summary>
    static void Product<T, TEpilogue>(bool transposeA, bool transposeB, int m, int n, int k, Span<T> a, int lda, Span<T> b, int ldb, bool accumulate, Span<T> c, int ldc, int threads, ReadOnlySpan<float> other = default)
        where T : unmanaged
        where TEpilogue : IGemmEpilogue
    {
        if (typeof(T) == typeof(float))
        {
            Gemm.MultiplyCore<TEpilogue>(transposeA, transposeB, m, n, k, 1f, MemoryMarshal.Cast<T, float>(a), lda, MemoryMarshal.Cast<T, float>(b), ldb,
                accumulate ? 1f : 0f, MemoryMarshal.Cast<T, float>(c), ldc, default, other, other.IsEmpty ? 0 : ldc, threads, GemmKernelKind.Auto);
        }
        else
        {
            Dgemm.Run(transposeA, transposeB, m, n, k, 1.0, MemoryMarshal.Cast<T, double>(a), lda, MemoryMarshal.Cast<T, double>(b), ldb,
                accumulate ? 1.0 : 0.0, MemoryMarshal.Cast<T, double>(c), ldc, threads);
        }
    }

    /// <summary>The sum of a row, in vectors of <see cref="Vector{T}"/>.</summary>
    static double Sum<T>(ReadOnlySpan<T> row)
        where T : unmanaged, INumber<T>
    {
        var lanes = Vector<T>.Zero;
        int i = 0;
        for (; i <= row.Length - Vector<T>.Count; i += Vector<T>.Count)
        {
            lanes += new Vector<T>(row[i..]);
        }

        T sum = Vector.Sum(lanes);
        for (; i < row.Length; i++)
        {
            sum += row[i];
        }

        return double.CreateTruncating(sum);
    }

    /// <summary>This thread's buffer for one image's columns, grown on demand and reused by every call.</summary>
    static class ColumnBuffer<T>
        where T : unmanaged
    {
        [ThreadStatic]
        static T[]? buffer;

        public static Span<T> Get(int length)
        {
            if (buffer is null || buffer.Length < length)
            {
                buffer = GC.AllocateUninitializedArray<T>(length);
            }

            return buffer.AsSpan(0, length);
        }
    }
}
