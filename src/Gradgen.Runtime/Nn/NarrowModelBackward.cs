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
    private ClosedFormGradient? closedForm;

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

    // A loss's gradient in closed form is computed row by row in the backward pass, where g would have been read.
    internal override bool AcceptClosedFormGradient(ClosedFormGradient gradient)
    {
        if (saved is null || gradient.Rows != layout.Rows || gradient.Width != layout.Widths[^1])
        {
            return false;
        }

        closedForm = gradient;
        return true;
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

        var offered = closedForm is { } offer && ReferenceEquals(grad, offer.Placeholder) ? offer : null;
        closedForm = null;

        // The gradient, row-major: the incoming tensor's elements, or a buffer the pass fills from the closed form.
        var g = offered is not null ? null : grad.DType == DType.Float32 ? grad.ContiguousData() : grad.ToDTypeData(DType.Float32);
        float[]? rows = offered is not null && layout.Widths[^1] > 1 ? ArrayPool<float>.Shared.Rent(layout.Rows * layout.Widths[^1]) : null;
        var dx = Needs(0) ? Tensor.Empty(DType.Float32, [layout.Rows, layout.Widths[0]]) : null;
        float[] scratch = ArrayPool<float>.Shared.Rent(NarrowBackwardPass.ScratchLength(layout));
        var sums = new float[layout.Chunks * NarrowBackwardPass.SumsPerChunk(layout)];
        try
        {
            fixed (float* xs = x.Elements<float>(), ss = buffer, ps = parameters, gs = g is null ? rows : g.Elements<float>(), scr = scratch)
            fixed (float* dxs = dx is null ? default : dx.Elements<float>())
            {
                var top = new OutputGradient(gs, offered);
                var pass = new NarrowBackwardPass(layout, xs, ss, ps, top, scr, dx is null ? null : dxs, sums);
                layout.ForEachChunk(chunk => NarrowModel.AtVectorWidth(pass, chunk));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
            if (rows is not null)
            {
                ArrayPool<float>.Shared.Return(rows);
            }
        }

        GC.KeepAlive(x);
        GC.KeepAlive(g);

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
        closedForm = null;
        input.Release();
        saved?.Return();
        saved = null;
    }
}
