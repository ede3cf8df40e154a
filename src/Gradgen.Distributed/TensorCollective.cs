namespace Gradgen.Distributed;

/// <summary>Starts one collective on a pinned array of any element type (a generic method, which a lambda cannot be).</summary>
internal interface ICollectiveStarter
{
    PendingCollective Start<T>(ProcessGroup group, T[] buffer, int count, string what) where T : unmanaged;
}

/// <summary><see cref="ProcessGroup.StartAllReduce{T}"/> with an operation.</summary>
internal readonly struct AllReduceStarter(ReduceOp op) : ICollectiveStarter
{
    public PendingCollective Start<T>(ProcessGroup group, T[] buffer, int count, string what) where T : unmanaged =>
        group.StartAllReduce(buffer, count, op, what);
}

/// <summary><see cref="ProcessGroup.StartBroadcast{T}"/> from a root rank.</summary>
internal readonly struct BroadcastStarter(int root) : ICollectiveStarter
{
    public PendingCollective Start<T>(ProcessGroup group, T[] buffer, int count, string what) where T : unmanaged =>
        group.StartBroadcast(buffer, count, root, what);
}

/// <summary>
/// A blocking collective on a tensor: its elements are copied into a pinned array (MPI works on it in the
/// background, so it must not move), the collective runs to completion, and the result is copied back under
/// <see cref="Autograd.NoGrad"/>. Nothing is written back if the collective fails.
/// </summary>
internal static class TensorCollective
{
    public static void Run<TStarter>(ProcessGroup group, Tensor tensor, string caller, TStarter starter) where TStarter : ICollectiveStarter
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Device.Type != DeviceType.Cpu)
            throw new NotSupportedException($"{caller}: the tensor is on {tensor.Device}; MPI collectives take CPU tensors (GPU tensors need the NCCL backend, see docs/distributed.md).");
        string what = $"{caller} of a {tensor.DType} tensor of shape {tensor.Shape}";
        switch (tensor.DType)
        {
            case DType.Float32: Run<float, TStarter>(group, tensor, what, starter); break;
            case DType.Float64: Run<double, TStarter>(group, tensor, what, starter); break;
            case DType.Int32: Run<int, TStarter>(group, tensor, what, starter); break;
            case DType.Int64: Run<long, TStarter>(group, tensor, what, starter); break;
            case DType.Bool: Run<bool, TStarter>(group, tensor, what, starter); break;
            default: throw new ArgumentException($"{caller}: the tensor has dtype {tensor.DType}; collectives take Float32, Float64, Int32, Int64 or Bool tensors.", nameof(tensor));
        }
    }

    static void Run<T, TStarter>(ProcessGroup group, Tensor tensor, string what, TStarter starter) where T : unmanaged where TStarter : ICollectiveStarter
    {
        var values = tensor.ToArray<T>();
        var staging = GC.AllocateUninitializedArray<T>(values.Length, pinned: true);
        values.CopyTo(staging, 0);
        group.Run(starter.Start(group, staging, staging.Length, what));
        using (Autograd.NoGrad())
        {
            tensor.CopyFrom(FromArray(staging).Reshape(tensor.Shape.ToArray()));
        }
    }

    /// <summary>A 1-D tensor with a copy of <paramref name="values"/>.</summary>
    internal static Tensor FromArray<T>(T[] values) where T : unmanaged => values switch
    {
        float[] f => Tensor.FromArray(f),
        double[] d => Tensor.FromArray(d),
        int[] i => Tensor.FromArray(i),
        long[] l => Tensor.FromArray(l),
        bool[] b => Tensor.FromArray(b),
        _ => throw new NotSupportedException(typeof(T).Name),
    };
}
