using Gradgen.Nn;

namespace Gradgen.Tutorial;

/// <summary>
/// The seed's multilayer perceptron, written as the seed writes it: one hidden layer and a sigmoid activation kept
/// as a module field (<c>self.activation = nn.Sigmoid()</c>). As in PyTorch, the layers are fields; Module registers
/// them under the fields' names, so the parameters are <c>hidden.weight</c>, <c>hidden.bias</c>,
/// <c>output.weight</c> and <c>output.bias</c>, and the printout shows <c>(activation): Sigmoid()</c>. The generator
/// still compiles <see cref="Forward"/> into the fused kernels: the activation module is the same sigmoid.
/// </summary>
public sealed partial class MultiLayerPerceptron : Module
{
    readonly Linear hidden, output;
    readonly Sigmoid activation = new();

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

    /// <summary>The activation (PyTorch's <c>model.activation</c>).</summary>
    public Sigmoid Activation => activation;

    /// <summary>The seed's <c>forward</c>: output(activation(hidden(x))).</summary>
    public override Tensor Forward(Tensor x) => output.Forward(activation.Forward(hidden.Forward(x)));
}
