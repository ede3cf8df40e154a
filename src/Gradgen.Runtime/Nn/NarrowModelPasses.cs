using System.Runtime.CompilerServices;
using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// The forward pass of <see cref="NarrowModel"/> over one chunk of rows: the input to feature-major, each layer in
/// turn (whole vectors of rows, then the remaining rows one at a time), the output back to row-major.
/// The pointers are pinned by the caller for the duration of the pass.
/// </summary>
internal sealed unsafe class NarrowForwardPass<TActivations>(NarrowLayout layout, float* input, float* output, float* parameters, float* buffer)
    : IVectorWidthBody
    where TActivations : ILayerActivations
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run<TVec, TSimd>(int chunk)
        where TVec : struct
        where TSimd : ISimd<TVec, float>
    {
        int rows = layout.Rows, layers = layout.Layers;
        var (start, vectorEnd, end) = layout.Chunk(chunk, TSimd.Count);
        var widths = layout.Widths;
        var x = new ReadOnlySpan<float>(input, rows * widths[0]);
        var y = new Span<float>(output, rows * widths[layers]);
        if (layout.InputOffset(0) >= 0)
        {
            NarrowModel.ToFeatureMajor(x, Section(layout.InputOffset(0), widths[0]), widths[0], rows, start, end);
        }

        for (int l = 0; l < layers; l++)
        {
            ReadOnlySpan<float> a = layout.InputOffset(l) < 0 ? x : Section(layout.InputOffset(l), widths[l]);
            Span<float> z = l < layers - 1 ? Section(layout.InputOffset(l + 1), widths[l + 1])
                : layout.OutputOffset < 0 ? y : Section(layout.OutputOffset, widths[l + 1]);
            Span<float> derivative = layout.DerivativeOffset(l) < 0 ? default : Section(layout.DerivativeOffset(l), widths[l + 1]);
            var weight = new ReadOnlySpan<float>(parameters + layout.WeightOffset(l), widths[l] * widths[l + 1]);
            var bias = new ReadOnlySpan<float>(parameters + layout.BiasOffset(l), widths[l + 1]);
            NarrowModel.LayerForward<TActivations, TVec, TSimd>(l, weight, bias, a, z, derivative, widths[l], widths[l + 1], rows, start, vectorEnd);
            NarrowModel.LayerForward<TActivations, float, Scalar<float>>(l, weight, bias, a, z, derivative, widths[l], widths[l + 1], rows, vectorEnd, end);
        }

        if (layout.OutputOffset >= 0)
        {
            NarrowModel.ToRowMajor(Section(layout.OutputOffset, widths[layers]), y, widths[layers], rows, start, end);
        }
    }

    private Span<float> Section(int offset, int width) => new(buffer + offset, width * layout.Rows);
}

/// <summary>
/// The backward pass of <see cref="NarrowModel"/> over one chunk of rows: from the output's gradient down through
/// every layer, each chunk summing its own weight and bias gradients (lane by lane, then its scalar rows) into its
/// slice of <c>sums</c>, and writing the input's gradient when one is wanted.
/// </summary>
internal sealed unsafe class NarrowBackwardPass(NarrowLayout layout, float* input, float* saved, float* parameters, OutputGradient gradOutput,
    float* scratch, float* inputGradient, float[] sums) : IVectorWidthBody
{
    /// <summary>Floats of scratch memory the pass needs: three feature-major sections of the widest layer.</summary>
    public static int ScratchLength(NarrowLayout layout) => Math.Max(3 * layout.MaxWidth * layout.Rows, 1);

    /// <summary>
    /// Floats of <c>sums</c> per chunk: every parameter's lanes at the widest width, then its scalar sum, rounded up to
    /// whole cache lines plus one: two chunks never write the same line (each core keeps its own sums in its cache).
    /// </summary>
    public static int SumsPerChunk(NarrowLayout layout) => ((layout.ParameterCount * (MaxLanes + 1)) + 31) & ~15;

    private const int MaxLanes = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run<TVec, TSimd>(int chunk)
        where TVec : struct
        where TSimd : ISimd<TVec, float>
    {
        int rows = layout.Rows, layers = layout.Layers;
        var (start, vectorEnd, end) = layout.Chunk(chunk, TSimd.Count);
        var widths = layout.Widths;
        var chunkSums = sums.AsSpan(chunk * SumsPerChunk(layout), SumsPerChunk(layout));
        var vectorSums = chunkSums[..(layout.ParameterCount * TSimd.Count)];
        var scalarSums = chunkSums.Slice(layout.ParameterCount * MaxLanes, layout.ParameterCount);

        // The gradient flowing down lives in one of two scratch sections (or, at the top, in the output's gradient
        // itself when the model has one output): each layer reads one and writes the other. The third section holds
        // each layer's dz.
        int current = -1;
        ReadOnlySpan<float> g = new(gradOutput.Values, rows * widths[layers]);
        if (gradOutput.ClosedForm is { } closedForm)
        {
            // A loss's closed form fills this chunk's rows first. With one output, row-major is feature-major, so
            // they go straight to the first scratch section.
            var rowMajor = widths[layers] == 1 ? Scratch(0, 1) : new Span<float>(gradOutput.Values, rows * widths[layers]);
            closedForm.WriteRows(start, end, rowMajor);
            g = rowMajor;
            current = widths[layers] == 1 ? 0 : -1;
        }

        if (widths[layers] > 1)
        {
            current = 0;
            NarrowModel.ToFeatureMajor(g, Scratch(0, widths[layers]), widths[layers], rows, start, end);
            g = Scratch(0, widths[layers]);
        }

        for (int l = layers - 1; l >= 0; l--)
        {
            int inWidth = widths[l], outWidth = widths[l + 1];
            ReadOnlySpan<float> a = layout.InputOffset(l) < 0 ? new(input, rows) : Saved(layout.InputOffset(l), inWidth);
            ReadOnlySpan<float> derivative = layout.DerivativeOffset(l) < 0 ? default : Saved(layout.DerivativeOffset(l), outWidth);
            var weight = new ReadOnlySpan<float>(parameters + layout.WeightOffset(l), inWidth * outWidth);
            int next = current == 0 ? 1 : 0;
            Span<float> da = default;
            if (l > 0)
            {
                da = Scratch(next, inWidth);
            }
            else if (inputGradient is not null)
            {
                da = inWidth == 1 ? new Span<float>(inputGradient, rows) : Scratch(next, inWidth);
            }

            int parameterCount = (inWidth + 1) * outWidth;
            var layerVectorSums = vectorSums.Slice(layout.WeightOffset(l) * TSimd.Count, parameterCount * TSimd.Count);
            var layerScalarSums = scalarSums.Slice(layout.WeightOffset(l), parameterCount);
            var dz = Scratch(2, outWidth);
            NarrowModel.LayerBackward<TVec, TSimd>(weight, g, derivative, a, da, dz, layerVectorSums, inWidth, outWidth, rows, start, vectorEnd);
            NarrowModel.LayerBackward<float, Scalar<float>>(weight, g, derivative, a, da, dz, layerScalarSums, inWidth, outWidth, rows, vectorEnd, end);
            g = da;
            current = next;
        }

        if (inputGradient is not null && widths[0] > 1)
        {
            NarrowModel.ToRowMajor(g, new Span<float>(inputGradient, rows * widths[0]), widths[0], rows, start, end);
        }
    }

    /// <summary>Parameter <paramref name="k"/>'s gradient: the lanes and scalar sums of every chunk.</summary>
    public static float Total(NarrowLayout layout, float[] sums, int k, int lanes)
    {
        double total = 0;
        int perChunk = SumsPerChunk(layout);
        for (int c = 0; c < layout.Chunks; c++)
        {
            int vector = (c * perChunk) + (k * lanes);
            for (int lane = 0; lane < lanes; lane++)
            {
                total += sums[vector + lane];
            }

            total += sums[(c * perChunk) + (layout.ParameterCount * MaxLanes) + k];
        }

        return (float)total;
    }

    private ReadOnlySpan<float> Saved(int offset, int width) => new(saved + offset, width * layout.Rows);

    private Span<float> Scratch(int section, int width) => new(scratch + (section * layout.MaxWidth * layout.Rows), width * layout.Rows);
}

/// <summary>
/// The gradient the backward pass starts from, row-major: a tensor's elements, or — with <see cref="ClosedForm"/> —
/// a buffer of the same size that each chunk fills with its own rows of a loss's closed-form gradient first.
/// </summary>
internal readonly unsafe struct OutputGradient(float* values, ClosedFormGradient? closedForm)
{
    public float* Values { get; } = values;

    public ClosedFormGradient? ClosedForm { get; } = closedForm;
}
