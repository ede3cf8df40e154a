using Gradgen.Kernels;

namespace Gradgen.Runtime.Tests;

// The products of a training step at a small batch, where the weight is not packed: with Vector512 a row-major B is
// read where it lies up to Sgemm.UnpackedBMaxRows rows of C, and a transposed B (the forward Y = X·Wᵀ) runs as the
// transposed product Cᵀ = W·Xᵀ up to Sgemm.TransposedProductMaxRows rows (docs/gemm.md).
public partial class GemmTests
{
    /// <summary>Rows of C on both sides of each small-row threshold, and the ragged sizes in between.</summary>
    private static readonly int[] SmallRowCounts =
    [
        1, 7, 31, 32, 33, Sgemm.TransposedProductMaxRows - 1, Sgemm.TransposedProductMaxRows, Sgemm.TransposedProductMaxRows + 1,
        Sgemm.UnpackedBMaxRows, Sgemm.UnpackedBMaxRows + 1,
    ];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SmallRowProductsMatchTheTripleLoopAtTheThresholds(string kernel)
    {
        // Every operand layout, columns that are not a multiple of the tiles (1, 9, 37 and 70 fill 8-column tiles of
        // Cᵀ and 32-column panels of B raggedly), one and two k blocks, every scaling, bias with and without ReLU.
        var kind = Enum.Parse<GemmKernelKind>(kernel);
        var random = new Random(64);
        int trial = 0;
        foreach (int m in SmallRowCounts)
        {
            foreach (int n in new[] { 1, 9, 37, 70 })
            {
                int k = new[] { 1, 19, 300 }[trial % 3];
                var (alpha, beta) = Scalings[trial % Scalings.Length];
                bool relu = trial % 2 == 0;
                foreach (bool ta in new[] { false, true })
                {
                    foreach (bool tb in new[] { false, true })
                    {
                        var p = Problem.Create(random, ta, tb, m, n, k, pad: trial % 3, nanInC: beta == 0, bias: trial % 4 != 1);
                        float[] before = (float[])p.C.Clone();
                        p.Run(alpha, beta, threads: 1, kind, relu);
                        p.Check(before, alpha, beta, relu);
                    }
                }

                trial++;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void SmallRowProductsGiveAnEpilogueTheSecondMatrixAtTheSamePosition(string kernel)
    {
        // The transposed product writes C as rows of 8 columns: D must be read at the same (transposed back) places,
        // masked at ragged columns and rows, also when threads split C's columns.
        var kind = Enum.Parse<GemmKernelKind>(kernel);
        var random = new Random(65);
        foreach (var (m, n, k) in new[] { (64, 512, 300), (33, 45, 70), (5, 3, 1), (64, 10, 512), (100, 37, 20) })
        {
            foreach (int threads in new[] { 1, 2 })
            {
                foreach (bool tb in new[] { true, false })
                {
                    var (alpha, beta) = threads == 1 ? (1f, 0f) : (0.5f, 0.25f);
                    var p = Problem.Create(random, false, tb, m, n, k, pad: 2, nanInC: beta == 0, bias: true);
                    p.AddOther(random);
                    float[] before = (float[])p.C.Clone();
                    p.Run(alpha, beta, threads, kind);
                    p.Check(before, alpha, beta);
                }
            }
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void SmallRowProductsAreBitForBitTheBlockedProduct(bool ta, bool tb)
    {
        // C = op(A)·op(B) at 64 rows (B unpacked or the transposed product) against Cᵀ = op(B)ᵀ·op(A)ᵀ at 200 rows,
        // which packs both operands: the same sums in the same order (the same k blocks, 152 + 148 steps), so the
        // same bits, whichever kernel runs.
        var random = new Random(66);
        const int m = 64, n = 200, k = 300;
        var p = Problem.Create(random, ta, tb, m, n, k, pad: 1, nanInC: false);
        var q = new Problem
        {
            TransposeA = !tb,
            TransposeB = !ta,
            M = n,
            N = m,
            K = k,
            Lda = p.Ldb,
            Ldb = p.Lda,
            Ldc = m + 5,
            A = p.B,
            B = p.A,
        };
        q.C = new float[n * q.Ldc];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                q.C[j * q.Ldc + i] = p.C[i * p.Ldc + j];
            }
        }

        p.Run(0.5f, 1.5f, threads: 1, GemmKernelKind.Auto);
        q.Run(0.5f, 1.5f, threads: 1, GemmKernelKind.Auto);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(q.C[j * q.Ldc + i], p.C[i * p.Ldc + j]);
            }
        }
    }

    [Fact]
    public void TheTransposedProductRunsOnlyWithVector512AndBTransposed()
    {
        // Which products take it: the blocked path's packed B serves few tiles only at a small batch.
        var forward = new SgemmArgs { TransposeB = true, M = Sgemm.TransposedProductMaxRows };
        Assert.True(Sgemm.RunsAsTransposedProduct(forward));
        Assert.False(Sgemm.RunsAsTransposedProduct(forward with { M = Sgemm.TransposedProductMaxRows + 1 }));
        Assert.False(Sgemm.RunsAsTransposedProduct(forward with { TransposeB = false }));
        Assert.True(Sgemm.ReadsBUnpacked(new SgemmArgs { M = Sgemm.UnpackedBMaxRows }, Sgemm.Avx512Kernel.NR));
        Assert.False(Sgemm.ReadsBUnpacked(new SgemmArgs { M = Sgemm.UnpackedBMaxRows + 1 }, Sgemm.Avx512Kernel.NR));
        Assert.False(Sgemm.ReadsBUnpacked(forward, Sgemm.Avx512Kernel.NR));

        // The 16-wide AVX2 kernel packs B at every size: it measured faster that way.
        Assert.False(Sgemm.ReadsBUnpacked(new SgemmArgs { M = Sgemm.UnpackedBMaxRows }, Sgemm.Avx2Kernel.NR));
    }
}
