using Gradgen.Nn;

namespace Gradgen.FashionMnist;

/// <summary>
/// PyTorch's quickstart network: nn.Flatten, then Linear(784, 512), ReLU, Linear(512, 512), ReLU, Linear(512, 10).
/// The flattening happens on the batch before the call (a view); the generator compiles the rest into fused kernels.
/// </summary>
public sealed partial class QuickstartMlp : Module
{
    private readonly Linear l1 = new(28 * 28, 512);
    private readonly Linear l2 = new(512, 512);
    private readonly Linear l3 = new(512, 10);

    /// <summary>The logits of flattened images [batch, 784].</summary>
    public override Tensor Forward(Tensor x) => l3.Forward(l2.Forward(l1.Forward(x).Relu()).Relu());
}
