using System.Numerics;
using Gradgen.Cuda.Native;

namespace Gradgen.Cuda;

/// <summary>
/// A simple caching allocator for one context: freed blocks go to a free list per size bucket instead of back to the
/// driver, so that the same sizes allocated again (every training step allocates the same tensors) cost no
/// <c>cuMemAlloc</c>/<c>cuMemFree</c>, both of which synchronize the device. Sizes up to 1 MiB round up to a power of
/// two (512 bytes at least); larger ones to a multiple of 2 MiB. When the driver runs out of memory the cache is
/// emptied and the allocation tried once more.
/// </summary>
public sealed unsafe class CudaCachingAllocator
{
    /// <summary>Sizes up to this round up to a power of two.</summary>
    public const long SmallLimit = 1L << 20;

    /// <summary>Larger sizes round up to a multiple of this.</summary>
    public const long LargeGranularity = 2L << 20;

    /// <summary>The smallest block.</summary>
    public const long MinimumBlock = 512;

    readonly Func<long, ulong> allocate;
    readonly Action<ulong> release;
    readonly Dictionary<long, Stack<ulong>> free = [];
    readonly Lock gate = new();
    long bytesInUse;
    long bytesCached;
    long driverAllocations;
    long cacheHits;

    internal CudaCachingAllocator(CudaContext context)
        : this(bytes => DriverAllocate(context, bytes), pointer => DriverFree(context, pointer))
    {
    }

    /// <summary>An allocator over other allocation functions (the unit tests' fake device memory).</summary>
    /// <param name="allocate">Returns a block of the given size; returns 0 when out of memory.</param>
    /// <param name="release">Frees a block that <paramref name="allocate"/> returned.</param>
    internal CudaCachingAllocator(Func<long, ulong> allocate, Action<ulong> release)
    {
        this.allocate = allocate;
        this.release = release;
    }

    /// <summary>Bytes in blocks handed out and not yet returned (bucket sizes, not requested sizes).</summary>
    public long BytesInUse => Interlocked.Read(ref bytesInUse);

    /// <summary>Bytes in free blocks kept for reuse.</summary>
    public long BytesCached => Interlocked.Read(ref bytesCached);

    /// <summary>How many times this allocator called <c>cuMemAlloc</c>.</summary>
    public long DriverAllocations => Interlocked.Read(ref driverAllocations);

    /// <summary>How many requests a cached block answered.</summary>
    public long CacheHits => Interlocked.Read(ref cacheHits);

    /// <summary>The bucket (block size) a request of <paramref name="bytes"/> bytes gets.</summary>
    /// <param name="bytes">The requested size.</param>
    /// <returns>The block size: 0 for 0 bytes.</returns>
    public static long BucketSize(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes == 0)
        {
            return 0;
        }

        if (bytes <= SmallLimit)
        {
            return Math.Max(MinimumBlock, (long)BitOperations.RoundUpToPowerOf2((ulong)bytes));
        }

        return checked((bytes + LargeGranularity - 1) / LargeGranularity * LargeGranularity);
    }

    /// <summary>Gives every cached block back to the driver (<c>cuMemFree</c>).</summary>
    public void EmptyCache()
    {
        lock (gate)
        {
            if (bytesCached == 0)
            {
                return;
            }

            foreach ((long bucket, Stack<ulong> blocks) in free)
            {
                while (blocks.TryPop(out ulong pointer))
                {
                    release(pointer);
                    Interlocked.Add(ref bytesCached, -bucket);
                }
            }
        }
    }

    internal ulong Rent(long bytes, out long bucket)
    {
        bucket = BucketSize(bytes);
        if (bucket == 0)
        {
            return 0;
        }

        lock (gate)
        {
            if (free.TryGetValue(bucket, out Stack<ulong>? blocks) && blocks.TryPop(out ulong cached))
            {
                Interlocked.Add(ref bytesCached, -bucket);
                Interlocked.Add(ref bytesInUse, bucket);
                Interlocked.Increment(ref cacheHits);
                return cached;
            }
        }

        ulong pointer = allocate(bucket);
        if (pointer == 0)
        {
            EmptyCache();
            pointer = allocate(bucket);
        }

        if (pointer == 0)
        {
            throw new CudaException(CudaDriverNative.ErrorOutOfMemory, "CUDA_ERROR_OUT_OF_MEMORY", "cuMemAlloc_v2", null,
                $"cuMemAlloc_v2 failed with CUDA_ERROR_OUT_OF_MEMORY: {bytes} bytes requested ({bucket} with rounding); " +
                $"{BytesInUse} bytes in use, {BytesCached} cached");
        }

        Interlocked.Increment(ref driverAllocations);
        Interlocked.Add(ref bytesInUse, bucket);
        return pointer;
    }

    static ulong DriverAllocate(CudaContext context, long bytes)
    {
        context.MakeCurrent();
        ulong pointer = 0;
        int result = CudaDriverNative.cuMemAlloc_v2(&pointer, (nuint)bytes);
        if (result == CudaDriverNative.ErrorOutOfMemory)
        {
            return 0;
        }

        CudaException.Check(result, "cuMemAlloc_v2", null, $"{bytes} bytes");
        return pointer;
    }

    static void DriverFree(CudaContext context, ulong pointer)
    {
        context.MakeCurrent();
        CudaException.Check(CudaDriverNative.cuMemFree_v2(pointer), "cuMemFree_v2");
    }

    internal void Return(ulong pointer, long bucket)
    {
        if (bucket == 0)
        {
            return;
        }

        lock (gate)
        {
            if (!free.TryGetValue(bucket, out Stack<ulong>? blocks))
            {
                blocks = new Stack<ulong>();
                free[bucket] = blocks;
            }

            blocks.Push(pointer);
            Interlocked.Add(ref bytesInUse, -bucket);
            Interlocked.Add(ref bytesCached, bucket);
        }
    }
}
