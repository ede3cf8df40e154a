using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gradgen.Kernels;

// The register-blocked micro-kernels of the single-precision matrix product. Each computes one MR×NR tile of C from
// a packed MR-row panel of A (kc steps of MR values) and an NR-column panel of B (kc steps of NR contiguous values:
// packed, or a row-major B's rows where they lie at small batches), with the accumulators held in registers for the
// whole k loop, then writes the tile once through GemmStore's rules.
// The vector kernels are unrolled by hand (keep the pattern when editing): the JIT then keeps every accumulator in a
// register, which matters more than anything else here (DESIGN.md 9). At the ragged edges of C the same kernel runs
// on zero-padded panels and writes only the valid rows and columns, with masked loads and stores.

/// <summary>How a micro-kernel writes its tile: <c>C = alpha·acc + beta·C</c>, then on the last k block bias and epilogue.</summary>
internal readonly unsafe struct GemmStore(float alpha, float beta, bool final)
{
    /// <summary>Factor of the product.</summary>
    public readonly float Alpha = alpha;

    /// <summary>Factor of the old C; 0 means C is not read at all (BLAS semantics: NaN there is ignored).</summary>
    public readonly float Beta = beta;

    /// <summary>Whether this is the last k block: add the bias and apply the epilogue.</summary>
    public readonly bool Final = final;
}

/// <summary>A micro-kernel of the single-precision matrix product.</summary>
internal unsafe interface ISgemmKernel
{
    /// <summary>Rows of the tile (the height of a packed A panel).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the tile (the width of a packed B panel).</summary>
    static abstract int NR { get; }

    /// <summary>Whether the kernel runs in hardware here.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>
    /// Computes the tile at <paramref name="c"/> from the packed panel <paramref name="a"/> and the panel
    /// <paramref name="b"/> over <paramref name="kc"/> steps, and writes its first <paramref name="rows"/> ≤ MR rows and
    /// <paramref name="cols"/> ≤ NR columns; <paramref name="other"/> is the same tile of the matrix an epilogue that
    /// reads one reads (null otherwise), rows <paramref name="ldOther"/> apart. The NR values of B for one step are
    /// contiguous and <paramref name="bStep"/> floats after the previous step's: NR for a packed panel, or B's leading
    /// dimension when the kernel reads a full-width panel of a row-major B where it lies (<see cref="Sgemm.ReadsBUnpacked"/>).
    /// </summary>
    static abstract void Run<TEpilogue>(int kc, float* a, float* b, nint bStep, float* c, nint ldc, in GemmStore store, float* bias, float* other, nint ldOther, int rows, int cols)
        where TEpilogue : IGemmEpilogue;
}

internal static partial class Sgemm
{
    /// <summary>Vector512 micro-kernel: 8 rows × 32 columns, 16 accumulators.</summary>
    internal readonly unsafe struct Avx512Kernel : ISgemmKernel
    {
        public static int MR => 8;
        public static int NR => 32;
        public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run<TEpilogue>(int kc, float* a, float* b, nint bStep, float* c, nint ldc, in GemmStore store, float* bias, float* other, nint ldOther, int rows, int cols)
            where TEpilogue : IGemmEpilogue
        {
            Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
            Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
                Vector512<float> x;
                x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
                x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
                x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
                a += 8;
                b += bStep;
            }

            Vector512<float> alpha = Vector512.Create(store.Alpha), beta = Vector512.Create(store.Beta);
            bool readC = store.Beta != 0f, final = store.Final;
            if (rows == 8 && cols == 32)
            {
                Row<TEpilogue>(c00, c01, c, alpha, beta, readC, final, bias, other);
                Row<TEpilogue>(c10, c11, c + 1 * ldc, alpha, beta, readC, final, bias, Offset(other, 1 * ldOther));
                Row<TEpilogue>(c20, c21, c + 2 * ldc, alpha, beta, readC, final, bias, Offset(other, 2 * ldOther));
                Row<TEpilogue>(c30, c31, c + 3 * ldc, alpha, beta, readC, final, bias, Offset(other, 3 * ldOther));
                Row<TEpilogue>(c40, c41, c + 4 * ldc, alpha, beta, readC, final, bias, Offset(other, 4 * ldOther));
                Row<TEpilogue>(c50, c51, c + 5 * ldc, alpha, beta, readC, final, bias, Offset(other, 5 * ldOther));
                Row<TEpilogue>(c60, c61, c + 6 * ldc, alpha, beta, readC, final, bias, Offset(other, 6 * ldOther));
                Row<TEpilogue>(c70, c71, c + 7 * ldc, alpha, beta, readC, final, bias, Offset(other, 7 * ldOther));
            }
            else
            {
                // A ragged tile at the edge of C: rows beyond `rows` are skipped, columns beyond `cols` masked off.
                Vector512<float> m0 = ColumnMask(cols), m1 = ColumnMask(cols - 16);
                RowMasked<TEpilogue>(c00, c01, c, alpha, beta, readC, final, bias, other, m0, m1);
                if (rows > 1)
                {
                    RowMasked<TEpilogue>(c10, c11, c + 1 * ldc, alpha, beta, readC, final, bias, Offset(other, 1 * ldOther), m0, m1);
                }

                if (rows > 2)
                {
                    RowMasked<TEpilogue>(c20, c21, c + 2 * ldc, alpha, beta, readC, final, bias, Offset(other, 2 * ldOther), m0, m1);
                }

                if (rows > 3)
                {
                    RowMasked<TEpilogue>(c30, c31, c + 3 * ldc, alpha, beta, readC, final, bias, Offset(other, 3 * ldOther), m0, m1);
                }

                if (rows > 4)
                {
                    RowMasked<TEpilogue>(c40, c41, c + 4 * ldc, alpha, beta, readC, final, bias, Offset(other, 4 * ldOther), m0, m1);
                }

                if (rows > 5)
                {
                    RowMasked<TEpilogue>(c50, c51, c + 5 * ldc, alpha, beta, readC, final, bias, Offset(other, 5 * ldOther), m0, m1);
                }

                if (rows > 6)
                {
                    RowMasked<TEpilogue>(c60, c61, c + 6 * ldc, alpha, beta, readC, final, bias, Offset(other, 6 * ldOther), m0, m1);
                }

                if (rows > 7)
                {
                    RowMasked<TEpilogue>(c70, c71, c + 7 * ldc, alpha, beta, readC, final, bias, Offset(other, 7 * ldOther), m0, m1);
                }
            }
        }

        /// <summary>Lanes i &lt; <paramref name="count"/> set.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> ColumnMask(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Row<TEpilogue>(Vector512<float> x0, Vector512<float> x1, float* c, Vector512<float> alpha, Vector512<float> beta, bool readC, bool final, float* bias, float* other)
            where TEpilogue : IGemmEpilogue
        {
            x0 *= alpha;
            x1 *= alpha;
            if (readC)
            {
                x0 = Vector512.FusedMultiplyAdd(beta, Vector512.Load(c), x0);
                x1 = Vector512.FusedMultiplyAdd(beta, Vector512.Load(c + 16), x1);
            }

            if (final)
            {
                if (bias != null)
                {
                    x0 += Vector512.Load(bias);
                    x1 += Vector512.Load(bias + 16);
                }

                if (TEpilogue.ReadsOther)
                {
                    x0 = TEpilogue.Apply(x0, Vector512.Load(other));
                    x1 = TEpilogue.Apply(x1, Vector512.Load(other + 16));
                }
                else
                {
                    x0 = TEpilogue.Apply(x0);
                    x1 = TEpilogue.Apply(x1);
                }
            }

            x0.Store(c);
            x1.Store(c + 16);
        }

        /// <summary><see cref="Row"/> touching only the lanes of the masks (masked loads do not fault past the end of C).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void RowMasked<TEpilogue>(Vector512<float> x0, Vector512<float> x1, float* c, Vector512<float> alpha, Vector512<float> beta, bool readC, bool final, float* bias, float* other, Vector512<float> m0, Vector512<float> m1)
            where TEpilogue : IGemmEpilogue
        {
            x0 *= alpha;
            x1 *= alpha;
            if (readC)
            {
                x0 = Vector512.FusedMultiplyAdd(beta, Avx512F.MaskLoad(c, m0, Vector512<float>.Zero), x0);
                x1 = Vector512.FusedMultiplyAdd(beta, Avx512F.MaskLoad(c + 16, m1, Vector512<float>.Zero), x1);
            }

            if (final)
            {
                if (bias != null)
                {
                    x0 += Avx512F.MaskLoad(bias, m0, Vector512<float>.Zero);
                    x1 += Avx512F.MaskLoad(bias + 16, m1, Vector512<float>.Zero);
                }

                if (TEpilogue.ReadsOther)
                {
                    x0 = TEpilogue.Apply(x0, Avx512F.MaskLoad(other, m0, Vector512<float>.Zero));
                    x1 = TEpilogue.Apply(x1, Avx512F.MaskLoad(other + 16, m1, Vector512<float>.Zero));
                }
                else
                {
                    x0 = TEpilogue.Apply(x0);
                    x1 = TEpilogue.Apply(x1);
                }
            }

            Avx512F.MaskStore(c, m0, x0);
            Avx512F.MaskStore(c + 16, m1, x1);
        }
    }

    /// <summary>Vector256 micro-kernel: 6 rows × 16 columns, 12 accumulators (fits the 16 registers of AVX2).</summary>
    internal readonly unsafe struct Avx2Kernel : ISgemmKernel
    {
        public static int MR => 6;
        public static int NR => 16;
        public static bool IsSupported => Vector256.IsHardwareAccelerated && Avx.IsSupported && Fma.IsSupported;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run<TEpilogue>(int kc, float* a, float* b, nint bStep, float* c, nint ldc, in GemmStore store, float* bias, float* other, nint ldOther, int rows, int cols)
            where TEpilogue : IGemmEpilogue
        {
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
                Vector256<float> x;
                x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
                x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
                x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
                x = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
                x = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
                a += 6;
                b += bStep;
            }

            Vector256<float> alpha = Vector256.Create(store.Alpha), beta = Vector256.Create(store.Beta);
            bool readC = store.Beta != 0f, final = store.Final;
            if (rows == 6 && cols == 16)
            {
                Row<TEpilogue>(c00, c01, c, alpha, beta, readC, final, bias, other);
                Row<TEpilogue>(c10, c11, c + 1 * ldc, alpha, beta, readC, final, bias, Offset(other, 1 * ldOther));
                Row<TEpilogue>(c20, c21, c + 2 * ldc, alpha, beta, readC, final, bias, Offset(other, 2 * ldOther));
                Row<TEpilogue>(c30, c31, c + 3 * ldc, alpha, beta, readC, final, bias, Offset(other, 3 * ldOther));
                Row<TEpilogue>(c40, c41, c + 4 * ldc, alpha, beta, readC, final, bias, Offset(other, 4 * ldOther));
                Row<TEpilogue>(c50, c51, c + 5 * ldc, alpha, beta, readC, final, bias, Offset(other, 5 * ldOther));
            }
            else
            {
                // A ragged tile at the edge of C: rows beyond `rows` are skipped, columns beyond `cols` masked off.
                Vector256<float> m0 = ColumnMask(cols), m1 = ColumnMask(cols - 8);
                RowMasked<TEpilogue>(c00, c01, c, alpha, beta, readC, final, bias, other, m0, m1);
                if (rows > 1)
                {
                    RowMasked<TEpilogue>(c10, c11, c + 1 * ldc, alpha, beta, readC, final, bias, Offset(other, 1 * ldOther), m0, m1);
                }

                if (rows > 2)
                {
                    RowMasked<TEpilogue>(c20, c21, c + 2 * ldc, alpha, beta, readC, final, bias, Offset(other, 2 * ldOther), m0, m1);
                }

                if (rows > 3)
                {
                    RowMasked<TEpilogue>(c30, c31, c + 3 * ldc, alpha, beta, readC, final, bias, Offset(other, 3 * ldOther), m0, m1);
                }

                if (rows > 4)
                {
                    RowMasked<TEpilogue>(c40, c41, c + 4 * ldc, alpha, beta, readC, final, bias, Offset(other, 4 * ldOther), m0, m1);
                }

                if (rows > 5)
                {
                    RowMasked<TEpilogue>(c50, c51, c + 5 * ldc, alpha, beta, readC, final, bias, Offset(other, 5 * ldOther), m0, m1);
                }
            }
        }

        /// <summary>Lanes i &lt; <paramref name="count"/> set.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> ColumnMask(int count) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Row<TEpilogue>(Vector256<float> x0, Vector256<float> x1, float* c, Vector256<float> alpha, Vector256<float> beta, bool readC, bool final, float* bias, float* other)
            where TEpilogue : IGemmEpilogue
        {
            x0 *= alpha;
            x1 *= alpha;
            if (readC)
            {
                x0 = Vector256.FusedMultiplyAdd(beta, Vector256.Load(c), x0);
                x1 = Vector256.FusedMultiplyAdd(beta, Vector256.Load(c + 8), x1);
            }

            if (final)
            {
                if (bias != null)
                {
                    x0 += Vector256.Load(bias);
                    x1 += Vector256.Load(bias + 8);
                }

                if (TEpilogue.ReadsOther)
                {
                    x0 = TEpilogue.Apply(x0, Vector256.Load(other));
                    x1 = TEpilogue.Apply(x1, Vector256.Load(other + 8));
                }
                else
                {
                    x0 = TEpilogue.Apply(x0);
                    x1 = TEpilogue.Apply(x1);
                }
            }

            x0.Store(c);
            x1.Store(c + 8);
        }

        /// <summary><see cref="Row"/> touching only the lanes of the masks (masked loads do not fault past the end of C).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void RowMasked<TEpilogue>(Vector256<float> x0, Vector256<float> x1, float* c, Vector256<float> alpha, Vector256<float> beta, bool readC, bool final, float* bias, float* other, Vector256<float> m0, Vector256<float> m1)
            where TEpilogue : IGemmEpilogue
        {
            x0 *= alpha;
            x1 *= alpha;
            if (readC)
            {
                x0 = Vector256.FusedMultiplyAdd(beta, Avx.MaskLoad(c, m0), x0);
                x1 = Vector256.FusedMultiplyAdd(beta, Avx.MaskLoad(c + 8, m1), x1);
            }

            if (final)
            {
                if (bias != null)
                {
                    x0 += Avx.MaskLoad(bias, m0);
                    x1 += Avx.MaskLoad(bias + 8, m1);
                }

                if (TEpilogue.ReadsOther)
                {
                    x0 = TEpilogue.Apply(x0, Avx.MaskLoad(other, m0));
                    x1 = TEpilogue.Apply(x1, Avx.MaskLoad(other + 8, m1));
                }
                else
                {
                    x0 = TEpilogue.Apply(x0);
                    x1 = TEpilogue.Apply(x1);
                }
            }

            Avx.MaskStore(c, m0, x0);
            Avx.MaskStore(c + 8, m1, x1);
        }
    }

    /// <summary>Portable scalar micro-kernel: 4×4, for machines without 256-bit vectors.</summary>
    internal readonly unsafe struct ScalarKernel : ISgemmKernel
    {
        public static int MR => 4;
        public static int NR => 4;
        public static bool IsSupported => true;

        public static void Run<TEpilogue>(int kc, float* a, float* b, nint bStep, float* c, nint ldc, in GemmStore store, float* bias, float* other, nint ldOther, int rows, int cols)
            where TEpilogue : IGemmEpilogue
        {
            float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
            float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
            for (int p = 0; p < kc; p++)
            {
                float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
                float x = a[0];
                c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
                x = a[1];
                c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
                x = a[2];
                c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
                x = a[3];
                c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
                a += 4;
                b += bStep;
            }

            float* tile = stackalloc float[16]
            {
                c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33,
            };
            for (int i = 0; i < rows; i++, c += ldc)
            {
                float* otherRow = Offset(other, i * ldOther);
                for (int j = 0; j < cols; j++)
                {
                    c[j] = StoreValue<TEpilogue>(tile[i * 4 + j], store.Beta != 0f ? c[j] : 0f, store, bias, otherRow, j);
                }
            }
        }
    }

    /// <summary>
    /// One element of C as the vector kernels write it, bit for bit: <c>alpha·acc</c>, then <c>fma(beta, C, ·)</c>
    /// where C is read, then on the last k block <c>+ bias</c> and the epilogue.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe float StoreValue<TEpilogue>(float acc, float old, in GemmStore store, float* bias, float* other, int column)
        where TEpilogue : IGemmEpilogue
    {
        float x = acc * store.Alpha;
        if (store.Beta != 0f)
        {
            x = MathF.FusedMultiplyAdd(store.Beta, old, x);
        }

        if (store.Final)
        {
            if (bias != null)
            {
                x += bias[column];
            }

            x = TEpilogue.ReadsOther ? TEpilogue.Apply(x, other[column]) : TEpilogue.Apply(x);
        }

        return x;
    }

    /// <summary><paramref name="p"/> + <paramref name="elements"/>, or null for null (a tile with no other matrix).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe float* Offset(float* p, nint elements) => p == null ? null : p + elements;
}
