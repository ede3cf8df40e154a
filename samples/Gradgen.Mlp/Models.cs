using Gradgen.Nn;

namespace Gradgen.Mlp;

/// <summary>
/// The seed's <c>MultiLayerPerceptron</c> (section 12.4 of the tutorial): two <see cref="Linear"/> layers with a
/// sigmoid between. The class is <c>partial</c>, so the source generator compiles it: <see cref="Module.Call"/> runs
/// one fused matrix product per layer and one graph node whose backward was generated, while
/// <see cref="Forward"/> stays the definition, run eagerly op by op.
/// </summary>
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

/// <summary>An MLP of MNIST size, 784 → 256 → 10 with ReLU, compiled by the generator like the one above.</summary>
public sealed partial class MnistMlp : Module
{
    private readonly Linear hidden = new(784, 256);
    private readonly Linear output = new(256, 10);

    public override Tensor Forward(Tensor x) => output.Forward(Functional.Relu(hidden.Forward(x)));
}
