using Gradgen;
using Gradgen.Nn;

namespace Demo;

/// <summary>The seed's multilayer perceptron written with a Sequential field.</summary>
public sealed partial class SequentialPerceptron : Module
{
    private readonly Sequential body = new(new Linear(2, 2), new Sigmoid(), new Linear(2, 1));

    public override Tensor Forward(Tensor x) => body.Forward(x);
}
