using System.Runtime.InteropServices;

namespace Gradgen;

/// <summary>The memory behind one or more tensors (a tensor and its views share one storage and its version counter).</summary>
/// <remarks>
/// Large storages rent their array from <see cref="StoragePool{T}"/> and give it back in one of two ways (docs/tensors.md,
/// "Memory"): <see cref="Release"/>, called by the autograd engine for the gradients it creates and consumes itself,
/// or the finalizer of their <see cref="PooledArray{T}"/> once no tensor can reach the storage. A storage whose
/// elements were handed out as a span the runtime does not control (<see cref="MarkExposed"/>) never gives its array back.
/// </remarks>
internal abstract class Storage
{
    /// <summary>PyTorch's version counter: bumped by every in-place change, checked by saved tensors in backward.</summary>
    public int Version;

    /// <summary>
    /// The autograd engine's bookkeeping: the id of the <c>Backward</c> call that allocated this storage (0: none),
    /// so that the engine knows which gradients are its own temporaries, and how many of its pending gradients use
    /// the storage. Only the thread running that call reads or writes them.
    /// </summary>
    internal int backwardRun;
    internal int engineRefs;

    public abstract DType DType { get; }

    public abstract int Length { get; }

    /// <summary>Whether the memory is a pooled array that can still go back to the pool.</summary>
    public virtual bool IsReturnable => false;

    /// <summary>Gives a pooled array back now; every later access to the storage throws. Nothing may hold a span over it.</summary>
    public virtual void Release()
    {
    }

    /// <summary>A span over the elements escaped to code the runtime does not control: never give the array back.</summary>
    public virtual void MarkExposed()
    {
    }

    public static Storage Allocate(DType dtype, int length, bool zeroed = true)
    {
        Storage s = dtype switch
        {
            DType.Float32 => Storage<float>.Allocate(length, zeroed),
            DType.Float64 => Storage<double>.Allocate(length, zeroed),
            DType.Int32 => Storage<int>.Allocate(length, zeroed),
            DType.Int64 => Storage<long>.Allocate(length, zeroed),
            _ => Storage<bool>.Allocate(length, zeroed),
        };
        s.backwardRun = EngineGradients.CurrentRun;
        return s;
    }
}

/// <summary>Storage of elements of type <typeparamref name="T"/>, over an array (possibly pooled) or a caller's <see cref="Memory{T}"/>.</summary>
internal sealed class Storage<T> : Storage where T : unmanaged
{
    static readonly DType dtype = DTypes.Of<T>();
    T[]? array;
    readonly int length;
    readonly Memory<T> memory;
    PooledArray<T>? lease;

    public Storage(T[] array)
    {
        this.array = array;
        length = array.Length;
    }

    public Storage(Memory<T> memory)
    {
        if (MemoryMarshal.TryGetArray<T>(memory, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length)
            array = seg.Array;
        this.memory = memory;
        length = memory.Length;
    }

    /// <summary>A storage of <paramref name="length"/> elements over a pooled array (which may be longer).</summary>
    Storage(PooledArray<T> lease, int length)
    {
        array = lease.Array;
        this.length = length;
        this.lease = lease;
    }

    /// <summary>A new storage: a pooled array from <see cref="StoragePool.MinimumBytes"/> up, else a fresh one.</summary>
    public static Storage<T> Allocate(int length, bool zeroed)
    {
        if (StoragePool<T>.Pools(length)) return new Storage<T>(new PooledArray<T>(StoragePool<T>.Rent(length, zeroed)), length);
        return new Storage<T>(zeroed || length < 256 ? new T[length] : GC.AllocateUninitializedArray<T>(length));
    }

    public override DType DType => dtype;

    public override int Length => length;

    public Span<T> Span => array is not null ? new Span<T>(array, 0, length) : SpanWithoutArray();

    Span<T> SpanWithoutArray() => lease is not null
        ? throw new ObjectDisposedException(nameof(Tensor), "This tensor's memory was given back to the storage cache: the tensor is an autograd temporary that the engine has consumed.")
        : memory.Span;

    public override bool IsReturnable => lease is { Array: not null };

    public override void Release()
    {
        var l = lease;
        if (l is null) return;
        var a = l.Take();
        array = null;
        if (a is not null) StoragePool<T>.Return(a);
    }

    public override void MarkExposed()
    {
        var l = lease;
        if (l is null) return;
        lease = null;
        l.Take();
    }
}

/// <summary>
/// The pooled array of one storage. Only its storage references it, so its finalizer runs once no tensor can reach
/// the storage, and gives the array back to the pool: the GC's reachability is the reference count.
/// </summary>
internal sealed class PooledArray<T>(T[] array) where T : unmanaged
{
    T[]? array = array;

    public T[]? Array => array;

    /// <summary>Takes the array out (null if already taken) and cancels the finalizer.</summary>
    public T[]? Take()
    {
        var a = Interlocked.Exchange(ref array, null);
        GC.SuppressFinalize(this);
        return a;
    }

    ~PooledArray()
    {
        var a = array;
        if (a is not null) StoragePool<T>.Return(a);
    }
}
