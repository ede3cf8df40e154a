using Gradgen.Nn;

namespace Gradgen.Distributed.Sample;

/// <summary>The seed's <c>MultiLayerPerceptron</c> (2-2-1 with a sigmoid), compiled by the generator.</summary>
public sealed partial class MultiLayerPerceptron : Module
{
    private readonly Linear hidden, output;
    private readonly Sigmoid activation = new();

    public MultiLayerPerceptron(int inputDim, int hiddenDim, int outputDim)
    {
        hidden = new(inputDim, hiddenDim);
        output = new(hiddenDim, outputDim);
    }

    public override Tensor Forward(Tensor x) => output.Forward(activation.Forward(hidden.Forward(x)));
}

/// <summary>784 → 256 → 10 with ReLU, compiled by the generator.</summary>
public sealed partial class MnistMlp : Module
{
    private readonly Linear hidden = new(784, 256);
    private readonly Linear output = new(256, 10);

    public override Tensor Forward(Tensor x) => output.Forward(Functional.Relu(hidden.Forward(x)));
}
