namespace Gradgen.Distributed;

/// <summary>
/// Which examples of a data set this rank reads in each epoch (PyTorch's <c>torch.utils.data.DistributedSampler</c>):
/// the epoch's permutation of <c>0 … length−1</c>, the same on every rank because it depends only on
/// <see cref="Seed"/> and the epoch, padded (or cut, with <c>dropLast</c>) to a multiple of the number of replicas,
/// of which rank r takes positions r, r + replicas, r + 2·replicas, …
/// </summary>
/// <remarks>
/// It yields indices, not examples, so that any loader can take it: a loader draws <see cref="Indices"/> after
/// <see cref="SetEpoch"/> at the start of each epoch. The permutation is a Fisher–Yates shuffle driven by
/// SplitMix64 seeded with <c>seed + epoch</c>, the same on every machine and .NET version (it differs from PyTorch's
/// <c>randperm</c>, whose generator Gradgen does not reproduce).
/// </remarks>
public sealed class DistributedSampler
{
    int epoch;

    /// <summary>A sampler of a data set of <paramref name="length"/> examples.</summary>
    /// <param name="length">The number of examples, ≥ 0.</param>
    /// <param name="numReplicas">The number of ranks sharing the data; by default <see cref="Distributed.WorldSize"/>.</param>
    /// <param name="rank">This rank; by default <see cref="Distributed.Rank"/>.</param>
    /// <param name="shuffle">Permute the examples each epoch (else they are read in order).</param>
    /// <param name="seed">The seed of the permutation; must be the same on every rank.</param>
    /// <param name="dropLast">Cut the tail that does not divide evenly instead of repeating examples from the start to pad it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (the message names it).</exception>
    /// <exception cref="InvalidOperationException"><paramref name="numReplicas"/> or <paramref name="rank"/> is omitted before <see cref="Distributed.Init"/>.</exception>
    public DistributedSampler(int length, int? numReplicas = null, int? rank = null, bool shuffle = true, long seed = 0, bool dropLast = false)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "DistributedSampler: the data set's length must be ≥ 0.");
        int replicas = numReplicas ?? Distributed.WorldSize;
        int r = rank ?? Distributed.Rank;
        if (replicas < 1) throw new ArgumentOutOfRangeException(nameof(numReplicas), replicas, "DistributedSampler: the number of replicas must be ≥ 1.");
        if (r < 0 || r >= replicas)
            throw new ArgumentOutOfRangeException(nameof(rank), r, $"DistributedSampler: invalid rank {r}, rank should be in the interval [0, {replicas - 1}].");
        Length = length;
        NumReplicas = replicas;
        Rank = r;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Count = dropLast ? length / replicas : (length + replicas - 1) / replicas;
    }

    /// <summary>The number of examples in the data set.</summary>
    public int Length { get; }

    /// <summary>The number of ranks sharing the data.</summary>
    public int NumReplicas { get; }

    /// <summary>The rank whose shard this sampler yields.</summary>
    public int Rank { get; }

    /// <summary>Whether each epoch is permuted.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the permutation.</summary>
    public long Seed { get; }

    /// <summary>Whether the tail that does not divide evenly is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>The number of indices per rank and epoch (PyTorch's <c>num_samples</c>), the same on every rank.</summary>
    public int Count { get; }

    /// <summary>The epoch whose permutation <see cref="Indices"/> yields.</summary>
    public int Epoch => epoch;

    /// <summary>Selects the epoch (PyTorch's <c>set_epoch</c>): call it at the start of every epoch, or every epoch reads the same order.</summary>
    /// <param name="epoch">The epoch, ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">The epoch is negative.</exception>
    public void SetEpoch(int epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "DistributedSampler: the epoch must be ≥ 0.");
        this.epoch = epoch;
    }

    /// <summary>This rank's indices for the current epoch, <see cref="Count"/> of them, in the order to read them.</summary>
    public int[] Indices()
    {
        var order = new int[Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (Shuffle) Permute(order, unchecked((ulong)(Seed + epoch)));

        int total = Count * NumReplicas;
        var shard = new int[Count];
        for (int k = 0; k < Count; k++)
        {
            int position = Rank + k * NumReplicas;
            // Past the end (only without dropLast): the permutation again from its start, as PyTorch pads.
            shard[k] = order[position % Math.Max(order.Length, 1)];
        }
        return total == 0 ? [] : shard;
    }

    /// <summary>Fisher–Yates with SplitMix64: unbiased draws by rejection.</summary>
    static void Permute(int[] order, ulong state)
    {
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)Below(ref state, (ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    static ulong Below(ref ulong state, ulong bound)
    {
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        while (true)
        {
            ulong x = SplitMix(ref state);
            if (x < limit) return x % bound;
        }
    }

    static ulong SplitMix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
