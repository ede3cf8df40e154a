// Models whose Forward loops over layers held in a ModuleList: the graph compiler unrolls loops of constant count.
using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>Three residual blocks held in a ModuleList and applied by a foreach: x = x + tanh(block(x)), between two layers.</summary>
public sealed partial class StackedResidualBlocks : Module
{
    private readonly Linear input, head;
    private readonly ModuleList<Linear> blocks;

    /// <summary>6 → 16, three 16 → 16 residual blocks, → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public StackedResidualBlocks(DType dtype = DType.Float32)
    {
        input = new(6, 16, dtype: dtype);
        blocks = new(new Linear(16, 16, dtype: dtype), new Linear(16, 16, dtype: dtype), new Linear(16, 16, dtype: dtype));
        head = new(16, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        // The input reassigned, as PyTorch code does: x = layer(x).
        x = Functional.Relu(input.Forward(x));
        foreach (var block in blocks)
        {
            x = x + Functional.Tanh(block.Forward(x));
        }

        return head.Forward(x);
    }
}

/// <summary>
/// A counted loop over a ModuleList by index, the index also in the arithmetic (each layer's output scaled by 1/(i+1)),
/// and the last layer read as <c>layers[layers.Count - 1]</c>.
/// </summary>
public sealed partial class IndexedLayerLoop : Module
{
    private readonly ModuleList<Linear> layers;

    /// <summary>5 → 12 → 12 → 12 → 4, ReLU between.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public IndexedLayerLoop(DType dtype = DType.Float32) =>
        layers = new(new Linear(5, 12, dtype: dtype), new Linear(12, 12, dtype: dtype), new Linear(12, 12, dtype: dtype), new Linear(12, 4, dtype: dtype));

    public override Tensor Forward(Tensor x)
    {
        var h = x;
        for (int i = 0; i < layers.Count - 1; i++)
        {
            h = Functional.Relu(layers[i].Forward(h)) * (1.0f / (i + 1));
        }

        return layers[layers.Count - 1].Forward(h);
    }
}
