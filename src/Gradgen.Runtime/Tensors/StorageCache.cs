namespace Gradgen;

/// <summary>
/// The cache of large CPU tensor memory (PyTorch's caching allocator): arrays of 85,000 bytes and more — those .NET
/// puts on the large-object heap — are reused by later tensors of a similar size instead of being allocated afresh.
/// docs/tensors.md ("Memory") explains when a tensor's memory comes back.
/// </summary>
/// <remarks>
/// The default limit is an eighth of the memory available to the GC, between 64 MiB and 2 GiB; the environment
/// variable <c>GRADGEN_CPU_CACHE_MB</c> (read once) sets it in MiB, and 0 turns the cache off. Arrays that stay
/// unused through a whole generation-2 collection cycle are dropped, and so is everything when the machine's memory
/// load is high.
/// </remarks>
public static class StorageCache
{
    /// <summary>Bytes of array memory waiting in the cache for a new tensor.</summary>
    public static long CachedBytes => StoragePool.CachedBytes;

    /// <summary>The most bytes the cache keeps; setting a lower value than <see cref="CachedBytes"/> empties it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public static long Limit
    {
        get => StoragePool.Limit;
        set
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, $"StorageCache.Limit must be at least 0 bytes, got {value}.");
            StoragePool.Limit = value;
        }
    }

    /// <summary>Drops every cached array, leaving the memory to the GC (PyTorch's <c>empty_cache()</c>).</summary>
    public static void Clear() => StoragePool.Clear();
}
