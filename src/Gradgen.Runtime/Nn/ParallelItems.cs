using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// Runs the independent items of a layer kernel (the images of im2col, the channels of batch norm, the planes of
/// pooling) on Gradgen's worker threads when the work is large enough to gain from it
/// (<see cref="Elementwise.ParallelThreshold"/> elements), else in order on the calling thread.
/// </summary>
internal static class ParallelItems
{
    /// <summary>Runs <paramref name="body"/> for items 0 … <paramref name="items"/> − 1, which must not write to the same memory.</summary>
    /// <param name="items">The number of items.</param>
    /// <param name="elements">The elements touched in all, which decides whether to go parallel.</param>
    /// <param name="body">The work of one item.</param>
    public static void For(int items, long elements, Action<int> body)
    {
        int threads = elements >= Elementwise.ParallelThreshold ? Math.Min(Elementwise.MaxThreads, items) : 1;
        if (threads <= 1)
        {
            for (int i = 0; i < items; i++)
            {
                body(i);
            }

            return;
        }

        ChunkedParallel.Run(items, threads, body);
    }
}
