using Gradgen.Nn;

namespace Gradgen.Tutorial.Sections;

/// <summary>Section 12.4 of the seed: neural networks — Linear, activations, the multilayer perceptron, Sequential.</summary>
public static class NeuralNetworks
{
    /// <summary>Runs the section.</summary>
    public static void Run(Notebook nb)
    {
        RandomGenerator.ManualSeed(0);
        nb.Section("12.4 Building neural networks");
        nb.Say("On top of tensors and autograd, Gradgen.Nn has PyTorch's building blocks: the base class Module,");
        nb.Say("layers, activations and losses (Gradgen.Nn), and gradient-descent optimizers (Gradgen.Optim).");
        nb.Say("A network is a class deriving from Module: the constructor creates the layers (their parameters are");
        nb.Say("registered with the module), Forward(x) says how they connect. model.Call(x) is PyTorch's model(x): it");
        nb.Say("runs Forward, or the kernels the generator compiled for the class.");

        FullyConnected(nb);
        Activations(nb);
        Perceptron(nb);
    }

    static void FullyConnected(Notebook nb)
    {
        nb.Heading("12.4.1 Fully connected layer");
        nb.Say("A dense layer computes z = w·x + b, with weights w and biases b as parameters. Linear(3, 2) has 3 inputs");
        nb.Say("and 2 outputs; its weight has PyTorch's layout [out, in] = [2, 3] and, as in PyTorch, starts random.");
        var dense = new Linear(3, 2);
        nb.Code("var dense = new Linear(3, 2);");
        nb.Show("dense", dense);
        nb.Show("dense.Weight", dense.Weight);
        nb.Show("dense.Bias", dense.Bias);

        nb.Say("Evaluated on a batch of four inputs (one per row): the rows of the identity give the columns of w plus b,");
        nb.Say("and [1, 1, 1] gives the row sums plus b.");
        var data = Tensor.FromArray(new float[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 1, 1, 1 } });
        nb.Code("var data = Tensor.FromArray(new float[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 1, 1, 1 } });");
        nb.Show("dense.Call(data)", dense.Call(data));
        nb.Show("dense.Forward(data)", dense.Forward(data));
        nb.Say("Layers are Modules too, so modules can contain other modules.");
    }

    static void Activations(Notebook nb)
    {
        nb.Heading("12.4.2 Activation functions");
        nb.Say("The usual activations are Modules in Gradgen.Nn (and functions in Gradgen.Nn.Functional):");
        var data = Tensor.Linspace(-5, 5, steps: 100);
        nb.Code("var data = Tensor.Linspace(-5, 5, steps: 100);");
        var probe = Tensor.FromArray(new float[] { -2, 0, 2 });
        nb.Code("var probe = Tensor.FromArray(new float[] { -2, 0, 2 });");
        foreach (var (name, activation) in new (string, Module)[] { ("Sigmoid", new Sigmoid()), ("ReLU", new ReLU()), ("Tanh", new Tanh()) })
        {
            nb.Code($"var activation = new {name}();");
            nb.Show("activation.Call(probe)", activation.Call(probe));
            nb.Plot($"12.4-activation-{name.ToLowerInvariant()}.png", name, data, (name, activation.Call(data)));
        }
    }

    static void Perceptron(Notebook nb)
    {
        nb.Heading("12.4.3 A multilayer perceptron");
        nb.Say("The seed's perceptron with one hidden layer and a sigmoid activation (MultiLayerPerceptron.cs):");
        nb.Say("    public sealed partial class MultiLayerPerceptron : Module");
        nb.Say("    {");
        nb.Say("        readonly Linear hidden, output;");
        nb.Say("        public MultiLayerPerceptron(int inputDim, int hiddenDim, int outputDim)");
        nb.Say("        {");
        nb.Say("            hidden = new(inputDim, hiddenDim);");
        nb.Say("            output = new(hiddenDim, outputDim);");
        nb.Say("        }");
        nb.Say("        public override Tensor Forward(Tensor x) => output.Forward(Functional.Sigmoid(hidden.Forward(x)));");
        nb.Say("    }");
        nb.Say("Creating the Linear layers registers their parameters weight and bias; initially they are random.");
        var model = new MultiLayerPerceptron(inputDim: 2, outputDim: 1, hiddenDim: 2);
        nb.Code("var model = new MultiLayerPerceptron(inputDim: 2, outputDim: 1, hiddenDim: 2);");
        nb.Show("model", model);
        nb.Show("(model.Hidden.Weight, model.Hidden.Bias)", (model.Hidden.Weight, model.Hidden.Bias));
        nb.Show("(model.Output.Weight, model.Output.Bias)", (model.Output.Weight, model.Output.Bias));
        nb.Code("foreach (var (name, p) in model.NamedParameters()) Console.WriteLine($\"{name} {p.Shape}\");");
        foreach (var (name, p) in model.NamedParameters())
        {
            nb.Say($"{name} {p.Shape}");
        }

        nb.Say("The model is evaluated on a batch of data with Call (PyTorch's model(X)):");
        var X = (10 * Tensor.Rand(10000, 2)) - 5;
        nb.Code("var X = 10 * Tensor.Rand(10000, 2) - 5;");
        var Y = model.Call(X);
        nb.Code("var Y = model.Call(X);");
        nb.Show("(X.Shape, Y.Shape)", (X.Shape, Y.Shape));
        nb.Show("X", X);
        nb.Show("Y", Y);

        nb.Heading("The Sequential form");
        nb.Say("PyTorch's more functional way to build the same model is Sequential: more concise, less reusable.");
        var sequential = new Sequential(new Linear(2, 2), new Sigmoid(), new Linear(2, 1));
        nb.Code("var sequential = new Sequential(new Linear(2, 2),\n                                new Sigmoid(),\n                                new Linear(2, 1));");
        nb.Show("sequential", sequential);
        nb.Show("sequential.NamedParameters().Select(p => p.Name)", sequential.NamedParameters().Select(p => p.Name));

        nb.Say("It is the same function: with the perceptron's weights loaded (Sequential names its children 0, 1, 2),");
        nb.Say("it gives the same outputs.");
        var weights = model.StateDict().ToDictionary(
            e => e.Key.Replace("hidden.", "0.", StringComparison.Ordinal).Replace("output.", "2.", StringComparison.Ordinal),
            e => e.Value);
        sequential.LoadStateDict(weights);
        nb.Code("sequential.LoadStateDict(model.StateDict().ToDictionary(\n"
            + "    e => e.Key.Replace(\"hidden.\", \"0.\").Replace(\"output.\", \"2.\"), e => e.Value));");
        var Y2 = sequential.Call(X);
        nb.Code("var Y2 = sequential.Call(X);");
        nb.Show("Y2.Shape", Y2.Shape);
        nb.Show("(Y2 - Y).Abs().Max()", (Y2 - Y).Abs().Max());
    }
}
