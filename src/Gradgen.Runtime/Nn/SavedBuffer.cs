using System.Buffers;

namespace Gradgen.Nn;

/// <summary>
/// An array from <see cref="ArrayPool{T}.Shared"/> that a graph node keeps for its backward. <see cref="Return"/> gives
/// it back when the graph is freed (every training step). A node dropped without a backward (a model called outside
/// <see cref="Autograd.NoGrad"/> to evaluate it) cannot return it; its array is reclaimed by the next rent after the
/// collection that found the node unreachable, so that the next call reuses it instead of allocating and page-faulting
/// a fresh large array.
/// </summary>
/// <remarks>
/// <para>
/// How a dropped buffer is found: every buffer out of the pool has a lease that holds its array and a weak reference
/// to the buffer; the buffer is referenced only by its node, so once the node is unreachable the weak reference is
/// cleared by the same collection (a young one: the node of an evaluation dies young), and the next rent gives the
/// array back. An earlier version returned the array from this object's finalizer instead: finalizable objects
/// outlive the collection that finds them dead, so their arrays came back a collection late, calls in between
/// allocated fresh ones, and 100,000 recorded evaluation calls grew the process by 170 MB
/// (tests/…/Reliability/DroppedGraphMemoryTests). Without either, a plain array per call, memory stayed flat but the
/// calls were three times slower (a large-object allocation and its page faults each time).
/// </para>
/// <para>
/// The tensors' <see cref="PooledArray{T}"/> does the same over <see cref="StoragePool"/>, whose rents count toward
/// the collections it starts. Counting this buffer there made the seed model's training step 6% slower at one thread
/// (probe <c>step</c>, A/B, 2026-12-03), so the saved buffer stays with <see cref="ArrayPool{T}"/>.
/// </para>
/// </remarks>
internal sealed class SavedBuffer
{
    private static readonly Lock Gate = new();
    private static readonly List<Lease> Leases = [];

    /// <summary>How many arrays of dropped buffers the pool took back (for tests: it only grows).</summary>
    internal static long ReclaimedReturns;

    private readonly Lease lease;
    private float[]? array;

    /// <summary>Rents an array of at least <paramref name="length"/> floats, after taking back those of dropped buffers.</summary>
    public SavedBuffer(int length)
    {
        ReclaimDropped();
        array = ArrayPool<float>.Shared.Rent(Math.Max(length, 1));
        lease = new Lease(new WeakReference<SavedBuffer>(this), array);
        lock (Gate)
        {
            Leases.Add(lease);
        }
    }

    /// <summary>The array, or null once returned.</summary>
    public float[]? Array => array;

    /// <summary>Gives the array back (once).</summary>
    public void Return()
    {
        var a = Interlocked.Exchange(ref array, null);
        if (a is null)
        {
            return;
        }

        lock (Gate)
        {
            // The lease is dropped by the next scan.
            lease.Array = null;
        }

        ArrayPool<float>.Shared.Return(a);
    }

    /// <summary>Gives back the arrays of buffers that are no longer reachable, and forgets the leases of returned ones.</summary>
    private static void ReclaimDropped()
    {
        List<float[]>? reclaimed = null;
        lock (Gate)
        {
            for (int i = Leases.Count - 1; i >= 0; i--)
            {
                var l = Leases[i];
                if (l.Array is not null && l.Holder.TryGetTarget(out _))
                {
                    continue;
                }

                if (l.Array is not null)
                {
                    (reclaimed ??= []).Add(l.Array);
                }

                Leases[i] = Leases[^1];
                Leases.RemoveAt(Leases.Count - 1);
            }
        }

        if (reclaimed is null)
        {
            return;
        }

        foreach (var a in reclaimed)
        {
            ArrayPool<float>.Shared.Return(a);
        }

        Interlocked.Add(ref ReclaimedReturns, reclaimed.Count);
    }

    /// <summary>A buffer out of the pool: its array until returned, and the buffer, weakly.</summary>
    private sealed class Lease(WeakReference<SavedBuffer> holder, float[] array)
    {
        public WeakReference<SavedBuffer> Holder { get; } = holder;

        public float[]? Array { get; set; } = array;
    }
}
