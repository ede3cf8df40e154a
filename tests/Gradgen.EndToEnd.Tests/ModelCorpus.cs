using Gradgen.Nn;

namespace Gradgen.EndToEnd.Tests;

/// <summary>The seed's MultiLayerPerceptron, as a user writes it: the generator compiles it.</summary>
public sealed partial class MultiLayerPerceptron : Module
{
    private readonly Linear hidden, output;

    public MultiLayerPerceptron(int input, int hiddenDim, int outputDim)
    {
        hidden = new(input, hiddenDim);
        output = new(hiddenDim, outputDim);
    }

    public override Tensor Forward(Tensor x) => output.Forward(Functional.Sigmoid(hidden.Forward(x)));
}

/// <summary>MNIST-sized, ReLU written as a method call, sizes known at compile time.</summary>
public sealed partial class MnistMlp : Module
{
    private readonly Linear l1 = new(784, 256);
    private readonly Linear l2 = new(256, 10);

    public override Tensor Forward(Tensor x)
    {
        var h = l1.Forward(x).Relu();
        return l2.Forward(h);
    }
}

/// <summary>Activation modules as fields, three layers, an activation on the output.</summary>
public sealed partial class TanhNet : Module
{
    private readonly Linear a = new(3, 5), b = new(5, 4), c = new(4, 2);
    private readonly Tanh tanh = new();
    private readonly Sigmoid sigmoid = new();

    public override Tensor Forward(Tensor x) => sigmoid.Call(c.Forward(tanh.Forward(b.Forward(tanh.Forward(a.Forward(x))))));
}

/// <summary>Branches on a tensor's value, which is not static: Call falls back to Forward (GG0016, Info).</summary>
public sealed partial class ScaledNet : Module
{
    private readonly Linear l = new(2, 2);

#pragma warning disable GG0016 // Deliberately not compiled: the test checks the eager fallback.
    public override Tensor Forward(Tensor x)
    {
        var y = l.Forward(x);
        if (y.Sum().Item<float>() > 0)
        {
            y = y * 2;
        }

        return y;
    }
#pragma warning restore GG0016
}

/// <summary>Narrow layers (every width ≤ 16) with a layer that has no activation between two that do.</summary>
public sealed partial class NarrowMixed : Module
{
    private readonly Linear a = new(4, 3), b = new(3, 16), c = new(16, 5);

    public override Tensor Forward(Tensor x) => Functional.Sigmoid(c.Forward(Functional.Relu(b.Forward(a.Forward(x)))));
}

/// <summary>Narrow layers built without a bias, next to one with: the narrow path adds none where there is none.</summary>
public sealed partial class NarrowWithoutBias : Module
{
    private readonly Linear a = new(3, 5, bias: false), b = new(5, 4), c = new(4, 2, bias: false);

    public override Tensor Forward(Tensor x) => c.Forward(Functional.Tanh(b.Forward(Functional.Relu(a.Forward(x)))));
}

/// <summary>A hidden layer of 17 features: one too wide for the narrow path, so it runs as matrix products.</summary>
public sealed partial class WideHidden : Module
{
    private readonly Linear hidden = new(2, 17), output = new(17, 1);

    public override Tensor Forward(Tensor x) => output.Forward(Functional.Tanh(hidden.Forward(x)));
}

/// <summary>The seed's perceptron with its layers in a Sequential field: the generator compiles through it.</summary>
public sealed partial class SequentialPerceptron : Module
{
    private readonly Sequential body = new(new Linear(2, 2), new Sigmoid(), new Linear(2, 1));

    /// <summary>The Sequential, for the tests that change it.</summary>
    public Sequential Body => body;

    public override Tensor Forward(Tensor x) => body.Forward(x);
}

/// <summary>A Sequential of MNIST size between a Linear field and an activation: the matrix-product path.</summary>
public sealed partial class SequentialMnist : Module
{
    private readonly Sequential features = new(new Linear(784, 64), new ReLU());
    private readonly Linear classifier = new(64, 10);

    public override Tensor Forward(Tensor x) => classifier.Forward(features.Call(x));
}

/// <summary>A compiled model used as a field of another.</summary>
public sealed partial class Encoder : Module
{
    private readonly Linear l1 = new(3, 8);
    private readonly Linear l2 = new(8, 4);

    public override Tensor Forward(Tensor x) => Functional.Tanh(l2.Forward(Functional.Relu(l1.Forward(x))));
}

/// <summary>A compiled model holding another compiled model and a Sequential: both inlined into one chain.</summary>
public sealed partial class EncoderClassifier : Module
{
    private readonly Encoder encoder = new();
    private readonly Sequential head = new(new Linear(4, 4), new Sigmoid(), new Linear(4, 2));

    /// <summary>The nested model, for the test that swaps a layer of its Sequential.</summary>
    public Sequential Head => head;

    public override Tensor Forward(Tensor x) => head.Forward(encoder.Call(x));
}

/// <summary>A narrow model of one input feature: the first layer's whole z is one multiply-add per row.</summary>
public sealed partial class SingleInputNet : Module
{
    private readonly Linear a = new(1, 4), b = new(4, 1);

    public override Tensor Forward(Tensor x) => b.Forward(Functional.Tanh(a.Forward(x)));
}
