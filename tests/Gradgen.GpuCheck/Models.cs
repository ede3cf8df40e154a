using Gradgen.Nn;

namespace Gradgen.GpuCheck;

/// <summary>
/// The seed's MLP (2 → 2 → 1 with a sigmoid), as the tutorial writes it; <c>partial</c>, so the generator compiles it.
/// On a GPU its generated <c>CallCompiled</c> runs the device path: one GEMM per layer with the bias and sigmoid fused,
/// and a backward whose product into the hidden layer applies the generated sigmoid′ as its epilogue.
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
