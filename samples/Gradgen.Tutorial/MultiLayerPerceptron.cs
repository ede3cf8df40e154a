using Gradgen.Nn;

namespace Gradgen.Tutorial;

/// <summary>
/// The seed's multilayer perceptron: one hidden layer with a sigmoid activation. As in PyTorch, the layers are
/// fields; Module registers them under the fields' names, so the parameters are <c>hidden.weight</c>,
/// <c>hidden.bias</c>, <c>output.weight</c> and <c>output.bias</c>.
/// </summary>
public sealed partial class MultiLayerPerceptron : Module
{
    readonly Linear hidden, output;

    /// <summary>The seed's <c>MultiLayerPerceptron(input_dim, hidden_dim, output_dim)</c>.</summary>
    public MultiLayerPerceptron(int inputDim, int hiddenDim, int outputDim)
    {
        hidden = new(inputDim, hiddenDim);
        output = new(hiddenDim, outputDim);
    }

    /// <summary>The hidden layer (PyTorch's <c>model.hidden</c>).</summary>
    public Linear Hidden => hidden;

    /// <summary>The output layer (PyTorch's <c>model.output</c>).</summary>
    public Linear Output => output;

    /// <summary>The seed's <c>forward</c>: output(sigmoid(hidden(x))).</summary>
    public override Tensor Forward(Tensor x) => output.Forward(Functional.Sigmoid(hidden.Forward(x)));
}
