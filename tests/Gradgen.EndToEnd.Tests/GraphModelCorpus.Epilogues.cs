// Models whose elementwise steps the planner folds into the matrix products that feed them.
using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// Every kind of product epilogue the planner makes: a tanh whose derivative the rules write from its output (one
/// input), a residual add of a layer's output (two inputs, the layer's output second), a scale and shift of the last
/// layer's output (one input), and in the backward a sum of two gradients and GELU′ applied as the product that
/// carries the gradient writes it.
/// </summary>
public sealed partial class ProductEpilogues : Module
{
    private readonly Linear input, block, middle, head;

    /// <summary>6 → 16, a residual block, a GELU layer, → 4.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ProductEpilogues(DType dtype = DType.Float32)
    {
        input = new(6, 16, dtype: dtype);
        block = new(16, 16, dtype: dtype);
        middle = new(16, 12, dtype: dtype);
        head = new(12, 4, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Tanh(input.Forward(x));
        h = h + block.Forward(h);
        var u = Functional.Gelu(middle.Forward(h));
        return 0.5f * head.Forward(u) - 1;
    }
}
