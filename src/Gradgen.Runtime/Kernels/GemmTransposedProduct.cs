using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gradgen.Kernels;

// C = op(A)·Bᵀ with few rows (a layer's forward Y = X·Wᵀ at a training batch) computed as its transpose
// Cᵀ = B·op(A)ᵀ, so that the large operand B (the weight W, stored n×k) is read where it lies and never packed.
//
// In the blocked algorithm B is packed into 32-column panels with 8×8 transposes, and at m = 64 rows each packed
// panel serves only 8 tiles: packing the weights was about a tenth of the quickstart step (docs/benchmarks.md §6.5).
// Here the roles are swapped: op(A)ᵀ, small (at most TransposedProductMaxRows × k), is packed once per k block into 32-wide panels,
// and the Vector512 kernel broadcasts the 8 values of a step from 8 rows of B directly (they are contiguous along
// k, so each row streams forward). The 8×32 tile of Cᵀ is written into C as 32 rows of 8 columns after 8×8
// transposes in registers, through the same store rules as the other kernels (alpha, beta, bias per column of C,
// the epilogue, the second matrix an epilogue reads), on Vector256 rows.
//
// Every element is the same sum in the same order as in the blocked path (the same k blocks, the same fused
// multiply-adds: a·b = b·a exactly), so the results are bit for bit those of the blocked path on any thread count.
internal static unsafe partial class Sgemm
{
    /// <summary>Rows of C up to which a product with B transposed runs as its transpose (<see cref="RunTransposedProduct{TEpilogue}"/>).</summary>
    internal const int TransposedProductMaxRows = 64;

    /// <summary>Whether the Vector512 product runs as its transpose, B read where it lies (<see cref="TransposedProductMaxRows"/>).</summary>
    internal static bool RunsAsTransposedProduct(in SgemmArgs g) => g.TransposeB && g.M <= TransposedProductMaxRows;

    /// <summary>Runs the product as its transpose on up to <paramref name="maxThreads"/> threads, which split C's columns (B's rows).</summary>
    private static void RunTransposedProduct<TEpilogue>(in SgemmArgs args, int maxThreads)
        where TEpilogue : IGemmEpilogue
    {
        // A tile of Cᵀ is 8 columns × 32 rows of C; threads split C along those tile boundaries.
        (int tm, int tn) = ThreadGrid(args.M, args.N, args.K, maxThreads, 32, 8);
        if (tm * tn == 1)
        {
            TransposedBlocked<TEpilogue>(args);
            return;
        }

        GemmParallelJob.Run(args, tm, tn, 32, 8, &TransposedBlocked<TEpilogue>);
    }

    /// <summary>The loops of the transposed product on one thread: per k block, pack op(A)ᵀ, then every 8 rows of B against every 32-wide panel.</summary>
    private static void TransposedBlocked<TEpilogue>(in SgemmArgs g)
        where TEpilogue : IGemmEpilogue
    {
        int m = g.M, n = g.N, k = g.K;
        int kc = KBlock(k);
        // The packed panels of op(A)ᵀ, then one 8×32 tile of Cᵀ (64-byte aligned: the panels' size is a multiple of 16).
        int aFloats = (m + 31) / 32 * 32 * kc;
        float* packA = PackBuffer(aFloats + 8 * 32);
        float* tile = packA + aFloats;
        for (int pc = 0; pc < k; pc += kc)
        {
            int kcur = Math.Min(kc, k - pc);

            // Column i of op(A)ᵀ is row i of op(A): PackB of op(A)ᵀ, which is stored transposed exactly when A is not.
            float* aBlock = g.TransposeA ? g.A + pc * g.Lda : g.A + pc;
            PackB(aBlock, g.Lda, !g.TransposeA, kcur, m, 32, packA);
            GemmStore store = new(g.Alpha, pc == 0 ? g.Beta : 1f, pc + kcur == k);

            // Eight rows of B (8 KiB at kc = 256) stay in L1 while every panel of op(A)ᵀ passes them (the other
            // order, each panel in L1 while B streams past, measured the same).
            for (int j = 0; j < n; j += 8)
            {
                int cols = Math.Min(8, n - j);
                float* b = g.B + j * g.Ldb + pc;
                float* bias = g.Bias == null ? null : g.Bias + j;
                for (int i = 0; i < m; i += 32)
                {
                    TransposedKernel(kcur, b, g.Ldb, packA + (nint)i * kcur, g.Alpha, cols, tile);
                    float* c = g.C + i * g.Ldc + j;
                    float* other = g.Other == null ? null : g.Other + i * g.LdOther + j;
                    int rows = Math.Min(32, m - i);
                    for (int first = 0; first < rows; first += 8)
                    {
                        StoreRows<TEpilogue>(tile + first, c + first * g.Ldc, g.Ldc, store, bias, Offset(other, first * g.LdOther), g.LdOther, Math.Min(8, rows - first), cols);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Computes one 8×32 tile of Cᵀ (32 rows × 8 columns of C): the rows of B at <paramref name="b"/>
    /// (<paramref name="ldb"/> apart, read where they lie; only the first <paramref name="cols"/> exist) times the
    /// packed 32-wide panel <paramref name="a"/> of op(A)ᵀ over <paramref name="kc"/> steps, times alpha, into
    /// <paramref name="tile"/> (column R of C at <c>tile + 32·R</c>).
    /// </summary>
    /// <remarks>Not inlined: its k loop is then compiled on its own, as checked in the disassembly (no spills).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void TransposedKernel(int kc, float* b, nint ldb, float* a, float alphaValue, int cols, float* tile)
    {
        // Past the last column of C the kernel reads B's last valid row again (in bounds); those sums are not written.
        float* b0 = b, b1 = b + Math.Min(1, cols - 1) * ldb, b2 = b + Math.Min(2, cols - 1) * ldb, b3 = b + Math.Min(3, cols - 1) * ldb;
        float* b4 = b + Math.Min(4, cols - 1) * ldb, b5 = b + Math.Min(5, cols - 1) * ldb, b6 = b + Math.Min(6, cols - 1) * ldb, b7 = b + Math.Min(7, cols - 1) * ldb;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (nint p = 0; p < kc; p++)
        {
            Vector512<float> a0 = Vector512.Load(a), a1 = Vector512.Load(a + 16);
            Vector512<float> x;
            x = Vector512.Create(b0[p]); c00 = Vector512.FusedMultiplyAdd(x, a0, c00); c01 = Vector512.FusedMultiplyAdd(x, a1, c01);
            x = Vector512.Create(b1[p]); c10 = Vector512.FusedMultiplyAdd(x, a0, c10); c11 = Vector512.FusedMultiplyAdd(x, a1, c11);
            x = Vector512.Create(b2[p]); c20 = Vector512.FusedMultiplyAdd(x, a0, c20); c21 = Vector512.FusedMultiplyAdd(x, a1, c21);
            x = Vector512.Create(b3[p]); c30 = Vector512.FusedMultiplyAdd(x, a0, c30); c31 = Vector512.FusedMultiplyAdd(x, a1, c31);
            x = Vector512.Create(b4[p]); c40 = Vector512.FusedMultiplyAdd(x, a0, c40); c41 = Vector512.FusedMultiplyAdd(x, a1, c41);
            x = Vector512.Create(b5[p]); c50 = Vector512.FusedMultiplyAdd(x, a0, c50); c51 = Vector512.FusedMultiplyAdd(x, a1, c51);
            x = Vector512.Create(b6[p]); c60 = Vector512.FusedMultiplyAdd(x, a0, c60); c61 = Vector512.FusedMultiplyAdd(x, a1, c61);
            x = Vector512.Create(b7[p]); c70 = Vector512.FusedMultiplyAdd(x, a0, c70); c71 = Vector512.FusedMultiplyAdd(x, a1, c71);
            a += 32;
        }

        // cRh holds Cᵀ row R (column R of C) for rows 16h..16h+15 of C. Stored to the tile and written into C by the
        // caller: with the stores into C in this method, the JIT spilled accumulators inside the loop (disassembly).
        Vector512<float> alpha = Vector512.Create(alphaValue);
        (c00 * alpha).Store(tile);
        (c01 * alpha).Store(tile + 16);
        (c10 * alpha).Store(tile + 32);
        (c11 * alpha).Store(tile + 48);
        (c20 * alpha).Store(tile + 64);
        (c21 * alpha).Store(tile + 80);
        (c30 * alpha).Store(tile + 96);
        (c31 * alpha).Store(tile + 112);
        (c40 * alpha).Store(tile + 128);
        (c41 * alpha).Store(tile + 144);
        (c50 * alpha).Store(tile + 160);
        (c51 * alpha).Store(tile + 176);
        (c60 * alpha).Store(tile + 192);
        (c61 * alpha).Store(tile + 208);
        (c70 * alpha).Store(tile + 224);
        (c71 * alpha).Store(tile + 240);
    }

    /// <summary>
    /// Writes <paramref name="count"/> ≤ 8 rows of C from the tile of Cᵀ (times alpha) at <paramref name="tile"/>, whose
    /// column R of C starts at <c>tile + 32·R</c>: one 8×8 transpose makes each row of C 8 contiguous columns.
    /// </summary>
    private static void StoreRows<TEpilogue>(float* tile, float* c, nint ldc, in GemmStore store, float* bias, float* other, nint ldOther, int count, int cols)
        where TEpilogue : IGemmEpilogue
    {
        Vector256<float> r0 = Vector256.Load(tile), r1 = Vector256.Load(tile + 32), r2 = Vector256.Load(tile + 64), r3 = Vector256.Load(tile + 96);
        Vector256<float> r4 = Vector256.Load(tile + 128), r5 = Vector256.Load(tile + 160), r6 = Vector256.Load(tile + 192), r7 = Vector256.Load(tile + 224);
        Transpose8x8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        Vector256<float> beta = Vector256.Create(store.Beta);
        Vector256<float> mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(cols)).AsSingle();
        bool readC = store.Beta != 0f, final = store.Final;
        StoreRow<TEpilogue>(r0, c, beta, readC, final, bias, other, mask, cols);
        if (count > 1) StoreRow<TEpilogue>(r1, c + ldc, beta, readC, final, bias, Offset(other, ldOther), mask, cols);
        if (count > 2) StoreRow<TEpilogue>(r2, c + 2 * ldc, beta, readC, final, bias, Offset(other, 2 * ldOther), mask, cols);
        if (count > 3) StoreRow<TEpilogue>(r3, c + 3 * ldc, beta, readC, final, bias, Offset(other, 3 * ldOther), mask, cols);
        if (count > 4) StoreRow<TEpilogue>(r4, c + 4 * ldc, beta, readC, final, bias, Offset(other, 4 * ldOther), mask, cols);
        if (count > 5) StoreRow<TEpilogue>(r5, c + 5 * ldc, beta, readC, final, bias, Offset(other, 5 * ldOther), mask, cols);
        if (count > 6) StoreRow<TEpilogue>(r6, c + 6 * ldc, beta, readC, final, bias, Offset(other, 6 * ldOther), mask, cols);
        if (count > 7) StoreRow<TEpilogue>(r7, c + 7 * ldc, beta, readC, final, bias, Offset(other, 7 * ldOther), mask, cols);
    }

    /// <summary>One row of 8 columns of C by the rules of <see cref="StoreValue{TEpilogue}"/>; fewer than 8 with masked loads and stores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TEpilogue>(Vector256<float> x, float* c, Vector256<float> beta, bool readC, bool final, float* bias, float* other, Vector256<float> mask, int cols)
        where TEpilogue : IGemmEpilogue
    {
        bool full = cols == 8;
        if (readC)
        {
            x = Vector256.FusedMultiplyAdd(beta, full ? Vector256.Load(c) : Avx.MaskLoad(c, mask), x);
        }

        if (final)
        {
            if (bias != null)
            {
                x += full ? Vector256.Load(bias) : Avx.MaskLoad(bias, mask);
            }

            x = TEpilogue.ReadsOther ? TEpilogue.Apply(x, full ? Vector256.Load(other) : Avx.MaskLoad(other, mask)) : TEpilogue.Apply(x);
        }

        if (full)
        {
            x.Store(c);
        }
        else
        {
            Avx.MaskStore(c, mask, x);
        }
    }
}
