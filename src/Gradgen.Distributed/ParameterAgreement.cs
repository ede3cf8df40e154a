using Gradgen.Nn;

namespace Gradgen.Distributed;

/// <summary>
/// Checks, before any parameter or buffer is broadcast, that every rank has the same ones in the same order: each rank
/// describes each tensor as a few integers (dtype, requires grad, rank, element count, leading sizes); rank 0's
/// description is broadcast and compared, and all ranks agree on the first parameter that differs anywhere and on
/// the first rank that differs, so that every rank throws the same error instead of some waiting for the others.
/// </summary>
internal static class ParameterAgreement
{
    const int DimsKept = 5;
    const int Width = 4 + DimsKept;

    /// <param name="group">The ranks.</param>
    /// <param name="named">This rank's tensors by name, in registration order.</param>
    /// <param name="kind">What they are, for the messages: "parameter" or "buffer".</param>
    public static void Verify(ProcessGroup group, IReadOnlyList<(string Name, Tensor Tensor)> named, string kind)
    {
        if (group.Size == 1) return;
        int[] own = Describe(named);
        int[] count = PinnedValue(named.Count);
        Run(group, group.StartBroadcast(count, 1, 0, $"DistributedDataParallel: broadcast of rank 0's {kind} count"));
        int rootCount = count[0];
        int[] root = PinnedArray(rootCount * Width);
        if (group.Rank == 0) own.CopyTo(root, 0);
        Run(group, group.StartBroadcast(root, root.Length, 0, $"DistributedDataParallel: broadcast of rank 0's {kind} shapes"));

        int firstDifferent = int.MaxValue;
        int common = Math.Min(rootCount, named.Count);
        for (int i = 0; i < common && firstDifferent == int.MaxValue; i++)
        {
            if (!own.AsSpan(i * Width, Width).SequenceEqual(root.AsSpan(i * Width, Width))) firstDifferent = i;
        }
        if (firstDifferent == int.MaxValue && rootCount != named.Count) firstDifferent = common;

        int[] index = PinnedValue(firstDifferent);
        Run(group, group.StartAllReduce(index, 1, ReduceOp.Min, $"DistributedDataParallel: allreduce of the first differing {kind}"));
        int m = index[0];
        if (m == int.MaxValue) return;

        int[] differingRank = PinnedValue(firstDifferent == m ? group.Rank : int.MaxValue);
        Run(group, group.StartAllReduce(differingRank, 1, ReduceOp.Min, "DistributedDataParallel: allreduce of the first differing rank"));
        int r = differingRank[0];
        int[] theirs = PinnedArray(Width + 1);
        if (group.Rank == r)
        {
            theirs[0] = named.Count;
            if (m < named.Count) own.AsSpan(m * Width, Width).CopyTo(theirs.AsSpan(1));
        }
        Run(group, group.StartBroadcast(theirs, theirs.Length, r, $"DistributedDataParallel: broadcast of the differing {kind}"));

        string name = m < named.Count ? named[m].Name : $"#{m}";
        string here = group.Rank == 0 || group.Rank == r ? $" (this is rank {group.Rank})" : "";
        if (m >= rootCount || m >= theirs[0])
            throw new ArgumentException(
                $"DistributedDataParallel: the ranks' models have different {kind} lists: rank 0 has {rootCount} {kind}s and rank {r} has {theirs[0]}; " +
                $"the first missing is '{name}'{here}. Every rank must build the same model.");
        throw new ArgumentException(
            $"DistributedDataParallel: {kind} '{name}' (#{m}) differs across ranks: rank 0 has {Format(root.AsSpan(m * Width, Width))}, " +
            $"rank {r} has {Format(theirs.AsSpan(1))}{here}. Every rank must build the same model.");
    }

    static void Run(ProcessGroup group, PendingCollective collective) => group.Run(collective);

    static int[] PinnedValue(int value)
    {
        var a = GC.AllocateArray<int>(1, pinned: true);
        a[0] = value;
        return a;
    }

    static int[] PinnedArray(int length) => GC.AllocateArray<int>(length, pinned: true);

    static int[] Describe(IReadOnlyList<(string Name, Tensor Tensor)> named)
    {
        var d = new int[named.Count * Width];
        for (int i = 0; i < named.Count; i++)
        {
            var p = named[i].Tensor;
            var dims = p.Shape.ToArray();
            var row = d.AsSpan(i * Width, Width);
            row[0] = (int)p.DType;
            row[1] = p.RequiresGrad ? 1 : 0;
            row[2] = dims.Length;
            row[3] = p.NumElements;
            for (int k = 0; k < DimsKept; k++) row[4 + k] = k < dims.Length ? dims[k] : -1;
        }
        return d;
    }

    static string Format(ReadOnlySpan<int> row)
    {
        int rank = row[2];
        var dims = new List<int>();
        for (int k = 0; k < Math.Min(rank, DimsKept); k++) dims.Add(row[4 + k]);
        string shape = "[" + string.Join(", ", dims) + (rank > DimsKept ? ", …" : "") + "]";
        return $"{(DType)row[0]} {shape}{(row[1] == 1 ? "" : " (requires no grad)")}";
    }
}
