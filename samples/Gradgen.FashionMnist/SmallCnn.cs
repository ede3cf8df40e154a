using Gradgen.Nn;

namespace Gradgen.FashionMnist;

/// <summary>
/// A small CNN for 28×28 images: two blocks of Conv2d (5×5, padding 2), ReLU and 2×2 max pooling (16 then 32
/// channels), then Flatten, Linear(32·7·7, 128), ReLU and Linear(128, 10). Eager (Conv2d is not in the graph
/// compiler's op set yet) and on the CPU.
/// </summary>
internal static class SmallCnn
{
    public static Sequential Create() => new(
        new Conv2d(1, 16, 5, padding: 2), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 5, padding: 2), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(32 * 7 * 7, 128), new ReLU(), new Linear(128, 10));
}
