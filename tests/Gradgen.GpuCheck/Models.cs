using Gradgen.Nn;

namespace Gradgen.GpuCheck;

/// <summary>
/// The seed's MLP (2 → 2 → 1 with a sigmoid), as the tutorial writes it; <c>partial</c>, so the generator compiles it.
/// On a GPU its generated <c>CallCompiled</c> declines (the compiled kernels are CPU kernels) and <c>Call</c> runs
/// <see cref="Forward"/> on the device, op by op: one GEMM with the bias fused per layer and the sigmoid kernel.
/// </summary>
public sealed partial class SeedMlp : Module
{
    private readonly Linear hidden = new(2, 2);
    private readonly Linear output = new(2, 1);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => output.Forward(Functional.Sigmoid(hidden.Forward(x)));
}

/// <summary>784 → 256 → 10 with ReLU, trained with cross-entropy: the larger MLP step.</summary>
public sealed partial class MnistMlp : Module
{
    private readonly Linear hidden = new(784, 256);
    private readonly Linear output = new(256, 10);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => output.Forward(Functional.Relu(hidden.Forward(x)));
}
