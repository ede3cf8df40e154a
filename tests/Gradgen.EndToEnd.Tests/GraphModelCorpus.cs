using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

// The corpus of the graph model compiler: each class is a model a user writes, whose Forward is built from tensor
// operations beyond a chain of Linear layers and activations. Until the compiler compiles them, Call runs Forward
// (GG0016, Info). Every class takes its parameters' dtype so that the float64 gradient check can build it in
// Float64; the sizes are small so that the check's central differences over every parameter stay cheap.
// The seed MLP, the MNIST MLP, a Sequential model and a nested model are the classes of ModelCorpus.cs.

/// <summary>A user scalar function whose generated tensor overload (<c>Acts.Swish(tensor)</c>, one <c>SwishBackward</c> node) is used in a model.</summary>
public static partial class Acts
{
    /// <summary>x·σ(x) written out: x / (1 + e^−x).</summary>
    /// <param name="x">The pre-activation.</param>
    [Differentiable]
    public static float Swish(float x) => x / (1 + MathF.Exp(-x));
}

/// <summary>A residual add: one activation used twice, once through a layer and once directly (a value with two consumers).</summary>
public sealed partial class ResidualMlp : Module
{
    private readonly Linear l1, l2, l3;

    /// <summary>8 → 32 → (32 + residual) → 4.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ResidualMlp(DType dtype = DType.Float32)
    {
        l1 = new(8, 32, dtype: dtype);
        l2 = new(32, 32, dtype: dtype);
        l3 = new(32, 4, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Relu(l1.Forward(x));
        return l3.Forward(h + Functional.Relu(l2.Forward(h)));
    }
}

/// <summary>A gated linear unit: the product of two activations of the same input (a tensor-tensor multiply), then a layer.</summary>
public sealed partial class GatedUnit : Module
{
    private readonly Linear a, b, output;

    /// <summary>6 → 16 (gated) → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public GatedUnit(DType dtype = DType.Float32)
    {
        a = new(6, 16, dtype: dtype);
        b = new(6, 16, dtype: dtype);
        output = new(16, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x) => output.Forward(a.Forward(x) * Functional.Sigmoid(b.Forward(x)));
}

/// <summary>A user [Differentiable] scalar function applied to a layer's output through its generated tensor overload.</summary>
public sealed partial class UserActivationNet : Module
{
    private readonly Linear l1, l2;

    /// <summary>5 → 12 (Swish) → 2.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public UserActivationNet(DType dtype = DType.Float32)
    {
        l1 = new(5, 12, dtype: dtype);
        l2 = new(12, 2, dtype: dtype);
    }

    public override Tensor Forward(Tensor x) => l2.Forward(Acts.Swish(l1.Forward(x)));
}

/// <summary>A log-softmax on the output (a reduction along the last dimension inside the model).</summary>
public sealed partial class LogSoftmaxHead : Module
{
    private readonly Linear hidden, output;

    /// <summary>10 → 24 (tanh) → 5 (log-softmax).</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public LogSoftmaxHead(DType dtype = DType.Float32)
    {
        hidden = new(10, 24, dtype: dtype);
        output = new(24, 5, dtype: dtype);
    }

    public override Tensor Forward(Tensor x) => Functional.LogSoftmax(output.Forward(Functional.Tanh(hidden.Forward(x))), -1);
}

/// <summary>One square layer applied twice: its weight and bias gradients are the sums of two uses.</summary>
public sealed partial class SharedLayerTwice : Module
{
    private readonly Linear l;

    /// <summary>9 → 9 (ReLU) → 9 through the same layer.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public SharedLayerTwice(DType dtype = DType.Float32) => l = new(9, 9, dtype: dtype);

    public override Tensor Forward(Tensor x) => l.Forward(Functional.Relu(l.Forward(x)));
}

/// <summary>Two branches of different widths concatenated along the features (<c>Tensor.Cat</c>), then a layer.</summary>
public sealed partial class TwoBranchCat : Module
{
    private readonly Linear a, b, head;

    /// <summary>7 → [10 (ReLU) | 6 (tanh)] → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public TwoBranchCat(DType dtype = DType.Float32)
    {
        a = new(7, 10, dtype: dtype);
        b = new(7, 6, dtype: dtype);
        head = new(16, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x) => head.Forward(Tensor.Cat([Functional.Relu(a.Forward(x)), Functional.Tanh(b.Forward(x))], -1));
}

/// <summary>A 3-D input [B, T, F]: a layer on the last dimension of every step, then the mean over the steps (a reduction over dimension 1).</summary>
public sealed partial class SequencePooling : Module
{
    /// <summary>The number of steps T of the input [B, T, 6].</summary>
    public const int Steps = 5;

    private readonly Linear step, head;

    /// <summary>[B, T, 6] → [B, T, 12] (ReLU) → mean over T → [B, 3].</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public SequencePooling(DType dtype = DType.Float32)
    {
        step = new(6, 12, dtype: dtype);
        head = new(12, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x) => head.Forward(Functional.Relu(step.Forward(x)).Mean(1));
}

/// <summary>Scalar arithmetic on activations (<c>0.5·h + 1</c>, <c>h / 3</c>) and elementwise Abs, Sqrt, Clamp and Exp between layers.</summary>
public sealed partial class ScaledAndShifted : Module
{
    private readonly Linear l1, l2;

    /// <summary>4 → 10 (arithmetic) → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ScaledAndShifted(DType dtype = DType.Float32)
    {
        l1 = new(4, 10, dtype: dtype);
        l2 = new(10, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = l1.Forward(x);
        var shifted = (0.5f * h) + 1;
        var third = h / 3;
        return l2.Forward((shifted.Abs() + 1).Sqrt() + third.Clamp(-0.25, 0.25).Exp());
    }
}

/// <summary>
/// Single-head attention without masking over [B, T, F]: the batched product of two activations
/// (<c>q·kᵀ</c> with a transposed view), a softmax along the last dimension, and its product with a third.
/// </summary>
public sealed partial class SoftmaxAttentionLite : Module
{
    /// <summary>The number of steps T of the input [B, T, 16].</summary>
    public const int Steps = 4;

    private readonly Linear q, k, v;

    /// <summary>[B, T, 16] → [B, T, 16].</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public SoftmaxAttentionLite(DType dtype = DType.Float32)
    {
        q = new(16, 16, dtype: dtype);
        k = new(16, 16, dtype: dtype);
        v = new(16, 16, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var s = q.Forward(x).MatMul(k.Forward(x).Transpose(-1, -2)) / 4;
        return Functional.Softmax(s, -1).MatMul(v.Forward(x));
    }
}

/// <summary>Shape operations between layers: Reshape and View to [B, 4, 6], Narrow of the last dimension, Flatten back to [B, 16].</summary>
public sealed partial class ReshapeNarrow : Module
{
    private readonly Linear l1, l2;

    /// <summary>12 → 24 (ReLU) → [B, 4, 6] → [B, 4, 4] → 16 → 3.</summary>
    /// <param name="dtype">The parameters' dtype.</param>
    public ReshapeNarrow(DType dtype = DType.Float32)
    {
        l1 = new(12, 24, dtype: dtype);
        l2 = new(16, 3, dtype: dtype);
    }

    public override Tensor Forward(Tensor x)
    {
        var h = Functional.Relu(l1.Forward(x)).Reshape(-1, 24).View(-1, 4, 6);
        return l2.Forward(h.Narrow(2, 1, 4).Flatten(1));
    }
}
