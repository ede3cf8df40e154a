using Gradgen.Nn;

namespace Gradgen.Benchmarks.Distributed;

/// <summary>784 → 256 → 10 with ReLU, compiled by the generator (the model of docs/benchmarks.md section 3).</summary>
public sealed partial class MnistMlp : Module
{
    private readonly Linear hidden = new(784, 256);
    private readonly Linear output = new(256, 10);

    public override Tensor Forward(Tensor x) => output.Forward(Functional.Relu(hidden.Forward(x)));
}
