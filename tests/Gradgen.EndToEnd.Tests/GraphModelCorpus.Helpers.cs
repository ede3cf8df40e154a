// A model whose Forward is factored into helper methods of its own class: the compiler inlines them.
using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// Forward calls helpers of the class: a residual block with a block body, a local and a reassigned parameter (called
/// twice, so its layer is shared), a helper that calls another, and a static helper with a numeric parameter given by
/// name or left to its default. All of it compiles into one graph.
/// </summary>
public sealed partial class HelperBlocks : Module
{
    private readonly Linear input, block, head;

    /// <summary>5 → 12, the same residual block twice, → 4.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public HelperBlocks(DType dtype = DType.Float32)
    {
        input = new(5, 12, dtype: dtype);
        block = new(12, 12, dtype: dtype);
        head = new(12, 4, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Residual(input.Forward(x));
        h = Residual(h);
        return Head(h);
    }

    private Tensor Residual(Tensor h)
    {
        var update = block.Forward(Functional.Tanh(h));
        h = h + Scaled(update, factor: 0.5f);
        return h;
    }

    private Tensor Head(Tensor h) => head.Forward(Scaled(Functional.Relu(h)));

    private static Tensor Scaled(Tensor t, float factor = 2f) => t * factor;
}
