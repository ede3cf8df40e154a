using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// The fused path of compiled models whose layers are all narrow (at most <see cref="MaxWidth"/> features in and
/// out, like the seed's 2-2-1 perceptron). A packed matrix product is mostly padding at such widths, and eager
/// operations spend their time in per-operation overhead; here the whole model is one pass over the rows, with the
/// rows in the vector lanes: each layer's activations are stored feature-major (one contiguous row of the batch per
/// feature), so a layer is <c>out·in</c> broadcast multiply-adds per vector of rows, followed by its generated
/// activation, inlined. Backward is one more pass that accumulates every weight and bias gradient in vector
/// registers' worth of lanes and reduces them once at the end.
/// </summary>
/// <remarks>
/// What is kept for backward is exactly what it reads: each layer's input (feature-major) and the derivative of each
/// activation at its pre-activation value. Both live in one buffer from <see cref="ArrayPool{T}.Shared"/>, returned
/// when the graph node is released (after a <c>Backward</c> without <c>retainGraph</c>), or through a finalizer when
/// the node is dropped without one (<see cref="SavedBuffer"/>). Rows are split into
/// contiguous chunks over the cores for large batches; each chunk keeps its own gradient accumulators.
/// </remarks>
internal static class NarrowModel
{
    /// <summary>The widest layer (inputs or outputs) the fused path takes.</summary>
    public const int MaxWidth = 16;

    /// <summary>Whether every layer is narrow enough.</summary>
    public static bool Fits(ReadOnlySpan<Linear> layers)
    {
        foreach (var layer in layers)
        {
            if (layer.InFeatures > MaxWidth || layer.OutFeatures > MaxWidth)
            {
                return false;
            }
        }

        return layers.Length > 0;
    }

    /// <summary>Runs the model on <paramref name="input"/> (checked by <see cref="CompiledModel.CanRun"/>) and records one graph node.</summary>
    public static unsafe Tensor Run<TActivations>(string name, Tensor input, Linear[] layers)
        where TActivations : ILayerActivations
    {
        var parameters = new List<Tensor>(1 + (2 * layers.Length)) { input };
        foreach (var layer in layers)
        {
            parameters.Add(layer.Weight);
            if (layer.Bias is { } bias)
            {
                parameters.Add(bias);
            }
        }

        var inputs = parameters.ToArray();
        bool recording = Autograd.Recording(inputs);
        var x = CompiledModel.Prepare(input);
        var layout = new NarrowLayout(x.Shape[0], layers, withDerivatives: recording, TActivations.HasActivation);
        var packed = PackParameters(layout, layers);
        var output = Tensor.Empty(DType.Float32, [layout.Rows, layout.Widths[^1]]);
        var saved = new SavedBuffer(layout.BufferLength);
        fixed (float* xs = x.Elements<float>(), ys = output.Elements<float>(), ps = packed, bs = saved.Array!)
        {
            var pass = new NarrowForwardPass<TActivations>(layout, xs, ys, ps, bs);
            layout.ForEachChunk(chunk => AtVectorWidth(pass, chunk));
        }

        GC.KeepAlive(x);    // read through a pointer above (Tensor.Elements does not expose it)
        if (!recording)
        {
            saved.Return();
            return output;
        }

        var node = new NarrowModelBackward(name, inputs, layout, x, layers, packed, saved);
        return output.WithHistory(node);
    }

    // W then b for each layer, as one small array: the loops read them by pointer, and backward sees the values the
    // forward used even if an optimizer has changed the parameters since (the version check still reports that).
    private static float[] PackParameters(NarrowLayout layout, Linear[] layers)
    {
        var packed = new float[layout.ParameterCount];
        for (int l = 0; l < layers.Length; l++)
        {
            var weight = layers[l].Weight.ContiguousData().Elements<float>();
            weight.CopyTo(packed.AsSpan(layout.WeightOffset(l), weight.Length));
            if (layers[l].Bias is { } bias)
            {
                bias.ContiguousData().Elements<float>().CopyTo(packed.AsSpan(layout.BiasOffset(l), layout.Widths[l + 1]));
            }
        }

        return packed;
    }

    /// <summary>The lanes of the widest vector the loops use on this machine (1: scalar).</summary>
    internal static int Lanes => Elementwise.VectorBits >= 128 ? Elementwise.VectorBits / 32 : 1;

    /// <summary>Runs chunk <paramref name="chunk"/> of <paramref name="body"/> at the widest vector width of this machine.</summary>
    internal static void AtVectorWidth(IVectorWidthBody body, int chunk)
    {
        if (Elementwise.VectorBits >= 512)
        {
            body.Run<Vector512<float>, Simd512<float>>(chunk);
        }
        else if (Elementwise.VectorBits >= 256)
        {
            body.Run<Vector256<float>, Simd256<float>>(chunk);
        }
        else if (Elementwise.VectorBits >= 128)
        {
            body.Run<Vector128<float>, Simd128<float>>(chunk);
        }
        else
        {
            body.Run<float, Scalar<float>>(chunk);
        }
    }

    /// <summary>
    /// One layer's outputs for rows [start, end), a whole number of vectors: z = W·a + b as streaming loops over the
    /// rows, two inputs at a time with their weights broadcast once, then the activation in place (and its derivative
    /// into <paramref name="derivative"/> when that is not empty).
    /// </summary>
    /// <remarks>
    /// Both layer loops are compiled fully optimised at once (<see cref="MethodImplOptions.AggressiveOptimization"/>),
    /// without tiered profile-guided optimisation: the profile a chunked run collected made the JIT lay out the
    /// backward's loops so badly that each row took two to three times as long as in the one-chunk run, and the
    /// backward pass ran slower on two cores than on one (docs/benchmarks.md §3.5).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    internal static void LayerForward<TActivations, TVec, TSimd>(int layer, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> input, Span<float> output, Span<float> derivative, int inWidth, int outWidth, int rows, int start, int end)
        where TActivations : ILayerActivations
        where TVec : struct
        where TSimd : ISimd<TVec, float>
    {
        int count = TSimd.Count;
        for (int o = 0; o < outWidth; o++)
        {
            var w = weight.Slice(o * inWidth, inWidth);
            int z = o * rows;
            TVec b = TSimd.Create(bias[o]);
            int j;
            if (inWidth <= 2 && TActivations.HasActivation(layer))
            {
                // One pass makes the whole z: the activation (and its derivative) are applied before it is stored.
                // Only real products: a zero weight times an infinite input would make NaN where eager gives ±∞.
                TVec w0 = inWidth >= 1 ? TSimd.Create(w[0]) : TSimd.Constant(0), w1 = inWidth == 2 ? TSimd.Create(w[1]) : TSimd.Constant(0);
                for (int r = start; r < end; r += count)
                {
                    TVec sum = inWidth == 0 ? b : TSimd.FusedMultiplyAdd(w0, TSimd.Load(input, r), b);
                    if (inWidth == 2)
                    {
                        sum = TSimd.FusedMultiplyAdd(w1, TSimd.Load(input, rows + r), sum);
                    }

                    if (derivative.IsEmpty)
                    {
                        TSimd.Store(TActivations.Apply<TVec, TSimd>(layer, sum), output, z + r);
                    }
                    else
                    {
                        TSimd.Store(TActivations.ApplyWithDerivative<TVec, TSimd>(layer, sum, out var d), output, z + r);
                        TSimd.Store(d, derivative, z + r);
                    }
                }

                continue;
            }

            if (inWidth >= 2)
            {
                TVec w0 = TSimd.Create(w[0]), w1 = TSimd.Create(w[1]);
                for (int r = start; r < end; r += count)
                {
                    TSimd.Store(TSimd.FusedMultiplyAdd(w1, TSimd.Load(input, rows + r), TSimd.FusedMultiplyAdd(w0, TSimd.Load(input, r), b)), output, z + r);
                }

                j = 2;
            }
            else
            {
                TVec w0 = inWidth == 1 ? TSimd.Create(w[0]) : TSimd.Constant(0);
                for (int r = start; r < end; r += count)
                {
                    TSimd.Store(TSimd.FusedMultiplyAdd(w0, TSimd.Load(input, r), b), output, z + r);
                }

                j = inWidth;
            }

            for (; j + 1 < inWidth; j += 2)
            {
                TVec w0 = TSimd.Create(w[j]), w1 = TSimd.Create(w[j + 1]);
                int a0 = j * rows, a1 = (j + 1) * rows;
                for (int r = start; r < end; r += count)
                {
                    TVec sum = TSimd.FusedMultiplyAdd(w0, TSimd.Load(input, a0 + r), TSimd.Load(output, z + r));
                    TSimd.Store(TSimd.FusedMultiplyAdd(w1, TSimd.Load(input, a1 + r), sum), output, z + r);
                }
            }

            if (j < inWidth)
            {
                // The odd last input on its own: pairing it with a zero weight would turn an infinite input into NaN.
                TVec w0 = TSimd.Create(w[j]);
                int a0 = j * rows;
                for (int r = start; r < end; r += count)
                {
                    TSimd.Store(TSimd.FusedMultiplyAdd(w0, TSimd.Load(input, a0 + r), TSimd.Load(output, z + r)), output, z + r);
                }
            }

            if (!TActivations.HasActivation(layer))
            {
                continue;
            }

            if (derivative.IsEmpty)
            {
                for (int r = z + start, last = z + end; r < last; r += count)
                {
                    TSimd.Store(TActivations.Apply<TVec, TSimd>(layer, TSimd.Load(output, r)), output, r);
                }
            }
            else
            {
                for (int r = z + start, last = z + end; r < last; r += count)
                {
                    TSimd.Store(TActivations.ApplyWithDerivative<TVec, TSimd>(layer, TSimd.Load(output, r), out var d), output, r);
                    TSimd.Store(d, derivative, r);
                }
            }
        }
    }

    /// <summary>
    /// One layer's backward for rows [start, end), a whole number of vectors. dz = g·σ′ (into
    /// <paramref name="dzScratch"/> when there is an activation), then each bias gradient Σ dz and each weight
    /// gradient Σ dz·aⱼ as its own streaming loop with the sum in a register (lane by lane, added into
    /// <paramref name="sums"/>: the weights' sums then the biases', <c>TSimd.Count</c> floats each), then the gradient
    /// of the layer's input Σₒ Wₒⱼ·dzₒ when <paramref name="inputGradient"/> is not empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    internal static void LayerBackward<TVec, TSimd>(ReadOnlySpan<float> weight, ReadOnlySpan<float> gradient, ReadOnlySpan<float> derivative,
        ReadOnlySpan<float> input, Span<float> inputGradient, Span<float> dzScratch, Span<float> sums, int inWidth, int outWidth, int rows, int start, int end)
        where TVec : struct
        where TSimd : ISimd<TVec, float>
    {
        int count = TSimd.Count;
        ReadOnlySpan<float> dz = gradient;

        // Without an input gradient (the first layer, whose input needs none) dz is read once per sum, so it is
        // computed where it is read instead of stored and read back: two fewer passes over memory per output.
        bool fused = !derivative.IsEmpty && inputGradient.IsEmpty;
        if (!derivative.IsEmpty && !fused)
        {
            for (int o = 0; o < outWidth; o++)
            {
                for (int r = start + (o * rows), last = end + (o * rows); r < last; r += count)
                {
                    TSimd.Store(TSimd.Multiply(TSimd.Load(gradient, r), TSimd.Load(derivative, r)), dzScratch, r);
                }
            }

            dz = dzScratch;
        }

        int biasSums = outWidth * inWidth * count;
        for (int o = 0; o < outWidth; o++)
        {
            // The bias and two weights of this output per pass over dz: one load of dz feeds three sums.
            int dzRow = o * rows, b = biasSums + (o * count), w = o * inWidth * count;
            TVec bias = TSimd.Load(sums, b);
            int j = Math.Min(inWidth, 2);
            if (j == 2)
            {
                // Two vectors of rows per step into two sets of sums: each sum is a chain of dependent additions, and
                // with one set the loop waited on the adder's latency rather than on its loads.
                TVec w0 = TSimd.Load(sums, w), w1 = TSimd.Load(sums, w + count);
                TVec bias2 = TSimd.Constant(0), v0 = bias2, v1 = bias2;
                int r = start;
                for (; r <= end - (2 * count); r += 2 * count)
                {
                    TVec d = Dz<TVec, TSimd>(fused, dz, derivative, dzRow + r), e = Dz<TVec, TSimd>(fused, dz, derivative, dzRow + r + count);
                    bias = TSimd.Add(bias, d);
                    bias2 = TSimd.Add(bias2, e);
                    w0 = TSimd.FusedMultiplyAdd(d, TSimd.Load(input, r), w0);
                    v0 = TSimd.FusedMultiplyAdd(e, TSimd.Load(input, r + count), v0);
                    w1 = TSimd.FusedMultiplyAdd(d, TSimd.Load(input, rows + r), w1);
                    v1 = TSimd.FusedMultiplyAdd(e, TSimd.Load(input, rows + r + count), v1);
                }

                for (; r < end; r += count)
                {
                    TVec d = Dz<TVec, TSimd>(fused, dz, derivative, dzRow + r);
                    bias = TSimd.Add(bias, d);
                    w0 = TSimd.FusedMultiplyAdd(d, TSimd.Load(input, r), w0);
                    w1 = TSimd.FusedMultiplyAdd(d, TSimd.Load(input, rows + r), w1);
                }

                bias = TSimd.Add(bias, bias2);
                TSimd.Store(TSimd.Add(w0, v0), sums, w);
                TSimd.Store(TSimd.Add(w1, v1), sums, w + count);
            }
            else if (j == 1)
            {
                TVec w0 = TSimd.Load(sums, w);
                for (int r = start; r < end; r += count)
                {
                    TVec d = Dz<TVec, TSimd>(fused, dz, derivative, dzRow + r);
                    bias = TSimd.Add(bias, d);
                    w0 = TSimd.FusedMultiplyAdd(d, TSimd.Load(input, r), w0);
                }

                TSimd.Store(w0, sums, w);
            }
            else
            {
                for (int r = start; r < end; r += count)
                {
                    bias = TSimd.Add(bias, Dz<TVec, TSimd>(fused, dz, derivative, dzRow + r));
                }
            }

            TSimd.Store(bias, sums, b);
            for (; j < inWidth; j++)
            {
                int k = w + (j * count), inputRow = j * rows;
                TVec sum = TSimd.Load(sums, k);
                for (int r = start; r < end; r += count)
                {
                    sum = TSimd.FusedMultiplyAdd(Dz<TVec, TSimd>(fused, dz, derivative, dzRow + r), TSimd.Load(input, inputRow + r), sum);
                }

                TSimd.Store(sum, sums, k);
            }
        }

        if (inputGradient.IsEmpty)
        {
            return;
        }

        for (int j = 0; j < inWidth; j++)
        {
            for (int r = start; r < end; r += count)
            {
                TVec g = TSimd.Multiply(TSimd.Create(weight[j]), TSimd.Load(dz, r));
                for (int o = 1; o < outWidth; o++)
                {
                    g = TSimd.FusedMultiplyAdd(TSimd.Create(weight[(o * inWidth) + j]), TSimd.Load(dz, (o * rows) + r), g);
                }

                TSimd.Store(g, inputGradient, (j * rows) + r);
            }
        }
    }

    /// <summary>dz at <paramref name="i"/>: stored, or (<paramref name="fused"/>) the gradient times the derivative there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Dz<TVec, TSimd>(bool fused, ReadOnlySpan<float> dz, ReadOnlySpan<float> derivative, int i)
        where TVec : struct
        where TSimd : ISimd<TVec, float>
        => fused ? TSimd.Multiply(TSimd.Load(dz, i), TSimd.Load(derivative, i)) : TSimd.Load(dz, i);

    /// <summary>Row-major <c>[rows, width]</c> rows [start, end) into feature-major (<c>[width, rows]</c>) and back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ToFeatureMajor(ReadOnlySpan<float> rowMajor, Span<float> featureMajor, int width, int rows, int start, int end)
    {
        int r = start;
        if (width == 2)
        {
            r = Deinterleave(rowMajor, featureMajor[..rows], featureMajor[rows..], start, end);
        }

        for (; r < end; r++)
        {
            var row = rowMajor.Slice(r * width, width);
            for (int j = 0; j < width; j++)
            {
                featureMajor[(j * rows) + r] = row[j];
            }
        }
    }

    /// <inheritdoc cref="ToFeatureMajor"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ToRowMajor(ReadOnlySpan<float> featureMajor, Span<float> rowMajor, int width, int rows, int start, int end)
    {
        int r = start;
        if (width == 2)
        {
            r = Interleave(featureMajor[..rows], featureMajor[rows..], rowMajor, start, end);
        }

        for (; r < end; r++)
        {
            var row = rowMajor.Slice(r * width, width);
            for (int j = 0; j < width; j++)
            {
                row[j] = featureMajor[(j * rows) + r];
            }
        }
    }

    // Two features per row (the seed's input) are one 64-bit lane per row: narrowing the 64-bit lanes keeps the
    // first feature of each row and narrowing them shifted keeps the second — two instructions per vector of rows
    // where the element-by-element copy cost more than the whole model.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Deinterleave(ReadOnlySpan<float> pairs, Span<float> first, Span<float> second, int start, int end)
    {
        int r = start;
        if (!Vector512.IsHardwareAccelerated)
        {
            return r;
        }

        ref float source = ref MemoryMarshal.GetReference(pairs);
        for (; r <= end - 16; r += 16)
        {
            var low = Vector512.LoadUnsafe(ref source, (nuint)(2 * r)).AsUInt64();
            var high = Vector512.LoadUnsafe(ref source, (nuint)((2 * r) + 16)).AsUInt64();
            Vector512.Narrow(low, high).AsSingle().StoreUnsafe(ref MemoryMarshal.GetReference(first), (nuint)r);
            Vector512.Narrow(low >>> 32, high >>> 32).AsSingle().StoreUnsafe(ref MemoryMarshal.GetReference(second), (nuint)r);
        }

        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Interleave(ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> pairs, int start, int end)
    {
        int r = start;
        if (!Vector512.IsHardwareAccelerated)
        {
            return r;
        }

        ref float destination = ref MemoryMarshal.GetReference(pairs);
        for (; r <= end - 16; r += 16)
        {
            var a = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(first), (nuint)r).AsUInt32();
            var b = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(second), (nuint)r).AsUInt32();
            (Vector512.WidenLower(a) | (Vector512.WidenLower(b) << 32)).AsSingle().StoreUnsafe(ref destination, (nuint)(2 * r));
            (Vector512.WidenUpper(a) | (Vector512.WidenUpper(b) << 32)).AsSingle().StoreUnsafe(ref destination, (nuint)((2 * r) + 16));
        }

        return r;
    }
}

/// <summary>A loop body over one chunk of rows, generic over the vector width (C# has no generic lambdas).</summary>
internal interface IVectorWidthBody
{
    void Run<TVec, TSimd>(int chunk)
        where TVec : struct
        where TSimd : ISimd<TVec, float>;
}

/// <summary>
/// Where everything of one fused run lives: the widths, the packed parameters' offsets, and the sections of the
/// feature-major buffer (each layer's input after the first, the derivative of each activation when training, and
/// the last layer's output when it is wider than one feature).
/// </summary>
internal sealed class NarrowLayout
{
    // Rows are cut into chunks of at least this many (about 1 µs of work for the seed's perceptron), one per core:
    // each core takes its own chunk in forward and in backward (ChunkedParallel), so it reads back what it wrote from
    // its own cache, and a core that wakes late has its chunk taken by the others. Two or four chunks per core
    // measured slower on the seed's step at 2 threads (10.0 and 10.7 µs against 9.0–9.6 µs).
    private const int MinRowsPerChunk = 2048;
    private const int ChunksPerThread = 1;

    private readonly int[] parameterOffsets;
    private readonly int[] inputOffsets;
    private readonly int[] derivativeOffsets;

    public NarrowLayout(int rows, Linear[] layers, bool withDerivatives, Func<int, bool> hasActivation)
    {
        Rows = rows;
        Layers = layers.Length;
        Widths = new int[Layers + 1];
        Widths[0] = layers[0].InFeatures;
        parameterOffsets = new int[Layers];
        inputOffsets = new int[Layers];
        derivativeOffsets = new int[Layers];
        int parameters = 0, buffer = 0;
        for (int l = 0; l < Layers; l++)
        {
            Widths[l + 1] = layers[l].OutFeatures;
            parameterOffsets[l] = parameters;
            parameters += (layers[l].InFeatures + 1) * layers[l].OutFeatures;

            // Layer 0 reads the input directly when it has one feature (row-major is feature-major then).
            inputOffsets[l] = l == 0 && Widths[0] == 1 ? -1 : buffer;
            buffer += inputOffsets[l] < 0 ? 0 : Widths[l] * rows;
            derivativeOffsets[l] = withDerivatives && hasActivation(l) ? buffer : -1;
            buffer += derivativeOffsets[l] < 0 ? 0 : Widths[l + 1] * rows;
        }

        OutputOffset = Widths[Layers] == 1 ? -1 : buffer;
        buffer += OutputOffset < 0 ? 0 : Widths[Layers] * rows;
        ParameterCount = parameters;
        BufferLength = buffer;
        int widest = 0;
        foreach (int w in Widths)
        {
            widest = Math.Max(widest, w);
        }

        MaxWidth = widest;
        int threads = Math.Max(1, Elementwise.MaxThreads);
        int chunks = threads == 1 ? 1 : Math.Clamp(rows / MinRowsPerChunk, 1, threads * ChunksPerThread);
        ChunkStarts = new int[chunks + 1];
        for (int c = 1; c < chunks; c++)
        {
            ChunkStarts[c] = (int)((long)rows * c / chunks) & ~63;    // whole vectors, whole cache lines
        }

        ChunkStarts[chunks] = rows;
    }

    public int Rows { get; }

    public int Layers { get; }

    /// <summary>The input width, then each layer's output width.</summary>
    public int[] Widths { get; }

    public int MaxWidth { get; }

    public int ParameterCount { get; }

    public int BufferLength { get; }

    /// <summary>Where the last layer's feature-major output is, or −1 when it is written straight into the result.</summary>
    public int OutputOffset { get; }

    /// <summary>The first row of each chunk, then the row count.</summary>
    public int[] ChunkStarts { get; }

    public int Chunks => ChunkStarts.Length - 1;

    /// <summary>Chunk <paramref name="chunk"/>'s rows: [start, vectorEnd) in whole vectors of <paramref name="lanes"/>, then [vectorEnd, end).</summary>
    public (int Start, int VectorEnd, int End) Chunk(int chunk, int lanes)
    {
        int start = ChunkStarts[chunk], end = ChunkStarts[chunk + 1];
        return (start, start + ((end - start) / lanes * lanes), end);
    }

    public int WeightOffset(int layer) => parameterOffsets[layer];

    public int BiasOffset(int layer) => parameterOffsets[layer] + (Widths[layer] * Widths[layer + 1]);

    /// <summary>Offset of layer <paramref name="layer"/>'s feature-major input, or −1 when it is the model's input itself.</summary>
    public int InputOffset(int layer) => inputOffsets[layer];

    /// <summary>Offset of the activation derivative after layer <paramref name="layer"/>, or −1 when none is kept.</summary>
    public int DerivativeOffset(int layer) => derivativeOffsets[layer];

    /// <summary>Runs <paramref name="chunk"/> for every chunk of rows, on several cores when there are several.</summary>
    public void ForEachChunk(Action<int> chunk) => ChunkedParallel.Run(Chunks, Elementwise.MaxThreads, chunk);
}
