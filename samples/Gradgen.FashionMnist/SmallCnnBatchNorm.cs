using Gradgen.Nn;

namespace Gradgen.FashionMnist;

/// <summary>
/// The small CNN with batch normalisation: two blocks of Conv2d (5×5, padding 2, no bias: BatchNorm2d's shift
/// replaces it), BatchNorm2d, ReLU and 2×2 max pooling (16 then 32 channels), then Flatten, Linear(32·7·7, 128), ReLU
/// and Linear(128, 10). Eager and on the CPU; in evaluation BatchNorm2d uses its running statistics, which the saved
/// weights include (<c>1.running_mean</c>, <c>1.running_var</c>, <c>1.num_batches_tracked</c>, …).
/// </summary>
internal static class SmallCnnBatchNorm
{
    public static Sequential Create() => new(
        new Conv2d(1, 16, 5, padding: 2, bias: false), new BatchNorm2d(16), new ReLU(), new MaxPool2d(2),
        new Conv2d(16, 32, 5, padding: 2, bias: false), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(32 * 7 * 7, 128), new ReLU(), new Linear(128, 10));
}
