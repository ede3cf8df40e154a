namespace Gradgen.Cuda.Tests;

public class AllocatorTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 512)]
    [InlineData(512, 512)]
    [InlineData(513, 1024)]
    [InlineData(4000, 4096)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, 2 << 20)]
    [InlineData(40_000_000, 20 * (2 << 20))]
    public void Sizes_round_up_to_their_bucket(long bytes, long bucket) =>
        Assert.Equal(bucket, CudaCachingAllocator.BucketSize(bytes));

    [Fact]
    public void Freed_blocks_are_reused_for_the_same_bucket_only()
    {
        var device = new FakeDeviceMemory();
        var allocator = new CudaCachingAllocator(device.Allocate, device.Free);

        ulong a = allocator.Rent(1000, out long bucketA);
        allocator.Return(a, bucketA);
        ulong b = allocator.Rent(900, out long bucketB);   // same 1 KiB bucket: the cached block
        ulong c = allocator.Rent(3000, out long bucketC);  // another bucket: a new block

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(2, allocator.DriverAllocations);
        Assert.Equal(1, allocator.CacheHits);
        Assert.Equal(1024 + 4096, allocator.BytesInUse);
        Assert.Equal(0, allocator.BytesCached);

        allocator.Return(b, bucketB);
        allocator.Return(c, bucketC);
        Assert.Equal(0, allocator.BytesInUse);
        Assert.Equal(1024 + 4096, allocator.BytesCached);
        Assert.Empty(device.Freed);

        allocator.EmptyCache();
        Assert.Equal(0, allocator.BytesCached);
        Assert.Equal([a, c], device.Freed.Order());
    }

    [Fact]
    public void Out_of_memory_empties_the_cache_and_tries_again()
    {
        var device = new FakeDeviceMemory { Capacity = 8192 };
        var allocator = new CudaCachingAllocator(device.Allocate, device.Free);
        ulong small = allocator.Rent(4096, out long bucket);
        allocator.Return(small, bucket);                  // 4096 cached, 4096 left on the "device"

        ulong big = allocator.Rent(8000, out _);          // needs 8192: fails, frees the cache, succeeds

        Assert.NotEqual(0ul, big);
        Assert.Equal([small], device.Freed);
        Assert.Equal(0, allocator.BytesCached);
    }

    [Fact]
    public void Out_of_memory_with_nothing_cached_throws_with_the_sizes()
    {
        var device = new FakeDeviceMemory { Capacity = 1024 };
        var allocator = new CudaCachingAllocator(device.Allocate, device.Free);

        var e = Assert.Throws<CudaException>(() => allocator.Rent(5000, out _));

        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", e.ErrorName);
        Assert.Contains("5000 bytes requested (8192 with rounding)", e.Message);
    }

    [Fact]
    public void Zero_bytes_allocate_nothing()
    {
        var device = new FakeDeviceMemory();
        var allocator = new CudaCachingAllocator(device.Allocate, device.Free);
        Assert.Equal(0ul, allocator.Rent(0, out long bucket));
        allocator.Return(0, bucket);
        Assert.Equal(0, allocator.DriverAllocations);
    }

    sealed class FakeDeviceMemory
    {
        ulong next = 0x1000_0000;
        long used;
        readonly Dictionary<ulong, long> live = [];

        public long Capacity { get; init; } = long.MaxValue;

        public List<ulong> Freed { get; } = [];

        public ulong Allocate(long bytes)
        {
            if (used + bytes > Capacity)
            {
                return 0;
            }

            ulong pointer = next;
            next += (ulong)bytes;
            used += bytes;
            live[pointer] = bytes;
            return pointer;
        }

        public void Free(ulong pointer)
        {
            used -= live[pointer];
            live.Remove(pointer);
            Freed.Add(pointer);
        }
    }
}
