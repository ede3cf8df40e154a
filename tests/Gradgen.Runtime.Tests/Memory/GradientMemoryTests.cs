namespace Gradgen.Tests.Memory;

/// <summary>
/// The autograd engine's side of the memory model: AccumulateGrad steals a gradient only the engine holds, x.Grad
/// never aliases what the user holds, and the temporaries the engine releases are not read afterwards (values stay
/// right, at sizes whose storages are pooled).
/// </summary>
public class GradientMemoryTests
{
    const int Large = 100_003; // pooled (≥ 85,000 bytes of float), odd

    static Tensor Leaf(int n)
    {
        var x = Tensor.Linspace(-1, 1, n);
        x.RequiresGrad = true;
        return x;
    }

    [Theory]
    [InlineData(7)]
    [InlineData(Large)]
    public void A_gradient_only_the_engine_holds_becomes_x_Grad_and_stays_valid(int n)
    {
        var x = Leaf(n);
        var ones = Tensor.OnesLike(x);
        (x * 3).Backward(ones);
        var g = x.Grad!;
        Assert.False(g.RequiresGrad);
        Assert.Null(g.GradFn);
        Assert.Equal(0, g.storage.backwardRun);
        Assert.NotSame(ones.storage, g.storage);

        // Later backward calls accumulate into it and leave the first read intact.
        (x * 3).Backward(ones);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        (x * 3).Backward(ones);
        Assert.Same(g, x.Grad);
        Assert.All(x.Grad!.ToArray<float>(), v => Assert.Equal(9f, v));
    }

    [Fact]
    public void ZeroGrad_gives_a_gradient_nobody_has_seen_back_to_the_cache_at_once()
    {
        var x = Leaf(Large);
        var optimizer = new Gradgen.Optim.Sgd([x], 0.1);
        (x * 3).Backward(Tensor.OnesLike(x));
        var stolen = x.grad!;                 // the runtime's own view of it, as an optimizer reads it
        Assert.True(stolen.gradUnshared);

        optimizer.ZeroGrad();

        Assert.Null(x.grad);
        Assert.Throws<ObjectDisposedException>(() => stolen.ToArray<float>());

        // The next backward's gradient takes that memory and is right.
        (x * 2).Backward(Tensor.OnesLike(x));
        Assert.All(x.Grad!.ToArray<float>(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void A_gradient_read_through_Grad_keeps_its_memory_after_ZeroGrad()
    {
        var x = Leaf(Large);
        var optimizer = new Gradgen.Optim.Sgd([x], 0.1);
        (x * 3).Backward(Tensor.OnesLike(x));
        var seen = x.Grad!;

        optimizer.ZeroGrad();
        (x * 2).Backward(Tensor.OnesLike(x));

        Assert.All(seen.ToArray<float>(), v => Assert.Equal(3f, v));
        Assert.All(x.Grad!.ToArray<float>(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void Stealing_saves_the_copy()
    {
        // 64 KB of gradient: MulBackward's result is the only one; a copy into x.Grad would allocate 64 KB more.
        const int n = 16_384;
        var x = Leaf(n);
        var ones = Tensor.OnesLike(x);
        (x * 3).Backward(ones);
        x.Grad = null;
        var y = x * 3;
        long before = GC.GetAllocatedBytesForCurrentThread();
        y.Backward(ones);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.InRange(allocated, n * 4, n * 4 + 16_000);
        Assert.All(x.Grad!.ToArray<float>(), v => Assert.Equal(3f, v));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(Large)]
    public void X_Grad_is_never_the_gradient_the_user_passed(int n)
    {
        // AddBackward hands the incoming gradient (the user's tensor) straight to x: it must be copied, not stolen.
        var x = Leaf(n);
        var ones = Tensor.OnesLike(x);
        (x + 1).Backward(ones);
        Assert.NotSame(ones.storage, x.Grad!.storage);
        ones.MulInPlace(5);
        Assert.All(x.Grad.ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.All(ones.ToArray<float>(), v => Assert.Equal(5f, v));
    }

    [Fact]
    public void A_user_tensor_assigned_to_Grad_is_accumulated_into_not_replaced()
    {
        var x = Leaf(Large);
        var mine = Tensor.Full([Large], 2f);
        x.Grad = mine;
        (x * 3).Backward(Tensor.OnesLike(x));
        Assert.Same(mine, x.Grad);
        Assert.All(mine.ToArray<float>(), v => Assert.Equal(5f, v));
    }

    [Fact]
    public void A_gradient_sent_to_two_nodes_is_released_only_after_both_used_it()
    {
        // MulBackward's result goes, through AddBackward, to ExpBackward and SinBackward: the engine holds it twice.
        var x = Leaf(Large);
        var h = x * 2;
        var r = (h.Exp() + h.Sin()) * 3;
        long before = StoragePool.Returns;
        r.Backward(Tensor.OnesLike(r));
        Assert.True(StoragePool.Returns - before >= 2, "the engine gave its temporaries back");
        float[] xs = x.Detach().ToArray<float>(), g = x.Grad!.ToArray<float>();
        for (int i = 0; i < xs.Length; i += 997)
        {
            double expected = 3 * (2 * Math.Exp(2 * xs[i]) + 2 * Math.Cos(2 * xs[i]));
            Assert.Equal(expected, g[i], 1e-4 * Math.Max(1, Math.Abs(expected)));
        }
    }

    [Fact]
    public void The_fused_node_gives_back_at_once_the_buffer_of_an_input_that_needs_no_gradient()
    {
        // A size class of its own, so that only this test's arrays come and go there.
        const int n = 137_777;
        var x = Leaf(n);
        var c = Tensor.Full([n], 3f);
        var y = ElementwiseFunctions.Mul(x, c); // the generated MulBackward node: it computes both inputs' gradients
        var ones = Tensor.OnesLike(y);
        int before = StoragePool<float>.CachedCount(n);
        y.Backward(ones);
        Assert.Equal(before + 1, StoragePool<float>.CachedCount(n));
        Assert.All(x.Grad!.ToArray<float>(), v => Assert.Equal(3f, v));
        GC.KeepAlive(c); // the user's tensors of that size stay alive, so no finalizer adds to the count
        GC.KeepAlive(ones);
        GC.KeepAlive(y);
    }

    [Fact]
    public void Retained_graphs_run_backward_again_with_the_same_result()
    {
        var x = Leaf(Large);
        var d = x - 5;
        var y = (x * (2 * MathF.PI)).Sin() * (-(d * d) / 3).Exp();
        var ones = Tensor.OnesLike(y);
        y.Backward(ones, retainGraph: true);
        float[] first = x.Grad!.ToArray<float>();
        y.Backward(ones, retainGraph: true);
        y.Backward(ones);
        float[] third = x.Grad!.ToArray<float>();
        for (int i = 0; i < first.Length; i++) Assert.Equal(3 * first[i], third[i], 1e-3f * Math.Max(1, Math.Abs(third[i])));
        Assert.Contains("retainGraph", Assert.Throws<InvalidOperationException>(() => y.Backward(ones)).Message);
    }

    [Fact]
    public void Many_backward_calls_at_a_pooled_size_match_the_first()
    {
        // Each call's temporaries go back to the cache and come out again in the next: the values must not change.
        var x = Leaf(Large);
        float[]? reference = null;
        for (int call = 0; call < 25; call++)
        {
            x.Grad = null;
            var d = x - 5;
            var y = (x * (2 * MathF.PI)).Sin() * (-(d * d) / 3).Exp();
            y.Backward(Tensor.OnesLike(y));
            float[] g = x.Grad!.ToArray<float>();
            reference ??= g;
            Assert.Equal(reference, g);
            if (call % 5 == 0)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
    }

    [Fact]
    public void Threads_sharing_the_cache_get_the_same_gradients_as_one_thread()
    {
        // Two threads rent, release and finalize arrays of the same size classes at once; every call's gradient
        // must equal the one computed alone, so no array was handed to one thread while the other still used it.
        static float[] Gradient(Tensor x)
        {
            x.Grad = null;
            var d = x - 5;
            var y = (x * (2 * MathF.PI)).Sin() * (-(d * d) / 3).Exp();
            y.Backward(Tensor.OnesLike(y));
            return x.Grad!.ToArray<float>();
        }

        float[] expected = Gradient(Leaf(Large));
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = new Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    var x = Leaf(Large);
                    for (int call = 0; call < 15; call++)
                    {
                        if (!Gradient(x).AsSpan().SequenceEqual(expected)) failures.Add($"thread {id}, call {call}: wrong gradient");
                        if (call % 4 == id) GC.Collect();
                    }
                }
                catch (Exception e)
                {
                    failures.Add($"thread {id}: {e}");
                }
            });
            threads[t].Start();
        }

        foreach (var t in threads) t.Join();
        Assert.Empty(failures);
    }
}
