using Gradgen.Nn;

namespace Gradgen.Distributed;

/// <summary>A parameter's place in a <see cref="GradientBucket"/>: which elements of the bucket hold its gradient.</summary>
internal sealed class BucketSlot(string name, Parameter parameter, int bucket, int offset)
{
    public string Name { get; } = name;

    public Parameter Parameter { get; } = parameter;

    public int Bucket { get; } = bucket;

    public int Offset { get; } = offset;

    /// <summary>Whether the parameter's gradient for the running synchronisation has been copied into the bucket.</summary>
    public bool Ready { get; set; }
}

/// <summary>
/// The gradients of several parameters of one dtype in one pinned array, reduced by one allreduce (PyTorch's DDP
/// <c>Bucket</c>): few large messages cost less than many small ones, and a bucket can be sent as soon as its own
/// gradients are ready, while backward computes the others.
/// </summary>
internal abstract class GradientBucket(int index)
{
    readonly List<BucketSlot> slots = [];

    public int Index { get; } = index;

    public IReadOnlyList<BucketSlot> Slots => slots;

    /// <summary>The number of elements.</summary>
    public int Count { get; private set; }

    /// <summary>The number of slots whose gradient has not arrived in the running synchronisation.</summary>
    public int Missing { get; set; }

    /// <summary>The bucket's allreduce, once started.</summary>
    public PendingCollective? Collective { get; set; }

    public abstract DType DType { get; }

    /// <summary>The size of the bucket's array in bytes.</summary>
    public long Bytes => (long)Count * ElementSize(DType);

    /// <summary>The bytes of one element of a Float32 or Float64 gradient.</summary>
    public static int ElementSize(DType dtype) => dtype == DType.Float64 ? sizeof(double) : sizeof(float);

    public BucketSlot Add(string name, Parameter parameter)
    {
        var slot = new BucketSlot(name, parameter, Index, Count);
        slots.Add(slot);
        Count = checked(Count + parameter.NumElements);
        return slot;
    }

    /// <summary>Allocates the array once every slot is known.</summary>
    public abstract void Allocate();

    /// <summary>Copies <paramref name="slot"/>'s gradient into the bucket.</summary>
    public abstract void CopyIn(BucketSlot slot);

    /// <summary>Writes <paramref name="scale"/> times the reduced elements back into every slot's gradient.</summary>
    public abstract void CopyOut(double scale);

    /// <summary>Starts the sum over ranks of the bucket's elements.</summary>
    public abstract PendingCollective StartAllReduce(ProcessGroup group);

    public static GradientBucket Create(int index, DType dtype) => dtype switch
    {
        DType.Float32 => new GradientBucket<float>(index),
        DType.Float64 => new GradientBucket<double>(index),
        _ => throw new NotSupportedException($"DistributedDataParallel: gradients of dtype {dtype} cannot be reduced; parameters must be Float32 or Float64."),
    };
}

/// <summary>A <see cref="GradientBucket"/> of <typeparamref name="T"/> elements.</summary>
internal sealed class GradientBucket<T>(int index) : GradientBucket(index) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    T[] elements = [];

    public override DType DType => typeof(T) == typeof(float) ? DType.Float32 : DType.Float64;

    public override void Allocate() => elements = GC.AllocateArray<T>(Count, pinned: true);

    public override void CopyIn(BucketSlot slot)
    {
        var grad = slot.Parameter.Grad!;
        var destination = elements.AsSpan(slot.Offset, grad.NumElements);
        if (grad.DType == DType && grad.IsContiguous && grad.Device.Type == DeviceType.Cpu) grad.AsSpan<T>().CopyTo(destination);
        else grad.ToArray<T>().CopyTo(destination);
    }

    public override void CopyOut(double scale)
    {
        T factor = T.CreateChecked(scale);
        foreach (var slot in Slots)
        {
            var p = slot.Parameter;
            var source = elements.AsSpan(slot.Offset, p.NumElements);
            var grad = p.Grad!;
            if (grad.DType == DType && grad.IsContiguous && grad.Device.Type == DeviceType.Cpu)
            {
                var target = grad.AsSpan<T>();
                for (int i = 0; i < source.Length; i++) target[i] = source[i] * factor;
            }
            else
            {
                var averaged = source.ToArray();
                for (int i = 0; i < averaged.Length; i++) averaged[i] *= factor;
                using (Autograd.NoGrad()) grad.CopyFrom(TensorCollective.FromArray(averaged).Reshape(p.Shape.ToArray()));
            }
        }
    }

    public override PendingCollective StartAllReduce(ProcessGroup group) =>
        group.StartAllReduce(elements, Count, ReduceOp.Sum, $"allreduce of gradient bucket {Index} ({Count:N0} {DType} elements, {Slots.Count} parameter(s) from '{Slots[0].Name}')");
}
