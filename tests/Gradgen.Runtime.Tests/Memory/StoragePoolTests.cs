namespace Gradgen.Tests.Memory;

/// <summary>
/// The caching allocator. Other tests use the pool at the same time, so each test here works with a size class that
/// nothing else allocates (lengths of Int64 tensors no other test uses) and asserts only what concurrent use cannot change.
/// </summary>
public class StoragePoolTests
{
    [Theory]
    [InlineData(21_250)]
    [InlineData(100_000)]
    [InlineData(1_000_000)]
    [InlineData(1_048_576)]
    [InlineData(1_048_577)]
    [InlineData(7_777_777)]
    public void Size_classes_round_up_by_at_most_an_eighth(int length)
    {
        int c = StoragePool.SizeClass(length);
        Assert.InRange(c, length, length + length / 8);
        Assert.Equal(c, StoragePool.SizeClass(c));
        Assert.True(StoragePool.SizeClass(length + 1) >= c);
    }

    [Fact]
    public void Small_arrays_are_not_pooled_and_large_ones_are()
    {
        Assert.False(StoragePool<float>.Pools(21_249));
        Assert.True(StoragePool<float>.Pools(21_250));
        Assert.False(StoragePool<double>.Pools(10_624));
        Assert.True(StoragePool<double>.Pools(10_625));
        Assert.False(Tensor.Zeros(1000).storage.IsReturnable);
        Assert.True(Tensor.Zeros(100_000).storage.IsReturnable);
    }

    [Fact]
    public void A_returned_array_is_handed_out_again_and_zeroed_on_request()
    {
        const int length = 654_321;
        var a = StoragePool<long>.Rent(length, zeroed: false);
        Assert.Equal(StoragePool.SizeClass(length), a.Length);
        a.AsSpan().Fill(7);
        StoragePool<long>.Return(a);
        var b = StoragePool<long>.Rent(length - 3, zeroed: true);
        Assert.Same(a, b);
        Assert.All(b.AsSpan(0, length - 3).ToArray(), v => Assert.Equal(0, v));
        StoragePool<long>.Return(b);
    }

    [Fact]
    public void A_released_storage_throws_instead_of_reading_reused_memory()
    {
        var s = Storage<long>.Allocate(555_555, zeroed: true);
        Assert.True(s.IsReturnable);
        s.Release();
        Assert.False(s.IsReturnable);
        var e = Assert.Throws<ObjectDisposedException>(() => { _ = s.Span.Length; });
        Assert.Contains("storage cache", e.Message);
        s.Release(); // twice is harmless
    }

    [Fact]
    public void Live_tensors_never_share_an_array_and_keep_their_values_over_many_cycles()
    {
        // Tensors die (dropped references, collected, finalized: their arrays go back) and are replaced many times;
        // every live tensor must keep its own values, so no pooled array is handed out while a live tensor uses it.
        var random = new System.Random(5);
        var live = new List<(Tensor T, long Value)>();
        long next = 1;
        for (int cycle = 0; cycle < 40; cycle++)
        {
            live.RemoveAll(_ => random.Next(2) == 0);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            while (live.Count < 6)
            {
                var t = Tensor.Full([432_109 + random.Next(3)], next, DType.Int64);
                live.Add((t, next++));
            }

            foreach (var (t, value) in live)
            {
                long[] a = t.ToArray<long>();
                Assert.All(a, v => Assert.Equal(value, v));
            }

            for (int i = 0; i < live.Count; i++)
            {
                for (int j = i + 1; j < live.Count; j++) Assert.False(SameMemory(live[i].T, live[j].T), $"tensors {i} and {j} share an array");
            }
        }
    }

    static bool SameMemory(Tensor a, Tensor b) => System.Runtime.CompilerServices.Unsafe.AreSame(
        ref System.Runtime.InteropServices.MemoryMarshal.GetReference(((Storage<long>)a.storage).Span),
        ref System.Runtime.InteropServices.MemoryMarshal.GetReference(((Storage<long>)b.storage).Span));

    [Fact]
    public void Finalized_storages_give_their_arrays_back()
    {
        long before = StoragePool.Returns;
        MakeGarbage();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(StoragePool.Returns - before >= 3, $"{StoragePool.Returns - before} arrays came back");

        static void MakeGarbage()
        {
            for (int i = 0; i < 3; i++) GC.KeepAlive(Tensor.Zeros(300_001) * 2);
        }
    }

    [Fact]
    public void Exposed_or_wrapped_memory_is_never_pooled()
    {
        var t = Tensor.Zeros(200_000);
        Assert.True(t.storage.IsReturnable);
        Span<float> span = t.AsSpan<float>();
        Assert.False(t.storage.IsReturnable);
        span[0] = 1;
        Assert.Equal(1f, t.ToArray<float>()[0]);

        var wrapped = Tensor.FromMemory(new Memory<float>(new float[200_000]));
        Assert.False(wrapped.storage.IsReturnable);
    }

    [Fact]
    public void Spans_handed_to_generated_kernels_do_not_expose_the_storage()
    {
        var x = Tensor.Full([100_000], 0.5f);
        var y = x.Exp();
        Assert.Equal(MathF.Exp(0.5f), y.ToArray<float>()[99_999], 1e-6f);
        Assert.True(x.storage.IsReturnable);
        Assert.True(y.storage.IsReturnable);
    }

    [Fact]
    public void The_cache_limit_is_validated()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => StorageCache.Limit = -5);
        Assert.Contains("-5", e.Message);
        Assert.True(StorageCache.Limit >= 0);
        Assert.True(StorageCache.CachedBytes >= 0);
    }
}
