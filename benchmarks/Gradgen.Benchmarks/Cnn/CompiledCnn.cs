using Gradgen.Nn;

namespace Gradgen.Benchmarks.Cnn;

/// <summary>
/// The sample's <c>cnn</c> as a model class the generator compiles into one graph node: the same Sequential, held in
/// a field (its state-dict names are the Sequential's with <c>layers.</c> before them).
/// </summary>
public sealed partial class CompiledCnn : Module
{
    private readonly Sequential layers = new(
        new Conv2d(1, 16, 5, padding: 2), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 5, padding: 2), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(32 * 7 * 7, 128), new ReLU(), new Linear(128, 10));

    /// <summary>The logits of images [N, 1, 28, 28].</summary>
    public override Tensor Forward(Tensor x) => layers.Forward(x);
}

/// <summary>The sample's <c>cnn-bn</c> as a compiled model class (see <see cref="CompiledCnn"/>).</summary>
public sealed partial class CompiledCnnBatchNorm : Module
{
    private readonly Sequential layers = new(
        new Conv2d(1, 16, 5, padding: 2, bias: false), new BatchNorm2d(16), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 5, padding: 2, bias: false), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(32 * 7 * 7, 128), new ReLU(), new Linear(128, 10));

    /// <summary>The logits of images [N, 1, 28, 28].</summary>
    public override Tensor Forward(Tensor x) => layers.Forward(x);
}
