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

/// <summary>
/// PyTorch's quickstart model, 784-512-512-10 with ReLU (issue 10's benchmark): a Linear chain, so on a GPU it runs the
/// Linear-chain device path (fused GEMMs, one node).
/// </summary>
public sealed partial class QuickstartMlp : Module
{
    private readonly Linear l1 = new(784, 512);
    private readonly Linear l2 = new(512, 512);
    private readonly Linear l3 = new(512, 10);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => l3.Forward(Functional.Relu(l2.Forward(Functional.Relu(l1.Forward(x)))));
}

/// <summary>
/// 784 → 512, two pre-norm residual blocks <c>h + Linear(GELU(LayerNorm(h)))</c>, → 10 (issue 10's benchmark): compiled
/// as a tensor graph, so on a GPU it runs the graph's device plan — its generated CUDA C kernels launched from
/// <c>ResidualLayerNormMlpGraphCudaSource</c>, products and reductions as device operations, one node.
/// </summary>
public sealed partial class ResidualLayerNormMlp : Module
{
    private readonly Linear inp = new(784, 512);
    private readonly LayerNorm norm1 = new(512);
    private readonly Linear fc1 = new(512, 512);
    private readonly LayerNorm norm2 = new(512);
    private readonly Linear fc2 = new(512, 512);
    private readonly Linear output = new(512, 10);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var h = inp.Forward(x);
        h = h + fc1.Forward(Functional.Gelu(norm1.Forward(h)));
        h = h + fc2.Forward(Functional.Gelu(norm2.Forward(h)));
        return output.Forward(h);
    }
}

/// <summary>
/// A small CNN on 1×28×28 images: two 3×3 convolutions (1 → 8 → 16 channels, padding 1) each with ReLU and 2×2 max
/// pooling, then 784 → 10. On a GPU its convolutions and poolings are the device compositions (Nn/DeviceWindows.cs:
/// one gather of every window's taps, batched GEMMs, a maximum with indices), never run on a GPU before.
/// </summary>
public sealed partial class SmallCnn : Module
{
    private readonly Conv2d conv1 = new(1, 8, 3, padding: 1);
    private readonly Conv2d conv2 = new(8, 16, 3, padding: 1);
    private readonly MaxPool2d pool = new(2);
    private readonly Linear output = new(16 * 7 * 7, 10);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        var h = pool.Forward(Functional.Relu(conv1.Forward(x)));
        h = pool.Forward(Functional.Relu(conv2.Forward(h)));
        return output.Forward(h.Flatten(1));
    }
}
