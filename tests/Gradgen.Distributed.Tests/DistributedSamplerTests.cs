namespace Gradgen.Distributed.Tests;

public sealed class DistributedSamplerTests
{
    [Theory]
    [InlineData(10, 3, false)]
    [InlineData(10, 3, true)]
    [InlineData(12, 4, false)]
    [InlineData(5, 8, false)]
    public void TheRanksShardsCoverTheEpochsPermutation(int length, int replicas, bool dropLast)
    {
        var shards = Enumerable.Range(0, replicas).Select(r => new DistributedSampler(length, replicas, r, seed: 42, dropLast: dropLast)).ToList();
        int count = dropLast ? length / replicas : (length + replicas - 1) / replicas;
        Assert.All(shards, s => Assert.Equal(count, s.Count));
        var all = shards.SelectMany(s => s.Indices()).ToList();
        Assert.All(shards, s => Assert.Equal(count, s.Indices().Length));
        Assert.All(all, i => Assert.InRange(i, 0, length - 1));
        if (dropLast)
        {
            Assert.Equal(all.Count, all.Distinct().Count());
        }
        else
        {
            // Every example is read; only the padding repeats some.
            Assert.Equal(Enumerable.Range(0, length), all.Distinct().Order());
            Assert.Equal(count * replicas - length, all.Count - all.Distinct().Count());
        }
    }

    [Fact]
    public void TheOrderDependsOnlyOnTheSeedAndTheEpoch()
    {
        var a = new DistributedSampler(100, 2, 1, seed: 5);
        var b = new DistributedSampler(100, 2, 1, seed: 5);
        Assert.Equal(a.Indices(), b.Indices());
        int[] epoch0 = a.Indices();
        a.SetEpoch(1);
        Assert.NotEqual(epoch0, a.Indices());
        b.SetEpoch(1);
        Assert.Equal(a.Indices(), b.Indices());
        Assert.NotEqual(epoch0, new DistributedSampler(100, 2, 1, seed: 6).Indices());
        // A fixed value: the permutation is the same on every machine and .NET version.
        Assert.Equal([6, 2, 8, 4, 0], new DistributedSampler(10, 2, 0, seed: 0).Indices());
    }

    [Fact]
    public void WithoutShuffleTheRanksReadInterleavedPositions()
    {
        Assert.Equal([1, 4, 7, 0], new DistributedSampler(10, 3, 1, shuffle: false).Indices());
        Assert.Equal([2, 5, 8, 1], new DistributedSampler(10, 3, 2, shuffle: false).Indices());
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        Assert.Equal("rank", Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 2, 2)).ParamName);
        Assert.Equal("numReplicas", Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 0, 0)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(-1, 1, 0)).ParamName);
        Assert.Equal("epoch", Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 1, 0).SetEpoch(-1)).ParamName);
    }
}
