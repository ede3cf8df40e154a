using System.Globalization;

namespace Gradgen;

/// <summary>
/// The caching allocator behind large CPU storages (PyTorch's CPU caching allocator, .NET's <c>ArrayPool</c>): arrays
/// of at least <see cref="MinimumBytes"/> — the size from which .NET puts them on the large-object heap — are kept
/// when their storage is done with them and handed to the next storage of a similar size, instead of being left to
/// a generation-2 collection and allocated (zeroed, page-faulted) afresh. docs/tensors.md, "Memory", describes who
/// gives arrays back and why that is safe; this class only keeps them.
/// </summary>
/// <remarks>
/// Lengths are rounded up to size classes eight to an octave (at most 12.5% unused), so that tensors of nearby sizes
/// share arrays; a rent takes the array given back last (the one most likely still in the CPU's caches). The cache is bounded by <see cref="StorageCache.Limit"/> bytes; arrays given back beyond it are
/// dropped to the GC. After every generation-2 collection, arrays that waited in the cache through a whole
/// collection cycle without being taken are dropped, and everything is dropped when the machine's memory load is
/// high. One lock guards the buckets: renting and returning are rare next to the work done on a ≥ 85 KB array.
/// </remarks>
internal static class StoragePool
{
    /// <summary>The large-object heap's threshold: smaller arrays are cheap gen-0 allocations and are not pooled.</summary>
    public const int MinimumBytes = 85_000;

    /// <summary>The environment variable that sets the cache's limit in MiB (0 turns the cache off).</summary>
    public const string LimitVariable = "GRADGEN_CPU_CACHE_MB";

    internal static readonly object Gate = new();

    /// <summary>How many arrays were given back since the process started (for tests: it only grows).</summary>
    internal static long Returns;

    /// <summary>How many rents found no cached array and allocated a new one (for tests and probes: it only grows).</summary>
    internal static long Misses;

    static readonly List<IBuckets> all = [];
    static long cachedBytes;
    static long limit = DefaultLimit();
    static int epoch;
    static long rentedSinceCollection;

    static StoragePool() => Gen2Callback.Register();

    /// <summary>Bytes held in the cache now.</summary>
    public static long CachedBytes
    {
        get { lock (Gate) return cachedBytes; }
    }

    /// <summary>The most bytes the cache holds.</summary>
    public static long Limit
    {
        get { lock (Gate) return limit; }
        set
        {
            lock (Gate)
            {
                limit = value;
                if (cachedBytes > limit) DropAll();
            }
        }
    }

    /// <summary>Drops every cached array (PyTorch's <c>empty_cache</c>).</summary>
    public static void Clear()
    {
        lock (Gate) DropAll();
    }

    static long DefaultLimit()
    {
        string? mb = Environment.GetEnvironmentVariable(LimitVariable);
        if (long.TryParse(mb, NumberStyles.Integer, CultureInfo.InvariantCulture, out long m) && m >= 0) return m << 20;
        // An eighth of the memory the GC may use, at most 2 GiB: enough for the temporaries of a training step.
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return Math.Clamp(available / 8, 64L << 20, 2L << 30);
    }

    /// <summary>Whether the cache is on (its limit is above 0).</summary>
    public static bool Enabled => Volatile.Read(ref limit) > 0;

    /// <summary>Whether an array of <paramref name="length"/> elements of <paramref name="elementSize"/> bytes is pooled.</summary>
    public static bool IsPooled(int length, int elementSize) => (long)length * elementSize >= MinimumBytes;

    /// <summary>The size class of <paramref name="length"/>: rounded up to a multiple of 1/8 of its highest power of two; -1 when too large.</summary>
    public static int SizeClass(int length)
    {
        int shift = Math.Max(0, System.Numerics.BitOperations.Log2((uint)length) - 3);
        long rounded = ((long)length + (1L << shift) - 1) >> shift << shift;
        return rounded <= Array.MaxLength ? (int)rounded : -1;
    }

    internal static void Register(IBuckets buckets)
    {
        lock (Gate) all.Add(buckets);
    }

    /// <summary>Accounts for an array entering (<paramref name="bytes"/> &gt; 0) or leaving the cache; false if it may not enter.</summary>
    internal static bool TryAccount(long bytes)
    {
        if (bytes > 0 && cachedBytes + bytes > limit) return false;
        cachedBytes += bytes;
        return true;
    }

    internal static int Epoch => epoch;

    /// <summary>
    /// Counts a rent of <paramref name="bytes"/> and says whether to ask the GC for a collection now. Reused arrays
    /// are invisible to the GC's allocation budget, so without this the tensors that died since the last collection
    /// would keep their arrays (through their finalizers) until some unrelated allocation triggers one, while the
    /// pool runs dry and every miss allocates afresh. So large-tensor memory gets a budget of its own, like the
    /// large-object heap's: after <see cref="CollectionInterval"/> bytes of rents not given back (or half the cache limit), a
    /// generation-2 collection, started while the pool still has arrays so that the dead tensors' arrays are back
    /// before it runs dry.
    /// </summary>
    internal static bool CountRent(long bytes)
    {
        // Net of what came back since: an array returned deterministically (the engine's temporaries, a gradient
        // that ZeroGrad dropped) needs no collection to come back, so a training loop that returns what it rents
        // never asks for one.
        rentedSinceCollection += bytes;
        if (limit == 0 || rentedSinceCollection < Math.Min(limit / 2, CollectionInterval)) return false;
        rentedSinceCollection = 0;
        return true;
    }

    /// <summary>Rented bytes between the collections the pool asks for (at most half the limit).</summary>
    internal const long CollectionInterval = 256L << 20;

    /// <summary>Counts an array given back: it no longer waits for a collection.</summary>
    internal static void CountReturn(long bytes) => rentedSinceCollection = Math.Max(0, rentedSinceCollection - bytes);

    static void DropAll()
    {
        foreach (var b in all) b.Trim(int.MaxValue);
        cachedBytes = 0;
    }

    /// <summary>After a generation-2 collection: drop what waited a whole cycle, or everything under memory pressure.</summary>
    internal static void OnGen2()
    {
        var info = GC.GetGCMemoryInfo();
        bool pressure = info.HighMemoryLoadThresholdBytes > 0 && info.MemoryLoadBytes >= info.HighMemoryLoadThresholdBytes * 9 / 10;
        lock (Gate)
        {
            epoch++;
            rentedSinceCollection = 0;
            if (pressure)
            {
                DropAll();
                return;
            }

            foreach (var b in all) cachedBytes -= b.Trim(epoch - 1);
        }
    }

    /// <summary>The buckets of one element type.</summary>
    internal interface IBuckets
    {
        /// <summary>Drops the arrays returned before <paramref name="epochLimit"/>; returns the bytes dropped.</summary>
        long Trim(int epochLimit);
    }

    /// <summary>A finalizable object that is never referenced: its finalizer runs after each collection of its generation (gen 2 once promoted).</summary>
    sealed class Gen2Callback
    {
        public static void Register() => _ = new Gen2Callback();

        ~Gen2Callback()
        {
            try
            {
                OnGen2();
            }
            catch (Exception)
            {
                // A finalizer must not throw; a missed trim only delays dropping idle arrays.
            }

            GC.ReRegisterForFinalize(this);
        }
    }
}

/// <summary>The cached arrays of element type <typeparamref name="T"/>, by size class, newest last.</summary>
internal sealed class StoragePool<T> : StoragePool.IBuckets where T : unmanaged
{
    static readonly int ElementSize = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
    static readonly StoragePool<T> Instance = new();
    readonly Dictionary<int, List<(T[] Array, int Epoch)>> buckets = [];

    StoragePool() => StoragePool.Register(this);

    /// <summary>
    /// An array of at least <paramref name="length"/> elements (exactly its size class): a cached one if there is one,
    /// else a new one. Cached arrays hold old values; <paramref name="zeroed"/> clears the first <paramref name="length"/>.
    /// </summary>
    public static T[] Rent(int length, bool zeroed)
    {
        int size = StoragePool.SizeClass(length);
        T[]? array = null;
        bool collect;
        lock (StoragePool.Gate)
        {
            if (Instance.buckets.TryGetValue(size, out var list) && list.Count > 0)
            {
                array = list[^1].Array;
                list.RemoveAt(list.Count - 1);
                StoragePool.TryAccount(-(long)size * ElementSize);
            }

            collect = StoragePool.CountRent((long)size * ElementSize);
        }

        if (collect)
        {
            // In the background where the GC can: dead tensors' arrays come back through finalizers (on the
            // finalizer thread) for the next rents; this one does not wait for them.
            GC.Collect(2, GCCollectionMode.Forced, blocking: false, compacting: false);
        }

        if (array is null)
        {
            Interlocked.Increment(ref StoragePool.Misses);
            return zeroed ? new T[size] : GC.AllocateUninitializedArray<T>(size);
        }

        if (zeroed) array.AsSpan(0, length).Clear();
        return array;
    }

    /// <summary>Gives <paramref name="array"/> (from <see cref="Rent"/>) back; nothing may use it any more.</summary>
    public static void Return(T[] array)
    {
        Interlocked.Increment(ref StoragePool.Returns);
        lock (StoragePool.Gate)
        {
            StoragePool.CountReturn((long)array.Length * ElementSize);
            if (!StoragePool.TryAccount((long)array.Length * ElementSize)) return;
            if (!Instance.buckets.TryGetValue(array.Length, out var list)) Instance.buckets[array.Length] = list = [];
            list.Add((array, StoragePool.Epoch));
        }
    }

    /// <inheritdoc/>
    public long Trim(int epochLimit)
    {
        long dropped = 0;
        foreach (var list in buckets.Values)
        {
            // Oldest first: the list is in return order.
            int n = 0;
            while (n < list.Count && list[n].Epoch < epochLimit) dropped += (long)list[n++].Array.Length * ElementSize;
            list.RemoveRange(0, n);
        }

        return dropped;
    }

    /// <summary>How many arrays of <paramref name="length"/>'s size class wait in the cache (for tests).</summary>
    public static int CachedCount(int length)
    {
        lock (StoragePool.Gate) return Instance.buckets.TryGetValue(StoragePool.SizeClass(length), out var list) ? list.Count : 0;
    }

    /// <summary>Whether arrays of <paramref name="length"/> elements go through the pool (never when its limit is 0: plain arrays then, as without a cache).</summary>
    public static bool Pools(int length) => StoragePool.Enabled && StoragePool.IsPooled(length, ElementSize) && StoragePool.SizeClass(length) > 0;
}
