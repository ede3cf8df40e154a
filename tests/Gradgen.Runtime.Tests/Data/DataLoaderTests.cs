using Gradgen.Data;

namespace Gradgen.Tests.Data;

/// <summary>DataLoader: PyTorch's batch order, sizes and drop_last, shuffling, reused buffers, errors.</summary>
public class DataLoaderTests
{
    /// <summary>Ten items: input row i is [i, 10i], target i is i.</summary>
    static TensorDataset Ten(int n = 10) => new(
        Tensor.FromArray(Enumerable.Range(0, n).SelectMany(i => new[] { (float)i, 10f * i }).ToArray()).Reshape(n, 2),
        Tensor.FromArray(Enumerable.Range(0, n).Select(i => (long)i).ToArray()));

    static List<long[]> Epoch(DataLoader loader) => loader.Select(b => b.Target.ToArray<long>()).ToList();

    [Fact]
    public void Sequential_batches_in_order_with_a_smaller_last_batch()
    {
        var loader = new DataLoader(Ten(), batchSize: 4);
        Assert.Equal(3, loader.Count);
        var batches = loader.ToList().Select(b => $"{b.Input.Shape} {b.Target.Shape}").ToList();
        Assert.Equal(["[4, 2] [4]", "[4, 2] [4]", "[2, 2] [2]"], batches);
        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], Epoch(loader));
        var inputs = new List<float[]>();
        foreach (var (x, _) in loader)
        {
            inputs.Add(x.ToArray<float>());
        }

        Assert.Equal([8f, 80f, 9f, 90f], inputs[2]);
        Assert.Equal(DType.Float32, loader.First().Input.DType);
    }

    [Fact]
    public void DropLast_leaves_out_the_smaller_batch()
    {
        var loader = new DataLoader(Ten(), batchSize: 4, dropLast: true);
        Assert.Equal(2, loader.Count);
        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7]], Epoch(loader));
        Assert.Empty(new DataLoader(Ten(3), batchSize: 4, dropLast: true));
    }

    [Fact]
    public void Shuffle_visits_every_item_once_per_epoch_in_a_new_order_reproducible_by_seed()
    {
        var loader = new DataLoader(Ten(100), batchSize: 8, shuffle: true, seed: 7);
        var first = Epoch(loader).SelectMany(b => b).ToArray();
        var second = Epoch(loader).SelectMany(b => b).ToArray();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), first.Order());
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), second.Order());
        Assert.NotEqual(first, second);
        Assert.NotEqual(Enumerable.Range(0, 100).Select(i => (long)i), first);

        var again = new DataLoader(Ten(100), batchSize: 8, shuffle: true, seed: 7);
        Assert.Equal(first, Epoch(again).SelectMany(b => b));
        Assert.Equal(second, Epoch(again).SelectMany(b => b));

        // Inputs travel with their targets.
        foreach (var (x, y) in loader)
        {
            var rows = x.ToArray<float>();
            var labels = y.ToArray<long>();
            for (int i = 0; i < labels.Length; i++)
                Assert.Equal([labels[i], 10f * labels[i]], rows.AsSpan(2 * i, 2).ToArray());
        }
    }

    [Fact]
    public void Batches_reuse_the_loaders_tensors_once_warm()
    {
        var loader = new DataLoader(Ten(40), batchSize: 8);
        var seen = new List<Tensor>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            foreach (var (x, y) in loader)
            {
                seen.Add(x);
                seen.Add(y);
            }
        }

        // Two pairs of full-size batch tensors alternate; nothing new after the first epoch.
        Assert.Equal(4, seen.Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void A_second_concurrent_enumeration_throws_and_disposal_frees_the_loader()
    {
        var loader = new DataLoader(Ten(), batchSize: 2);
        using (var e = loader.GetEnumerator())
        {
            Assert.True(e.MoveNext());
            Assert.Contains("already being enumerated", Assert.Throws<InvalidOperationException>(() => loader.GetEnumerator()).Message);
        }

        Assert.Equal(5, loader.Count());
    }

    [Fact]
    public void Errors_of_the_data_set_reach_the_consumer()
    {
        var loader = new DataLoader(new Failing(), batchSize: 2);
        var error = Assert.Throws<InvalidOperationException>(() => loader.ToList());
        Assert.Equal("item 3 is broken", error.Message);
        Assert.Equal(2, new DataLoader(new Failing(), batchSize: 2).Take(1).Single().Input.Shape[0]);
    }

    [Fact]
    public void The_default_collate_copies_each_item()
    {
        var loader = new DataLoader(new Failing(brokenAt: -1), batchSize: 3);
        var batches = loader.Select(b => (b.Input.ToArray<double>(), b.Target.ToArray<int>())).ToList();
        Assert.Equal([0.0, 0.5, 1.0, 1.5, 2.0, 2.5], batches[0].Item1);
        Assert.Equal([0, 1, 2], batches[0].Item2);
        Assert.Equal([3.0, 3.5, 4.0, 4.5], batches[1].Item1);
        Assert.Equal(2, batches.Count);
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Ten(), batchSize: 0));
        Assert.Contains("size mismatch", Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(3, 2), Tensor.Zeros(4))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ten().GetItem(10));
    }

    /// <summary>Five items through GetItem only (the default collate): input [i, i + 0.5] (Float64), target i (Int32); item <c>brokenAt</c> throws.</summary>
    sealed class Failing(int brokenAt = 3) : Dataset
    {
        public override int Count => 5;

        public override (Tensor Input, Tensor Target) GetItem(int index) => index == brokenAt
            ? throw new InvalidOperationException($"item {index} is broken")
            : (Tensor.FromArray(new double[] { index, index + 0.5 }), Tensor.Full([], index, DType.Int32));
    }
}
