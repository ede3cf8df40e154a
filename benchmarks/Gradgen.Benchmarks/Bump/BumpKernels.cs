using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gradgen.Benchmarks.Bump;

/// <summary>
/// Hand-written implementations of "value and derivative of Bump over a span": what the generated
/// <c>Curves.BumpWithGradient(ReadOnlySpan&lt;float&gt;, Span&lt;float&gt;, Span&lt;float&gt;)</c> is measured against.
/// Each writes <c>value[i] = Bump(x[i])</c> and <c>dx[i] = Bump'(x[i])</c> in one pass.
/// </summary>
public static class BumpKernels
{
    const float TwoPi = BumpMath.TwoPi;
    const float MinusTwoThirds = -2f / 3f;
    const float MinusOneThird = -1f / 3f;

    static void CheckLengths(ReadOnlySpan<float> x, Span<float> value, Span<float> dx)
    {
        if (value.Length != x.Length || dx.Length != x.Length)
        {
            throw new ArgumentException(
                $"spans must have equal lengths: x has {x.Length}, value {value.Length}, dx {dx.Length}");
        }
    }

    /// <summary>A plain loop over <see cref="MathF"/>: what one writes without thinking about SIMD.</summary>
    public static void ScalarMathF(ReadOnlySpan<float> x, Span<float> value, Span<float> dx)
    {
        CheckLengths(x, value, dx);
        for (int i = 0; i < x.Length; i++)
        {
            float xi = x[i];
            (float s, float c) = MathF.SinCos(TwoPi * xi);
            float d = xi - 5;
            float e = MathF.Exp(-d * d / 3);
            value[i] = s * e;
            dx[i] = (TwoPi * c - 2f / 3f * d * s) * e;
        }
    }

    /// <summary>One fused Vector256 loop over the BCL's <see cref="Vector256.SinCos(Vector256{float})"/> and
    /// <see cref="Vector256.Exp(Vector256{float})"/> (.NET 9+); the last vector overlaps the previous one.</summary>
    public static void FusedVector256Bcl(ReadOnlySpan<float> x, Span<float> value, Span<float> dx)
    {
        CheckLengths(x, value, dx);
        int n = x.Length;
        int width = Vector256<float>.Count;
        if (n < width)
        {
            ScalarMathF(x, value, dx);
            return;
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float vr = ref MemoryMarshal.GetReference(value);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        for (; i <= n - width; i += width)
        {
            Vector256Step(ref xr, ref vr, ref dr, (nuint)i);
        }

        if (i < n)
        {
            Vector256Step(ref xr, ref vr, ref dr, (nuint)(n - width));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Vector256Step(ref float xr, ref float vr, ref float dr, nuint i)
    {
        Vector256<float> xv = Vector256.LoadUnsafe(ref xr, i);
        (Vector256<float> s, Vector256<float> c) = Vector256.SinCos(xv * TwoPi);
        Vector256<float> d = xv - Vector256.Create(5f);
        Vector256<float> e = Vector256.Exp(d * d * MinusOneThird);
        (s * e).StoreUnsafe(ref vr, i);
        (Vector256.FusedMultiplyAdd(Vector256.Create(TwoPi), c, d * s * MinusTwoThirds) * e).StoreUnsafe(ref dr, i);
    }

    /// <summary>One fused Vector512 loop with inlined Cephes polynomials (<see cref="PolynomialMath"/>): the practical
    /// limit for a generated kernel. Spans shorter than one vector go through a padded stack buffer.</summary>
    public static void FusedVector512Polynomial(ReadOnlySpan<float> x, Span<float> value, Span<float> dx)
    {
        CheckLengths(x, value, dx);
        int n = x.Length;
        int width = Vector512<float>.Count;
        if (n < width)
        {
            Span<float> buffer = stackalloc float[3 * 16];
            Span<float> bx = buffer[..16], bv = buffer.Slice(16, 16), bd = buffer.Slice(32, 16);
            x.CopyTo(bx);
            Vector512Step(ref bx[0], ref bv[0], ref bd[0], 0);
            bv[..n].CopyTo(value);
            bd[..n].CopyTo(dx);
            return;
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float vr = ref MemoryMarshal.GetReference(value);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        for (; i <= n - width; i += width)
        {
            Vector512Step(ref xr, ref vr, ref dr, (nuint)i);
        }

        if (i < n)
        {
            Vector512Step(ref xr, ref vr, ref dr, (nuint)(n - width));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Vector512Step(ref float xr, ref float vr, ref float dr, nuint i)
    {
        Vector512<float> xv = Vector512.LoadUnsafe(ref xr, i);
        PolynomialMath.SinCos(xv * TwoPi, out Vector512<float> s, out Vector512<float> c);
        Vector512<float> d = xv - Vector512.Create(5f);
        Vector512<float> e = PolynomialMath.Exp(d * d * MinusOneThird);
        (s * e).StoreUnsafe(ref vr, i);
        (Vector512.FusedMultiplyAdd(Vector512.Create(TwoPi), c, d * s * MinusTwoThirds) * e).StoreUnsafe(ref dr, i);
    }

    /// <summary>
    /// The bandwidth probe: reads N floats and writes 2N (value and derivative), the least traffic any
    /// value-and-gradient kernel has. <c>value = x</c>, <c>dx = x</c>, Vector512 wide.
    /// </summary>
    public static void MemoryTraffic(ReadOnlySpan<float> x, Span<float> value, Span<float> dx)
    {
        CheckLengths(x, value, dx);
        int n = x.Length;
        int width = Vector512<float>.Count;
        if (n < width)
        {
            x.CopyTo(value);
            x.CopyTo(dx);
            return;
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float vr = ref MemoryMarshal.GetReference(value);
        ref float dr = ref MemoryMarshal.GetReference(dx);
        int i = 0;
        for (; i <= n - width; i += width)
        {
            Vector512<float> xv = Vector512.LoadUnsafe(ref xr, (nuint)i);
            xv.StoreUnsafe(ref vr, (nuint)i);
            xv.StoreUnsafe(ref dr, (nuint)i);
        }

        if (i < n)
        {
            Vector512<float> xv = Vector512.LoadUnsafe(ref xr, (nuint)(n - width));
            xv.StoreUnsafe(ref vr, (nuint)(n - width));
            xv.StoreUnsafe(ref dr, (nuint)(n - width));
        }
    }
}
