using System.Buffers;

namespace Gradgen.Nn;

/// <summary>
/// An array from <see cref="ArrayPool{T}.Shared"/> that a graph node keeps for its backward. <see cref="Return"/> gives
/// it back when the graph is freed; a node that is dropped without a backward (a model called outside
/// <see cref="Autograd.NoGrad"/> to evaluate it) gives it back through this object's finalizer, so that the next call
/// rents it again instead of allocating and page-faulting a fresh large array each time. Only the node references
/// this object, so the finalizer runs once nothing can use the array.
/// </summary>
/// <remarks>
/// The tensors' <see cref="PooledArray{T}"/> does the same over <see cref="StoragePool"/>, whose rents count toward
/// the collections it starts so that dead tensors' arrays come back. This buffer comes back deterministically on
/// every training step, and counting it there made the seed model's step 6% slower at one thread, with 16% more CPU
/// time in background collections (probe <c>step</c>, A/B, 2026-12-03) while it made the never-backpropagated call 25 rather than 46 µs
/// (probe <c>eval</c>); the training step is what matters, so the saved buffer stays with <see cref="ArrayPool{T}"/>.
/// </remarks>
internal sealed class SavedBuffer
{
    /// <summary>How many buffers came back through the finalizer (for tests: it only grows).</summary>
    internal static long FinalizedReturns;

    private float[]? array;

    /// <summary>Rents an array of at least <paramref name="length"/> floats.</summary>
    public SavedBuffer(int length) => array = ArrayPool<float>.Shared.Rent(Math.Max(length, 1));

    /// <summary>The array, or null once returned.</summary>
    public float[]? Array => array;

    /// <summary>Gives the array back (once) and cancels the finalizer.</summary>
    public void Return()
    {
        var a = Interlocked.Exchange(ref array, null);
        if (a is null)
        {
            return;
        }

        GC.SuppressFinalize(this);
        ArrayPool<float>.Shared.Return(a);
    }

    ~SavedBuffer()
    {
        var a = array;
        if (a is not null)
        {
            Interlocked.Increment(ref FinalizedReturns);
            ArrayPool<float>.Shared.Return(a);
        }
    }
}
