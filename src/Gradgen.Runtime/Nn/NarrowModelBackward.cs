using System.Buffers;

namespace Gradgen.Nn;

/// <summary>
/// The one graph node of a compiled model run by <see cref="NarrowModel"/>: its backward is one pass over the rows
/// (<see cref="NarrowBackwardPass"/>) that yields the input's gradient and every weight and bias gradient at once.
/// </summary>
internal sealed class NarrowModelBackward : GradFn
{
    private readonly string name;
    private readonly NarrowLayout layout;
    private readonly float[] parameters;
    private readonly int[] inputShape;
    private readonly (int Weight, int Bias)[] slots;
    private SavedTensor input;
    private readonly SavedTensor[] weights;
    private SavedBuffer? saved;
    private SquaredErrorGradient? squaredError;

    public NarrowModelBackward(string name, Tensor[] inputs, NarrowLayout layout, Tensor preparedInput, Linear[] layers, float[] parameters, SavedBuffer saved)
    {
        this.name = name;
        this.layout = layout;
        this.parameters = parameters;
        this.saved = saved;
        inputShape = inputs[0].Shape.ToArray();
        input = Save(preparedInput);
        weights = new SavedTensor[layers.Length];
        slots = new (int, int)[layers.Length];
        int slot = 1;
        for (int l = 0; l < layers.Length; l++)
        {
            weights[l] = Save(layers[l].Weight);
            slots[l] = (slot, layers[l].Bias is null ? -1 : slot + 1);
            slot += layers[l].Bias is null ? 1 : 2;
        }

        SetInputs(inputs);
    }

    public override string Name => name;

    // The loss's gradient scale·(y − t) is computed row by row in the backward pass, where g would have been read.
    internal override Tensor? AcceptSquaredErrorGradient(Tensor output, Tensor target, float scale)
    {
        if (saved is null || output.NumElements != layout.Rows * layout.Widths[^1] || target.NumElements != output.NumElements)
        {
            return null;
        }

        squaredError = new SquaredErrorGradient(output, target, scale, Tensor.Zeros([]).Expand(outputShape));
        return squaredError.Placeholder;
    }

    internal override unsafe void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var buffer = saved?.Array ?? throw FreedError();

        // As PyTorch's linear layers do, refuse a weight changed in place since forward (an optimizer step taken
        // before backward): the gradient would belong to weights that no longer exist.
        var x = input.Get(this);
        foreach (var weight in weights)
        {
            weight.Get(this);
        }

        var residual = squaredError is { } offer && ReferenceEquals(grad, offer.Placeholder) ? offer : null;
        squaredError = null;
        var g = residual is not null ? residual.Output : grad.DType == DType.Float32 ? grad.ContiguousData() : grad.ToDTypeData(DType.Float32);
        var t = residual?.Target ?? g;
        var dx = Needs(0) ? Tensor.Empty(DType.Float32, [layout.Rows, layout.Widths[0]]) : null;
        float[] scratch = ArrayPool<float>.Shared.Rent(NarrowBackwardPass.ScratchLength(layout));
        var sums = new float[layout.Chunks * NarrowBackwardPass.SumsPerChunk(layout)];
        try
        {
            fixed (float* xs = x.Elements<float>(), ss = buffer, ps = parameters, gs = g.Elements<float>(), ts = t.Elements<float>(), scr = scratch)
            fixed (float* dxs = dx is null ? default : dx.Elements<float>())
            {
                var top = residual is null ? new OutputGradient(gs) : new OutputGradient(gs, ts, residual.Scale);
                var pass = new NarrowBackwardPass(layout, xs, ss, ps, top, scr, dx is null ? null : dxs, sums);
                layout.ForEachChunk(chunk => NarrowModel.AtVectorWidth(pass, chunk));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }

        GC.KeepAlive(x);
        GC.KeepAlive(g);
        GC.KeepAlive(t);

        if (dx is not null)
        {
            inputGrads[0] = dx.Reshape(inputShape);
        }

        int lanes = NarrowModel.Lanes;
        for (int l = 0; l < layout.Layers; l++)
        {
            var (weightSlot, biasSlot) = slots[l];
            if (Needs(weightSlot))
            {
                inputGrads[weightSlot] = Gradient(layout.WeightOffset(l), [layout.Widths[l + 1], layout.Widths[l]], sums, lanes);
            }

            if (biasSlot >= 0 && Needs(biasSlot))
            {
                inputGrads[biasSlot] = Gradient(layout.BiasOffset(l), [layout.Widths[l + 1]], sums, lanes);
            }
        }
    }

    private Tensor Gradient(int offset, int[] shape, float[] sums, int lanes)
    {
        var result = Tensor.Empty(DType.Float32, shape);
        var values = result.Elements<float>();
        for (int k = 0; k < values.Length; k++)
        {
            values[k] = NarrowBackwardPass.Total(layout, sums, offset + k, lanes);
        }

        return result;
    }

    // The saved activations go back to the pool with the graph, as PyTorch frees saved tensors.
    internal override void ReleaseSaved()
    {
        squaredError = null;
        input.Release();
        saved?.Return();
        saved = null;
    }
}

/// <summary>A squared-error loss's gradient offered to the model (<see cref="GradFn.AcceptSquaredErrorGradient"/>).</summary>
internal sealed record SquaredErrorGradient(Tensor Output, Tensor Target, float Scale, Tensor Placeholder);
