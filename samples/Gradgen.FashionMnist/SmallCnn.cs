using Gradgen.Nn;

namespace Gradgen.FashionMnist;

/// <summary>
/// A small CNN for 28×28 images: two blocks of Conv2d (5×5, padding 2), ReLU and 2×2 max pooling (16 then 32
/// channels), then Flatten, Linear(32·7·7, 128), ReLU and Linear(128, 10). Eager and on the CPU. It stays a
/// <see cref="Sequential"/> so that its saved weights (<c>0.weight</c>, <c>3.weight</c>, …) load into PyTorch's
/// <c>nn.Sequential</c> of the same layers; the same network written as a model class compiles into one graph node
/// but trains no faster (the same kernels; docs/benchmarks.md §8.3).
/// </summary>
internal static class SmallCnn
{
    public static Sequential Create() => new(
        new Conv2d(1, 16, 5, padding: 2), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 5, padding: 2), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(32 * 7 * 7, 128), new ReLU(), new Linear(128, 10));
}
