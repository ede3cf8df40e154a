using System;
using Gradgen;
using Gradgen.Nn;

namespace Demo;

/// <summary>A user's activation, inlined into the kernel that applies it.</summary>
public static partial class Acts
{
    [Differentiable]
    public static float Swish(float x) => x / (1 + MathF.Exp(-x));
}

/// <summary>A residual block, a gate, a user activation and a log-softmax head: one tensor graph.</summary>
public sealed partial class GatedResidual : Module
{
    private readonly Linear inputLayer = new(8, 16), gate = new(16, 16), value = new(16, 16), head = new(16, 4);

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Relu(inputLayer.Forward(x));
        h = h + value.Forward(h) * Functional.Sigmoid(gate.Forward(h));
        return Functional.LogSoftmax(head.Forward(Acts.Swish(h)), -1);
    }
}
