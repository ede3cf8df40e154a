using System.Runtime.Intrinsics;

namespace Gradgen.Kernels;

/// <summary>Which micro-kernel the single-precision product uses (tests force each one).</summary>
internal enum GemmKernelKind
{
    /// <summary>The widest one the hardware runs.</summary>
    Auto,

    /// <summary>Vector512, 8×32.</summary>
    Vector512,

    /// <summary>Vector256, 6×16.</summary>
    Vector256,

    /// <summary>Scalar, 4×4.</summary>
    Scalar,
}

/// <summary>The arguments of one single-precision product, validated and pinned: <c>C = epilogue(alpha·op(A)·op(B) + beta·C + bias)</c>.</summary>
internal unsafe struct SgemmArgs
{
    public bool TransposeA;
    public bool TransposeB;
    public int M;
    public int N;
    public int K;
    public float Alpha;
    public float Beta;
    public float* A;
    public nint Lda;
    public float* B;
    public nint Ldb;
    public float* C;
    public nint Ldc;

    /// <summary>Per-column bias, or null.</summary>
    public float* Bias;

    /// <summary>The matrix of C's shape that an epilogue which <see cref="IGemmEpilogue.ReadsOther"/> reads, or null.</summary>
    public float* Other;
    public nint LdOther;

    /// <summary>The sub-problem of rows [row, row + rows) and columns [column, column + columns) of C.</summary>
    public readonly SgemmArgs Slice(int row, int rows, int column, int columns)
    {
        SgemmArgs s = this;
        s.M = rows;
        s.N = columns;
        s.A = TransposeA ? A + row : A + row * Lda;
        s.B = TransposeB ? B + column * Ldb : B + column;
        s.C = C + row * Ldc + column;
        s.Bias = Bias == null ? null : Bias + column;
        s.Other = Other == null ? null : Other + row * LdOther + column;
        return s;
    }
}

/// <summary>
/// The blocked, packed single-precision matrix product (the GotoBLAS/BLIS algorithm).
/// </summary>
/// <remarks>
/// Loops, outermost first, over a problem C[m×n] += op(A)[m×k]·op(B)[k×n]:
/// <code>
/// jc: columns of C in blocks of NC           B block (KC×NC floats, ≤ 2 MiB) lives in L3
///   pc: k in blocks of ≈KC                   pack op(B)[pc.., jc..] into NR-wide panels
///     ic: rows of C in blocks of MC          pack op(A)[ic.., pc..] into MR-high panels (MC×KC, ≤ 256 KiB, in L2)
///       jr: NR-wide panels of the B block    one B panel (KC×NR×4 B = 32 KiB) stays in L1
///         ir: MR-high panels of the A block  micro-kernel: an MR×NR tile of C in registers over the KC steps
/// </code>
/// The first k block applies beta (beta = 0 never reads C), later ones add to C, and the last one adds the bias and
/// applies the epilogue while the tile is still in registers. Partial tiles at the edges of C are computed in full
/// against zero-padded panels and written with masked stores. Threads split C into a grid of MR/NR-aligned blocks
/// (<see cref="GemmParallelJob"/>), each running the loops above with its own packing buffer, so every element is
/// computed by the same operations whatever the thread count: results are bit for bit the same on 1 or 16 threads.
/// Block sizes were measured on Zen 5 (48 KiB L1d, 1 MiB L2 per core): KC from 128 to 512 and MC from 64 to 512 all
/// came within noise of each other on the layer shapes, 256 × 256 was best on 1024³ (docs/gemm.md).
/// At a training batch (few rows of C) a packed B panel serves only a few tiles, so the weight is not packed: a
/// row-major B is read where it lies (<see cref="ReadsBUnpacked"/>), and a transposed B runs as the transposed product
/// (GemmTransposedProduct.cs); both compute every element with the same operations as the packed path.
/// </remarks>
internal static unsafe partial class Sgemm
{
    /// <summary>Steps of k per block (k is cut into equal blocks of at most KC): a B panel of KC×32 floats is 32 KiB, two thirds of a 48 KiB L1.</summary>
    internal const int KC = 256;

    /// <summary>Rows per A block: MC×KC floats = 256 KiB, a quarter of the 1 MiB L2.</summary>
    internal const int MC = 256;

    /// <summary>Columns per B block: KC×NC floats = 2 MiB, shared L3.</summary>
    internal const int NC = 2048;

    /// <summary>
    /// Multiply-adds per thread below which another thread costs more than it saves: on the 2-core AVX-512 machine of
    /// docs/gemm.md, 64³ took 2.6 µs on one thread and 3.9 µs on two, 80³ 6.7 and 6.0, 96³ 8.1 and 5.9. So a product
    /// gets a second thread from 2·2¹⁸ ≈ 80³ multiply-adds on.
    /// </summary>
    internal const long MinMultiplyAddsPerThread = 1L << 18;

    /// <summary>Runs the product with up to <paramref name="maxThreads"/> threads and the given micro-kernel.</summary>
    internal static void Run<TEpilogue>(in SgemmArgs args, int maxThreads, GemmKernelKind kind)
        where TEpilogue : IGemmEpilogue
    {
        if (kind == GemmKernelKind.Auto)
        {
            kind = Avx512Kernel.IsSupported ? GemmKernelKind.Vector512
                : Avx2Kernel.IsSupported ? GemmKernelKind.Vector256
                : GemmKernelKind.Scalar;
        }

        switch (kind)
        {
            case GemmKernelKind.Vector512 when RunsAsTransposedProduct(args) && args.K > 0 && args.Alpha != 0f:
                RunTransposedProduct<TEpilogue>(args, maxThreads);
                break;
            case GemmKernelKind.Vector512:
                Run<Avx512Kernel, TEpilogue>(args, maxThreads);
                break;
            case GemmKernelKind.Vector256:
                Run<Avx2Kernel, TEpilogue>(args, maxThreads);
                break;
            default:
                Run<ScalarKernel, TEpilogue>(args, maxThreads);
                break;
        }
    }

    private static void Run<TKernel, TEpilogue>(SgemmArgs args, int maxThreads)
        where TKernel : ISgemmKernel
        where TEpilogue : IGemmEpilogue
    {
        if (args.M == 0 || args.N == 0)
        {
            return;
        }

        if (args.K == 0 || args.Alpha == 0f)
        {
            ScaleOnly<TEpilogue>(args);
            return;
        }

        int mr = TKernel.MR, nr = TKernel.NR;
        (int tm, int tn) = ThreadGrid(args.M, args.N, args.K, maxThreads, mr, nr);
        if (tm * tn == 1)
        {
            RunBlocked<TKernel, TEpilogue>(args);
            return;
        }

        GemmParallelJob.Run(args, tm, tn, mr, nr, &RunBlocked<TKernel, TEpilogue>);
    }

    /// <summary>
    /// Chooses tm × tn threads (rows × columns of C). Each thread computes its block and packs its rows of A and its
    /// columns of B, so the grid with the smallest largest block plus packing wins (packing a value costs about 16
    /// multiply-adds). For 128×256 on 2 threads that splits the columns: each thread packs all of A (128×k) but only
    /// half of B.
    /// </summary>
    internal static (int Tm, int Tn) ThreadGrid(int m, int n, int k, int maxThreads, int mr, int nr)
    {
        long multiplyAdds = (long)m * n * k;
        int threads = (int)Math.Clamp(multiplyAdds / MinMultiplyAddsPerThread, 1, Math.Max(1, maxThreads));
        int panelsM = (m + mr - 1) / mr, panelsN = (n + nr - 1) / nr;
        for (; threads > 1; threads--)
        {
            int bestTm = 0;
            double bestCost = double.MaxValue;
            for (int tm = 1; tm <= threads; tm++)
            {
                if (threads % tm != 0)
                {
                    continue;
                }

                int tn = threads / tm;
                if (tm > panelsM || tn > panelsN)
                {
                    continue;
                }

                // Time in units of one multiply-add of the biggest block; packing a value costs about 16 of them.
                double rows = Math.Min(m, (double)((panelsM + tm - 1) / tm) * mr);
                double cols = Math.Min(n, (double)((panelsN + tn - 1) / tn) * nr);
                double cost = rows * cols + 16.0 * (rows + cols);
                if (cost < bestCost)
                {
                    bestCost = cost;
                    bestTm = tm;
                }
            }

            if (bestTm != 0)
            {
                return (bestTm, threads / bestTm);
            }
        }

        return (1, 1);
    }

    /// <summary>
    /// Rows of C up to which a row-major B (not transposed) is read where it lies instead of packed. A packed B panel
    /// serves every MR-row panel of A, so at a training batch of 64 rows a weight packed for dX = dY·W is used by only
    /// 8 tiles, and packing was a tenth of the step (docs/benchmarks.md §6.5).
    /// </summary>
    internal const int UnpackedBMaxRows = 128;

    /// <summary>
    /// Whether a kernel whose tile is <paramref name="nr"/> columns wide reads op(B) = B where it lies
    /// (<see cref="UnpackedBMaxRows"/>). The arithmetic is the same either way. Only the 32-wide Vector512 kernel does:
    /// on a host without AVX-512 the 16-wide kernel ran the quickstart's dX = dY·W (64 × 512 · 512 × 512) 5–15% slower
    /// reading W where it lies than packing it, and the whole step 2.5–4% slower (docs/benchmarks.md §6.9).
    /// </summary>
    internal static bool ReadsBUnpacked(in SgemmArgs g, int nr) => !g.TransposeB && g.M <= UnpackedBMaxRows && nr >= 32;

    /// <summary>
    /// Steps of k per block: equal blocks of at most KC steps, a multiple of 8 where possible (whole 8×8 transposes
    /// when packing). Every path cuts k the same way, so every path rounds the same way.
    /// </summary>
    internal static int KBlock(int k)
    {
        int kBlocks = (k + KC - 1) / KC;
        int kc = (k + kBlocks - 1) / kBlocks;
        return kBlocks > 1 ? Math.Min(KC, (kc + 7) & ~7) : kc;
    }

    /// <summary>The loops of the blocked algorithm on one thread (see the class remarks).</summary>
    private static void RunBlocked<TKernel, TEpilogue>(in SgemmArgs g)
        where TKernel : ISgemmKernel
        where TEpilogue : IGemmEpilogue
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        int m = g.M, n = g.N, k = g.K;

        int kc = KBlock(k);

        // Row blocks of whole MR panels: PackA writes MR rows per panel, so a block of MC rows with MC not a
        // multiple of MR (6-row AVX2 panels) would overrun its share of the buffer.
        int mcStep = MC / mr * mr;
        int mcMax = Math.Min(mcStep, (m + mr - 1) / mr * mr);
        int ncMax = Math.Min(NC, (n + nr - 1) / nr * nr);
        int aFloats = (mcMax * kc + 15) & ~15;
        // The B panels start on the 64-byte boundary after the A panels: the buffer holds both, rounding included.
        float* packA = PackBuffer(aFloats + ncMax * kc);
        float* packB = packA + aFloats;
        bool unpackedB = ReadsBUnpacked(g, nr);

        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            for (int pc = 0; pc < k; pc += kc)
            {
                int kcur = Math.Min(kc, k - pc);
                float* bBlock = g.TransposeB ? g.B + jc * g.Ldb + pc : g.B + pc * g.Ldb + jc;

                // Unpacked, the kernels read B's full-width panels where they lie; only a ragged last panel is packed
                // (zero-padded, and a full-width read there would run past the end of B's rows).
                int packedFrom = unpackedB ? nc / nr * nr : 0;
                PackB(bBlock + packedFrom, g.Ldb, g.TransposeB, kcur, nc - packedFrom, nr, packB + (nint)packedFrom * kcur);
                GemmStore store = new(g.Alpha, pc == 0 ? g.Beta : 1f, pc + kcur == k);

                for (int ic = 0; ic < m; ic += mcStep)
                {
                    int mc = Math.Min(mcStep, m - ic);
                    float* aBlock = g.TransposeA ? g.A + pc * g.Lda + ic : g.A + ic * g.Lda + pc;
                    PackA(aBlock, g.Lda, g.TransposeA, mc, kcur, mr, packA);

                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        bool packed = jr >= packedFrom;
                        float* bPanel = packed ? packB + (nint)jr * kcur : bBlock + jr;
                        nint bStep = packed ? nr : g.Ldb;
                        float* bias = g.Bias == null ? null : g.Bias + jc + jr;
                        float* cColumn = g.C + jc + jr;
                        float* otherColumn = g.Other == null ? null : g.Other + jc + jr;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            float* aPanel = packA + (nint)ir * kcur;
                            float* c = cColumn + (ic + ir) * g.Ldc;
                            float* other = otherColumn == null ? null : otherColumn + (ic + ir) * g.LdOther;
                            TKernel.Run<TEpilogue>(kcur, aPanel, bPanel, bStep, c, g.Ldc, store, bias, other, g.LdOther, rows, cols);
                        }
                    }
                }
            }
        }
    }

    /// <summary>k = 0 or alpha = 0: <c>C = epilogue(beta·C + bias)</c>, A and B unread (as BLAS).</summary>
    private static void ScaleOnly<TEpilogue>(in SgemmArgs g)
        where TEpilogue : IGemmEpilogue
    {
        GemmStore store = new(0f, g.Beta, true);
        for (int i = 0; i < g.M; i++)
        {
            float* c = g.C + i * g.Ldc;
            float* other = g.Other == null ? null : g.Other + i * g.LdOther;
            for (int j = 0; j < g.N; j++)
            {
                c[j] = StoreValue<TEpilogue>(0f, store.Beta != 0f ? c[j] : 0f, store, g.Bias, other, j);
            }
        }
    }
}
