using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gradgen.Kernels;

// Packing: copies a block of op(A) or op(B) into the panel layout the micro-kernels stream through. A panel of width w
// holds, for each step p of the k dimension, w consecutive values (w = MR rows of A, or NR columns of B), zero-padded
// where the block is narrower than w, so the kernels never test bounds.
//
// Row-major storage makes two cases of the four: the w values of one step are either contiguous in memory (A
// transposed, B not transposed: PackCopy) or one per row of the source (A not transposed, B transposed:
// PackTranspose, done with 8×8 in-register transposes).
internal static unsafe partial class Sgemm
{
    /// <summary>Packs the block of op(A) at <paramref name="a"/> (mc rows × kc steps) into MR-row panels.</summary>
    internal static void PackA(float* a, nint lda, bool transposeA, int mc, int kc, int mr, float* dst)
    {
        for (int i = 0; i < mc; i += mr, dst += (nint)mr * kc)
        {
            int rows = Math.Min(mr, mc - i);
            if (transposeA)
            {
                // op(A)(i, p) = a[p·lda + i]: the rows of one step are contiguous.
                PackCopy(a + i, lda, kc, rows, mr, dst);
            }
            else
            {
                // op(A)(i, p) = a[i·lda + p]: each row is contiguous along k.
                PackTranspose(a + i * lda, lda, kc, rows, mr, dst);
            }
        }
    }

    /// <summary>Packs the block of op(B) at <paramref name="b"/> (kc steps × nc columns) into NR-column panels.</summary>
    internal static void PackB(float* b, nint ldb, bool transposeB, int kc, int nc, int nr, float* dst)
    {
        for (int j = 0; j < nc; j += nr, dst += (nint)nr * kc)
        {
            int cols = Math.Min(nr, nc - j);
            if (transposeB)
            {
                // op(B)(p, j) = b[j·ldb + p]: each column is contiguous along k.
                PackTranspose(b + j * ldb, ldb, kc, cols, nr, dst);
            }
            else
            {
                // op(B)(p, j) = b[p·ldb + j]: the columns of one step are contiguous.
                PackCopy(b + j, ldb, kc, cols, nr, dst);
            }
        }
    }

    /// <summary><c>dst[p·w + j] = src[p·stride + j]</c> for j &lt; count, 0 for count ≤ j &lt; w.</summary>
    private static void PackCopy(float* src, nint stride, int kc, int count, int w, float* dst)
    {
        if (count == w && w == 32 && Vector512.IsHardwareAccelerated)
        {
            for (int p = 0; p < kc; p++, src += stride, dst += 32)
            {
                Vector512.Store(Vector512.Load(src), dst);
                Vector512.Store(Vector512.Load(src + 16), dst + 16);
            }

            return;
        }

        if (count == w && w % 8 == 0 && Vector256.IsHardwareAccelerated)
        {
            for (int p = 0; p < kc; p++, src += stride, dst += w)
            {
                for (int j = 0; j < w; j += 8)
                {
                    Vector256.Store(Vector256.Load(src + j), dst + j);
                }
            }

            return;
        }

        for (int p = 0; p < kc; p++, src += stride, dst += w)
        {
            int j = 0;
            for (; j < count; j++)
            {
                dst[j] = src[j];
            }

            for (; j < w; j++)
            {
                dst[j] = 0f;
            }
        }
    }

    /// <summary><c>dst[p·w + r] = src[r·stride + p]</c> for r &lt; count, 0 for count ≤ r &lt; w.</summary>
    private static void PackTranspose(float* src, nint stride, int kc, int count, int w, float* dst)
    {
        int p = 0;
        if (count == w && w % 8 == 0 && Avx.IsSupported)
        {
            for (; p + 8 <= kc; p += 8)
            {
                for (int g = 0; g < w; g += 8)
                {
                    Transpose8x8(src + g * stride + p, stride, dst + (nint)p * w + g, w);
                }
            }
        }

        for (; p < kc; p++)
        {
            float* d = dst + (nint)p * w;
            int r = 0;
            for (; r < count; r++)
            {
                d[r] = src[r * stride + p];
            }

            for (; r < w; r++)
            {
                d[r] = 0f;
            }
        }
    }

    /// <summary>Reads 8 rows of 8 floats (row r at <c>src + r·srcStride</c>) and writes column q to <c>dst + q·dstStride</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(src);
        Vector256<float> r1 = Avx.LoadVector256(src + srcStride);
        Vector256<float> r2 = Avx.LoadVector256(src + 2 * srcStride);
        Vector256<float> r3 = Avx.LoadVector256(src + 3 * srcStride);
        Vector256<float> r4 = Avx.LoadVector256(src + 4 * srcStride);
        Vector256<float> r5 = Avx.LoadVector256(src + 5 * srcStride);
        Vector256<float> r6 = Avx.LoadVector256(src + 6 * srcStride);
        Vector256<float> r7 = Avx.LoadVector256(src + 7 * srcStride);
        Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        Avx.Store(dst, r0);
        Avx.Store(dst + dstStride, r1);
        Avx.Store(dst + 2 * dstStride, r2);
        Avx.Store(dst + 3 * dstStride, r3);
        Avx.Store(dst + 4 * dstStride, r4);
        Avx.Store(dst + 5 * dstStride, r5);
        Avx.Store(dst + 6 * dstStride, r6);
        Avx.Store(dst + 7 * dstStride, r7);
    }

    /// <summary>Transposes the 8×8 matrix whose rows are <paramref name="r0"/>..<paramref name="r7"/> in registers: afterwards r_q holds column q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        // Pairs of rows interleaved: t0 = r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5], …
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        // Quads: u0 = r0..3[0] | r0..3[4], u1 = r0..3[1] | r0..3[5], …
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        r0 = Avx.Permute2x128(u0, u4, 0x20);
        r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20);
        r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31);
        r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31);
        r7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>This thread's packing buffer: pinned, 64-byte aligned, grown on demand and then reused by every call.</summary>
    [ThreadStatic]
    private static float[]? t_packBuffer;

    /// <summary>Where this thread's last <see cref="PackBuffer"/> request ends: the guard floats start there.</summary>
    [ThreadStatic]
    private static nint t_guardStart;

    /// <summary>
    /// Floats after every request that hold <see cref="GuardValue"/>: the buffer sits in the pinned object heap, where
    /// a write past it corrupts the next object and crashes the process at a later GC (a rounding left out of the size
    /// once did exactly that), so tests check the guard after each product (<see cref="PackBufferGuardIntact"/>).
    /// </summary>
    private const int GuardFloats = 16;

    private static readonly float GuardValue = BitConverter.Int32BitsToSingle(0x7FC0_DEAD);

    /// <summary>Returns a 64-byte aligned pointer to at least <paramref name="floats"/> floats owned by this thread.</summary>
    internal static float* PackBuffer(int floats)
    {
        float[]? buffer = t_packBuffer;
        if (buffer is null || buffer.Length < floats + 16 + GuardFloats)
        {
            // Pinned (the pinned object heap), so the pointer stays valid without a fixed statement.
            buffer = GC.AllocateUninitializedArray<float>(floats + 16 + GuardFloats, pinned: true);
            t_packBuffer = buffer;
        }

        float* p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        nint misalignment = (nint)p & 63;
        p = misalignment == 0 ? p : (float*)((byte*)p + (64 - misalignment));
        new Span<float>(p + floats, GuardFloats).Fill(GuardValue);
        t_guardStart = (nint)(p + floats);
        return p;
    }

    /// <summary>Whether the products this thread ran since its last <see cref="PackBuffer"/> request stayed inside it.</summary>
    internal static bool PackBufferGuardIntact()
    {
        if (t_guardStart == 0) return true;
        foreach (float f in new ReadOnlySpan<float>((float*)t_guardStart, GuardFloats))
        {
            if (BitConverter.SingleToInt32Bits(f) != BitConverter.SingleToInt32Bits(GuardValue)) return false;
        }

        return true;
    }
}
