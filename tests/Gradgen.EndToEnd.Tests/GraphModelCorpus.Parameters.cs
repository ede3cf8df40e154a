// A custom layer with Parameter fields of its own (PyTorch's nn.Parameter), compiled into one graph.
using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// A hand-written affine layer and a per-feature gate from <c>Parameter</c> fields: <c>x.MatMul(weight)</c>, a scale
/// and shift broadcast over the rows, a parameter read twice, and one whose size the constructor's argument gives (a
/// symbol the compiler unifies with the head's input). Input [B, 6].
/// </summary>
public sealed partial class ParameterLayers : Module
{
    private readonly Parameter weight;
    private readonly Parameter scale;
    private readonly Parameter shift;
    private readonly Parameter gate;
    private readonly Linear head;

    /// <summary>6 → 8 by hand, a gate of <paramref name="width"/> = 8 features, → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    /// <param name="width">The hidden width (the gate's size).</param>
    public ParameterLayers(DType dtype = DType.Float32, int width = 8)
    {
        weight = new Parameter(Tensor.Randn([6, 8], dtype) * 0.4);
        scale = new Parameter(Tensor.Ones([8], dtype));
        shift = new Parameter(Tensor.Zeros([8], dtype) + 0.1);
        gate = new Parameter(Tensor.Randn([width], dtype));
        head = new(8, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Tanh(x.MatMul(weight)) * scale + shift;
        h = h * Functional.Sigmoid(gate) + h * scale;
        return head.Forward(h);
    }
}
