using Gradgen;
using Gradgen.Nn;

namespace Demo;

/// <summary>The seed's multilayer perceptron.</summary>
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
