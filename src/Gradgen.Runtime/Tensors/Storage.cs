using System.Runtime.InteropServices;

namespace Gradgen;

/// <summary>The memory behind one or more tensors (a tensor and its views share one storage and its version counter).</summary>
internal abstract class Storage
{
    /// <summary>PyTorch's version counter: bumped by every in-place change, checked by saved tensors in backward.</summary>
    public int Version;

    public abstract DType DType { get; }

    public abstract int Length { get; }

    public static Storage Allocate(DType dtype, int length, bool zeroed = true) => dtype switch
    {
        DType.Float32 => new Storage<float>(Alloc<float>(length, zeroed)),
        DType.Float64 => new Storage<double>(Alloc<double>(length, zeroed)),
        DType.Int32 => new Storage<int>(Alloc<int>(length, zeroed)),
        DType.Int64 => new Storage<long>(Alloc<long>(length, zeroed)),
        _ => new Storage<bool>(Alloc<bool>(length, zeroed)),
    };

    static T[] Alloc<T>(int length, bool zeroed) =>
        zeroed || length < 256 ? new T[length] : GC.AllocateUninitializedArray<T>(length);
}

/// <summary>Storage of elements of type <typeparamref name="T"/>, over an array or a caller's <see cref="Memory{T}"/>.</summary>
internal sealed class Storage<T> : Storage where T : unmanaged
{
    static readonly DType dtype = DTypes.Of<T>();
    readonly T[]? array;
    readonly Memory<T> memory;

    public Storage(T[] array)
    {
        this.array = array;
        memory = array;
    }

    public Storage(Memory<T> memory)
    {
        if (MemoryMarshal.TryGetArray<T>(memory, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length)
            array = seg.Array;
        this.memory = memory;
    }

    public override DType DType => dtype;

    public override int Length => memory.Length;

    public Span<T> Span => array is not null ? array.AsSpan() : memory.Span;

    public Memory<T> Memory => memory;
}
