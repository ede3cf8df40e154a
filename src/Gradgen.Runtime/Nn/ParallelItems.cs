using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// Runs the independent items of a layer kernel (the images of im2col and of a convolution, the channels of batch
/// norm, the planes of pooling) on Gradgen's worker threads when the work is large enough to gain from it
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
        int threads = Chunks(items, elements);
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

    /// <summary>How many threads, and so contiguous chunks of items, <see cref="ForChunks"/> should use for this work.</summary>
    /// <param name="items">The number of items.</param>
    /// <param name="elements">The elements touched in all.</param>
    public static int Chunks(int items, long elements) =>
        elements >= Elementwise.ParallelThreshold ? Math.Max(1, Math.Min(Elementwise.MaxThreads, items)) : 1;

    /// <summary>
    /// Runs <paramref name="body"/>(chunk, first, end) for <paramref name="chunks"/> contiguous ranges [first, end) of
    /// items 0 … <paramref name="items"/> − 1, one thread each: for work that keeps a partial result per chunk
    /// (a weight gradient summed over images) and reuses a buffer from one item to the next.
    /// </summary>
    /// <param name="items">The number of items.</param>
    /// <param name="chunks">The number of ranges, from <see cref="Chunks"/>.</param>
    /// <param name="body">The work of one range.</param>
    public static void ForChunks(int items, int chunks, Action<int, int, int> body) =>
        ChunkedParallel.Run(chunks, chunks, k => body(k, (int)((long)k * items / chunks), (int)((long)(k + 1) * items / chunks)));
}
