namespace Gradgen.Distributed;

/// <summary>
/// Rank 0's values of a fixed set of tensors copied to every rank with one broadcast per dtype, as PyTorch's DDP
/// coalesces its parameter and buffer broadcasts: a BatchNorm model's buffers (two Float32 running statistics and an
/// Int64 batch count per layer) cost two collectives per forward instead of three per layer. The pinned arrays the
/// collectives run on, and the views each tensor is copied back from, are made once; each tensor is written with an
/// in-place copy (its version bumped) under <see cref="Autograd.NoGrad"/>.
/// </summary>
internal sealed class CoalescedBroadcast
{
    readonly DTypeGroup[] groups;

    /// <summary>Plans the broadcast of <paramref name="tensors"/>, grouped by dtype in their order.</summary>
    /// <param name="tensors">The tensors, with the names errors give.</param>
    /// <param name="kind">What they are, for errors: "parameter", "buffer".</param>
    public CoalescedBroadcast(IReadOnlyList<(string Name, Tensor Tensor)> tensors, string kind) =>
        groups = [.. tensors.GroupBy(t => t.Tensor.DType).Select(g => DTypeGroup.Create(g.Key, [.. g], kind))];

    /// <summary>The number of collectives one <see cref="Run"/> makes: one per dtype.</summary>
    public int Collectives => groups.Length;

    /// <summary>Copies rank 0's values into every rank's tensors.</summary>
    public void Run(ProcessGroup group)
    {
        foreach (var g in groups) g.Run(group);
    }

    abstract class DTypeGroup
    {
        public abstract void Run(ProcessGroup group);

        public static DTypeGroup Create(DType dtype, (string Name, Tensor Tensor)[] members, string kind) => dtype switch
        {
            DType.Float32 => new DTypeGroup<float>(members, kind),
            DType.Float64 => new DTypeGroup<double>(members, kind),
            DType.Int32 => new DTypeGroup<int>(members, kind),
            DType.Int64 => new DTypeGroup<long>(members, kind),
            DType.Bool => new DTypeGroup<bool>(members, kind),
            _ => throw new ArgumentException($"DistributedDataParallel: {kind} '{members[0].Name}' has dtype {dtype}; broadcasts take Float32, Float64, Int32, Int64 or Bool tensors."),
        };
    }

    sealed class DTypeGroup<T> : DTypeGroup where T : unmanaged
    {
        readonly (string Name, Tensor Tensor)[] members;
        readonly int[] offsets;
        readonly T[] staging;
        readonly Tensor mirror;
        readonly Tensor[] views;
        readonly string what;

        public DTypeGroup((string Name, Tensor Tensor)[] members, string kind)
        {
            this.members = members;
            offsets = new int[members.Length];
            int count = 0;
            for (int i = 0; i < members.Length; i++)
            {
                offsets[i] = count;
                count = checked(count + members[i].Tensor.NumElements);
            }

            // MPI reads and writes the array while the broadcast runs: it must not move.
            staging = GC.AllocateUninitializedArray<T>(count, pinned: true);
            var dtype = members[0].Tensor.DType;
            mirror = Tensor.Zeros([count], dtype);
            views = [.. members.Select((m, i) => mirror.Narrow(0, offsets[i], m.Tensor.NumElements).Reshape([.. m.Tensor.Shape]))];
            string names = string.Join(", ", members.Take(4).Select(m => $"'{m.Name}'")) + (members.Length > 4 ? $" and {members.Length - 4} more" : "");
            what = $"DistributedDataParallel: broadcast of the {dtype} {kind}s {names} ({count} elements)";
        }

        public override void Run(ProcessGroup group)
        {
            for (int i = 0; i < members.Length; i++)
            {
                var t = members[i].Tensor;
                var target = staging.AsSpan(offsets[i], t.NumElements);
                if (t.IsContiguous) t.AsSpan<T>().CopyTo(target);
                else t.ToArray<T>().CopyTo(target);
            }

            group.Run(group.StartBroadcast(staging, staging.Length, 0, what));
            staging.CopyTo(mirror.AsSpan<T>());
            using (Autograd.NoGrad())
            {
                for (int i = 0; i < members.Length; i++) members[i].Tensor.CopyFrom(views[i]);
            }
        }
    }
}
