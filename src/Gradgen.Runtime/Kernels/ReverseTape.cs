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

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int size)
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
