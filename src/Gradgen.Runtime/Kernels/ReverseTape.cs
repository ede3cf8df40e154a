using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradgen.Kernels;

/// <summary>
/// The stack that generated reverse-mode code keeps between its forward and backward sweeps: values a loop overwrites
/// that the backward sweep reads again, the trip count of every loop and the branch taken by every <c>if</c>, pushed in
/// forward order and popped in reverse. One tape serves one call of a generated <c>…WithGradient</c> or
/// <c>…Backward</c> method; tapes are pooled per thread, so a warm call allocates nothing and a loop pushes no
/// allocation per iteration (the buffer doubles when it fills).
/// </summary>
/// <remarks>Generated code calls this; user code has no reason to.</remarks>
public sealed class ReverseTape
{
    [ThreadStatic] private static ReverseTape? free;

    private byte[] buffer = new byte[1024];
    private int top;

    // Scratch memory of the current call (Scratch): kept by the tape between calls, so a warm call allocates none.
    private byte[]?[] scratch = new byte[]?[4];
    private int scratchCount;
    private ReverseTape? nextFree;

    private ReverseTape()
    {
    }

    /// <summary>Takes an empty tape from this thread's pool (or a new one); give it back with <see cref="Return"/>.</summary>
    public static ReverseTape Rent()
    {
        var tape = free;
        if (tape is null)
        {
            return new ReverseTape();
        }

        free = tape.nextFree;
        tape.nextFree = null;
        return tape;
    }

    /// <summary>Empties the tape and puts it back in this thread's pool.</summary>
    public void Return()
    {
        top = 0;
        scratchCount = 0;
        nextFree = free;
        free = this;
    }

    /// <summary>The number of bytes the tape holds now (for tests of the generated code).</summary>
    public int Size => top;

    /// <summary>Pushes a value.</summary>
    /// <typeparam name="T">An unmanaged value type: the element type, <see cref="int"/>, <see cref="long"/> or <see cref="bool"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push<T>(T value)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (top + size > buffer.Length)
        {
            Grow(size);
        }

        Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(buffer), (nint)(uint)top), value);
        top += size;
    }

    /// <summary>Pops the value pushed last; the generated code pops exactly what it pushed, in reverse order.</summary>
    /// <typeparam name="T">The type it was pushed as.</typeparam>
    /// <exception cref="InvalidOperationException">The tape is empty (a bug in the generated code).</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Pop<T>()
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (top < size)
        {
            ThrowEmpty();
        }

        top -= size;
        return Unsafe.ReadUnaligned<T>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(buffer), (nint)(uint)top));
    }

    /// <summary>
    /// Pushes <paramref name="length"/> zeros and returns them to be written: a callee's gradients, kept for the
    /// backward sweep. The span is valid until the next push (which may move the buffer); write it before that.
    /// </summary>
    /// <typeparam name="T">An unmanaged value type.</typeparam>
    /// <param name="length">The number of elements.</param>
    /// <returns>The pushed elements.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public Span<T> PushZeroed<T>(int length)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long size = (long)length * Unsafe.SizeOf<T>();
        if (top + size > buffer.Length)
        {
            Grow(size);
        }

        var bytes = buffer.AsSpan(top, (int)size);
        bytes.Clear();
        top += (int)size;
        return MemoryMarshal.Cast<byte, T>(bytes);
    }

    /// <summary>Pops <paramref name="target"/>'s length of values pushed by <see cref="PushZeroed{T}"/> and adds <paramref name="scale"/> times each to <paramref name="target"/>.</summary>
    /// <param name="scale">The incoming gradient.</param>
    /// <param name="target">The adjoints to add to, as long as the pushed span.</param>
    /// <exception cref="InvalidOperationException">The tape holds fewer values (a bug in the generated code).</exception>
    public void PopAddScaled(double scale, Span<double> target) => AddScaled(scale, PopSpan<double>(target.Length), target);

    /// <inheritdoc cref="PopAddScaled(double, Span{double})"/>
    public void PopAddScaled(float scale, Span<float> target) => AddScaled(scale, PopSpan<float>(target.Length), target);

    /// <summary>
    /// Zeroed scratch memory for the current call (a local array, a <c>…Backward</c>'s outputs), valid until
    /// <see cref="Return"/>. Its memory stays with the tape, so a warm call of the same sizes allocates nothing.
    /// </summary>
    /// <typeparam name="T">An unmanaged value type.</typeparam>
    /// <param name="length">The number of elements.</param>
    /// <returns>The elements, zeroed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The memory would be larger than an array can hold.</exception>
    public Span<T> Scratch<T>(int length)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long size = (long)length * Unsafe.SizeOf<T>();
        if (size > Array.MaxLength)
        {
            throw new InvalidOperationException($"A local array of {length} elements needs {size} bytes, more than an array can hold.");
        }

        if (scratchCount == scratch.Length)
        {
            Array.Resize(ref scratch, scratch.Length * 2);
        }

        ref byte[]? slot = ref scratch[scratchCount++];
        if (slot is null || slot.Length < size)
        {
            slot = new byte[size];
        }

        var bytes = slot.AsSpan(0, (int)size);
        bytes.Clear();
        return MemoryMarshal.Cast<byte, T>(bytes);
    }

    private ReadOnlySpan<T> PopSpan<T>(int length)
        where T : unmanaged
    {
        int size = length * Unsafe.SizeOf<T>();
        if (top < size)
        {
            ThrowEmpty();
        }

        top -= size;
        return MemoryMarshal.Cast<byte, T>(buffer.AsSpan(top, size));
    }

    private static void AddScaled<T>(T scale, ReadOnlySpan<T> values, Span<T> target)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] += scale * values[i];
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(long size)
    {
        long wanted = Math.Max((long)buffer.Length * 2, (long)top + size);
        if (wanted > Array.MaxLength)
        {
            throw new InvalidOperationException($"The reverse-mode tape would need {wanted} bytes, more than an array can hold: the loop records too many values; split the computation.");
        }

        Array.Resize(ref buffer, (int)wanted);
    }

    private static void ThrowEmpty() =>
        throw new InvalidOperationException("The reverse-mode tape is empty: the generated backward sweep popped more than its forward sweep pushed.");
}
