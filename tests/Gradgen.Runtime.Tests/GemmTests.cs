using System.Runtime.Intrinsics;
using Gradgen.Kernels;

namespace Gradgen.Runtime.Tests;

public partial class GemmTests
{
    /// <summary>The micro-kernels this machine runs in hardware (the scalar one always).</summary>
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string> { nameof(GemmKernelKind.Scalar) };
        if (Vector256.IsHardwareAccelerated)
        {
            data.Add(nameof(GemmKernelKind.Vector256));
        }

        if (Vector512.IsHardwareAccelerated)
        {
            data.Add(nameof(GemmKernelKind.Vector512));
        }

        return data;
    }

    /// <summary>One product's operands, stored with padding after each row (filled with NaN, which must never be read).</summary>
    private sealed class Problem
    {
        public bool TransposeA, TransposeB;
        public int M, N, K, Lda, Ldb, Ldc;
        public float[] A = [], B = [], C = [];
        public float[] Bias = [];

        public float OpA(int i, int p) => TransposeA ? A[p * Lda + i] : A[i * Lda + p];

        public float OpB(int p, int j) => TransposeB ? B[j * Ldb + p] : B[p * Ldb + j];

        public static Problem Create(Random random, bool ta, bool tb, int m, int n, int k, int pad, bool nanInC, bool bias = false)
        {
            var p = new Problem { TransposeA = ta, TransposeB = tb, M = m, N = n, K = k };
            (int aRows, int aCols) = ta ? (k, m) : (m, k);
            (int bRows, int bCols) = tb ? (n, k) : (k, n);
            p.Lda = aCols + pad;
            p.Ldb = bCols + pad;
            p.Ldc = n + pad;
            p.A = Matrix(random, aRows, aCols, p.Lda, float.NaN);
            p.B = Matrix(random, bRows, bCols, p.Ldb, float.NaN);
            p.C = Matrix(random, m, n, p.Ldc, 12345f);
            if (nanInC)
            {
                for (int i = 0; i < m; i++)
                {
                    p.C.AsSpan(i * p.Ldc, n).Fill(float.NaN);
                }
            }

            if (bias)
            {
                p.Bias = new float[n];
                for (int j = 0; j < n; j++)
                {
                    p.Bias[j] = (float)(random.NextDouble() * 2 - 1);
                }
            }

            return p;
        }

        /// <summary>rows × cols values in [-1, 1] with leading dimension ld; the padding holds <paramref name="padding"/> (and a shorter last row).</summary>
        private static float[] Matrix(Random random, int rows, int cols, int ld, float padding)
        {
            int length = rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
            var x = new float[length];
            x.AsSpan().Fill(padding);
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    x[i * ld + j] = (float)(random.NextDouble() * 2 - 1);
                }
            }

            return x;
        }

        /// <summary>A second m×n matrix with padded rows (NaN there, never read) for <see cref="TimesOtherEpilogue"/>.</summary>
        public float[] Other = [];

        public int LdOther => N + 3;

        public void AddOther(Random random)
        {
            Other = Matrix(random, M, N, LdOther, float.NaN);
        }

        public void Run(float alpha, float beta, int threads, GemmKernelKind kind, bool relu = false)
        {
            if (Other.Length > 0)
            {
                Gemm.MultiplyCore<TimesOtherEpilogue>(TransposeA, TransposeB, M, N, K, alpha, A, Lda, B, Ldb, beta, C, Ldc, Bias, Other, LdOther, threads, kind);
            }
            else if (relu)
            {
                Gemm.MultiplyCore<ReluEpilogue>(TransposeA, TransposeB, M, N, K, alpha, A, Lda, B, Ldb, beta, C, Ldc, Bias, default, 0, threads, kind);
            }
            else
            {
                Gemm.MultiplyCore<IdentityEpilogue>(TransposeA, TransposeB, M, N, K, alpha, A, Lda, B, Ldb, beta, C, Ldc, Bias, default, 0, threads, kind);
            }

            // On one thread the product packs on this thread: it must not have written past the buffer it asked for
            // (a write past the pinned buffer corrupts the next object and crashes the process at a later GC).
            if (threads == 1)
            {
                Assert.True(Sgemm.PackBufferGuardIntact(), $"the product wrote past its packing buffer (m={M}, n={N}, k={K}, transposeA={TransposeA}, transposeB={TransposeB}, kernel={kind})");
            }
        }

        /// <summary>Checks <c>C</c> against the double-precision triple loop; <paramref name="before"/> is C before the product.</summary>
        public void Check(float[] before, float alpha, float beta, bool relu = false)
        {
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double sum = 0, magnitude = 0;
                    for (int p = 0; p < K; p++)
                    {
                        double t = (double)OpA(i, p) * OpB(p, j);
                        sum += t;
                        magnitude += Math.Abs(t);
                    }

                    double old = beta == 0 ? 0 : (double)beta * before[i * Ldc + j];
                    double expected = alpha * sum + old + (Bias.Length > 0 ? Bias[j] : 0);
                    if (relu)
                    {
                        expected = Math.Max(expected, 0);
                    }

                    double tolerance = 2e-7 * (K + 8) * (Math.Abs(alpha) * magnitude + Math.Abs(old) + 1);
                    if (Other.Length > 0)
                    {
                        expected *= Other[i * LdOther + j];
                    }

                    float actual = C[i * Ldc + j];
                    Assert.False(Math.Abs(actual - expected) > tolerance,
                        $"C[{i},{j}] = {actual}, expected {expected} ± {tolerance} (m={M}, n={N}, k={K}, transposeA={TransposeA}, transposeB={TransposeB}, alpha={alpha}, beta={beta})");
                }

                // The padding after each row of C is never written.
                for (int j = N; j < Ldc && i * Ldc + j < C.Length; j++)
                {
                    Assert.Equal(before[i * Ldc + j], C[i * Ldc + j]);
                }
            }
        }
    }

    private static readonly (float Alpha, float Beta)[] Scalings = [(1f, 0f), (1f, 1f), (0.5f, -1.5f), (-2f, 0.25f)];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesTripleLoopForOddShapes(string kernel)
    {
        var kind = Enum.Parse<GemmKernelKind>(kernel);
        var random = new Random(1234);
        int[] sizes = [1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 31, 32, 33, 47, 64, 65, 70];
        for (int trial = 0; trial < 60; trial++)
        {
            int m = sizes[random.Next(sizes.Length)], n = sizes[random.Next(sizes.Length)], k = sizes[random.Next(sizes.Length)];
            int pad = trial % 3 == 0 ? 0 : random.Next(1, 6);
            var (alpha, beta) = Scalings[trial % Scalings.Length];
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true })
                {
                    var p = Problem.Create(random, ta, tb, m, n, k, pad, nanInC: beta == 0);
                    float[] before = (float[])p.C.Clone();
                    p.Run(alpha, beta, threads: 1, kind);
                    p.Check(before, alpha, beta);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void MatchesTripleLoopForEveryLengthUpTo70(string kernel)
    {
        // Every m, n and k from 1 to 70 once, so every edge of every tile and every packing tail is hit.
        var kind = Enum.Parse<GemmKernelKind>(kernel);
        var random = new Random(99);
        for (int s = 1; s <= 70; s++)
        {
            int m = s, n = 71 - s, k = (s * 37) % 70 + 1;
            var p = Problem.Create(random, s % 2 == 0, s % 3 == 0, m, n, k, pad: s % 4, nanInC: true);
            float[] before = (float[])p.C.Clone();
            p.Run(1f, 0f, threads: 1, kind);
            p.Check(before, 1f, 0f);

            var q = Problem.Create(random, s % 3 == 1, s % 2 == 1, k, m, n, pad: 1, nanInC: false);
            before = (float[])q.C.Clone();
            q.Run(0.75f, 2f, threads: 1, kind);
            q.Check(before, 0.75f, 2f);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void MatchesTripleLoopForLargeShapes(bool ta, bool tb)
    {
        // 257×300×513: several k blocks (KC = 256), ragged tiles on every side, more than one thread.
        var random = new Random(7);
        var p = Problem.Create(random, ta, tb, 257, 300, 513, pad: 3, nanInC: false);
        float[] before = (float[])p.C.Clone();
        p.Run(1.5f, -0.5f, threads: 4, GemmKernelKind.Auto);
        p.Check(before, 1.5f, -0.5f);
    }

    [Fact]
    public void LargeBlocksInEveryDimension()
    {
        // m > MC, n > NC and k > 2·KC, so every blocking loop runs more than once, with ragged ends.
        var random = new Random(8);
        var p = Problem.Create(random, false, true, Sgemm.MC + 9, Sgemm.NC + 40, 2 * Sgemm.KC + 3, pad: 0, nanInC: true);
        float[] before = (float[])p.C.Clone();
        p.Run(1f, 0f, threads: 2, GemmKernelKind.Auto);
        p.Check(before, 1f, 0f);
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void RowBlocksOfWholePanelsWithEveryKernel(string kernel)
    {
        // m > MC with every micro-kernel: MC = 256 is not a multiple of the Vector256 kernel's 6-row panels, and a
        // block of 256 rows packed as 43 panels of 6 once overwrote the first packed columns of B.
        var kind = Enum.Parse<GemmKernelKind>(kernel);
        var random = new Random(11);
        foreach (bool ta in new[] { false, true })
        {
            var p = Problem.Create(random, ta, false, Sgemm.MC + 9, 40, 70, pad: 1, nanInC: true);
            float[] before = (float[])p.C.Clone();
            p.Run(1f, 0f, threads: 1, kind);
            p.Check(before, 1f, 0f);
        }
    }

    [Theory]
    [InlineData(128, 256, 784)]
    [InlineData(64, 512, 784)]
    [InlineData(64, 10, 512)]
    [InlineData(257, 300, 513)]
    [InlineData(33, 700, 65)]
    [InlineData(700, 9, 300)]
    public void ThreadCountDoesNotChangeTheResult(int m, int n, int k)
    {
        // Threads split C along tile boundaries and every k block is the same, so results are bit for bit equal.
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                var p = Problem.Create(new Random(m + n + k), ta, tb, m, n, k, pad: 1, nanInC: false, bias: true);
                float[] original = (float[])p.C.Clone();
                p.Run(0.5f, 0.5f, threads: 1, GemmKernelKind.Auto);
                float[] single = (float[])p.C.Clone();
                foreach (int threads in new[] { 2, 3, 4 })
                {
                    original.CopyTo(p.C, 0);
                    p.Run(0.5f, 0.5f, threads, GemmKernelKind.Auto);
                    Assert.Equal(single, p.C);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void BiasAndEpilogueApplyOnceAfterTheWholeSum(string kernel)
    {
        // k = 600 spans three k blocks: the bias must be added once and ReLU applied to the final sum only.
        var kind = Enum.Parse<GemmKernelKind>(kernel);
        var random = new Random(5);
        foreach (var (m, n, k) in new[] { (37, 45, 600), (16, 64, 64), (3, 5, 1) })
        {
            foreach (var (alpha, beta) in Scalings)
            {
                var p = Problem.Create(random, m % 2 == 0, k % 2 == 0, m, n, k, pad: 2, nanInC: beta == 0, bias: true);
                float[] before = (float[])p.C.Clone();
                p.Run(alpha, beta, threads: 2, kind, relu: true);
                p.Check(before, alpha, beta, relu: true);
            }
        }
    }

    /// <summary>C·D elementwise: an epilogue that reads a second matrix, as a backward pass's activation derivative does.</summary>
    private readonly struct TimesOtherEpilogue : IGemmEpilogue
    {
        public static bool ReadsOther => true;

        public static float Apply(float value, float other) => value * other;

        public static Vector256<float> Apply(Vector256<float> value, Vector256<float> other) => value * other;

        public static Vector512<float> Apply(Vector512<float> value, Vector512<float> other) => value * other;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void AnEpilogueThatReadsASecondMatrixSeesTheElementAtTheSamePosition(string kernel)
    {
        // Ragged tiles (masked loads of D), several k blocks, a split over threads (each block offsets D like C), and
        // alpha = 0 (C is only scaled, the epilogue still applies): D's padding is NaN, so reading it would show.
        var kind = Enum.Parse<GemmKernelKind>(kernel);
        var random = new Random(11);
        foreach (var (m, n, k) in new[] { (37, 45, 600), (128, 256, 40), (3, 5, 1), (9, 33, 0) })
        {
            foreach (int threads in new[] { 1, 3 })
            {
                foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 0.25f), (0f, 1f) })
                {
                    var p = Problem.Create(random, m % 2 == 0, k % 2 == 0, m, n, k, pad: 2, nanInC: beta == 0, bias: true);
                    p.AddOther(random);
                    float[] before = (float[])p.C.Clone();
                    p.Run(alpha, beta, threads, kind);
                    p.Check(before, alpha, beta);
                }
            }
        }
    }

    [Fact]
    public void ASecondMatrixIsCheckedLikeTheOperands()
    {
        float[] a = [1, 2, 3, 4], b = [1, 0, 0, 1], c = new float[4];
        var shortOther = Assert.Throws<ArgumentException>(() => Gemm.Multiply<TimesOtherEpilogue>(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2, default, new float[3], 2));
        Assert.Contains("other has 3 elements", shortOther.Message, StringComparison.Ordinal);
        var unread = Assert.Throws<ArgumentException>(() => Gemm.Multiply<ReluEpilogue>(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2, default, new float[4], 2));
        Assert.Contains("reads no second matrix", unread.Message, StringComparison.Ordinal);
        var overlap = Assert.Throws<ArgumentException>(() => Gemm.Multiply<TimesOtherEpilogue>(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2, default, c, 2));
        Assert.Contains("c overlaps other", overlap.Message, StringComparison.Ordinal);

        Gemm.Multiply<TimesOtherEpilogue>(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2, default, [1f, 10f, 100f, 1000f], 2);
        Assert.Equal([1f, 20f, 300f, 4000f], c);
    }

    [Fact]
    public void AnInputGradientProductAppliesTheEpilogueToTheNextLayersActivation()
    {
        // dZ' = (dZ·W)·Y elementwise (TimesOther standing in for an activation's derivative), at a size that takes the
        // packed product and at one that takes the small-layer loops.
        foreach (var (batch, inFeatures, outFeatures) in new[] { (37, 20, 9), (5, 3, 2) })
        {
            RandomGenerator.ManualSeed(batch);
            var layer = new Gradgen.Nn.Linear(inFeatures, outFeatures);
            var dz = Tensor.Randn(batch, outFeatures);
            var y = Tensor.Randn(batch, inFeatures);
            var expected = (dz.MatMul(layer.Weight.Detach()) * y).ToArray<float>();
            var actual = ProductGradients.Times<TimesOtherEpilogue>(dz, layer.Weight, y).ToArray<float>();
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"[{i}]: {expected[i]} vs {actual[i]}");
            }
        }
    }

    [Fact]
    public void BiasOverloadAddsPerColumn()
    {
        float[] a = [1, 2, 3, 4];          // 2×2
        float[] b = [1, 0, 0, 1];          // identity
        float[] c = new float[4];
        Gemm.Multiply(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2, [10f, 20f]);
        Assert.Equal([11f, 22f, 13f, 24f], c);
    }

    [Fact]
    public void AlphaZeroAndEmptyKOnlyScaleC()
    {
        // As BLAS: A and B are not read (their NaN does not leak), C becomes beta·C (+ bias).
        float[] a = [float.NaN, float.NaN, float.NaN, float.NaN];
        float[] c = [1, 2, 3, 4];
        Gemm.Multiply(false, false, 2, 2, 2, 0f, a, 2, a, 2, 2f, c, 2);
        Assert.Equal([2f, 4f, 6f, 8f], c);

        c = [float.NaN, float.NaN, float.NaN, float.NaN];
        Gemm.Multiply(false, false, 2, 2, 0, 1f, [], 0, [], 2, 0f, c, 2, [1f, -1f]);
        Assert.Equal([1f, -1f, 1f, -1f], c);
    }

    [Fact]
    public void EmptyShapesAreNoOps()
    {
        float[] c = [7f];
        Gemm.Multiply(false, false, 0, 5, 3, 1f, [], 3, new float[15], 5, 0f, [], 5);
        Gemm.Multiply(true, true, 4, 0, 3, 1f, new float[12], 4, [], 3, 0f, [], 0);
        Gemm.Multiply(false, false, 1, 1, 1, 1f, [2f], 1, [3f], 1, 1f, c, 1);
        Assert.Equal(13f, c[0]);
    }

    [Fact]
    public void ArgumentErrorsNameTheValues()
    {
        float[] c = new float[120];
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 10, 12, 12, 1f, new float[100], 12, new float[144], 12, 0f, c, 12));
        Assert.Equal("a", e.ParamName);
        Assert.StartsWith("Gemm: a has 100 elements but m=10, k=12, lda=12 need 120.", e.Message);

        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(true, false, 10, 12, 12, 1f, new float[100], 10, new float[144], 12, 0f, c, 12));
        Assert.StartsWith("Gemm: a has 100 elements but transposeA, m=10, k=12 (a stored k×m), lda=10 need 120.", e.Message);

        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, true, 10, 12, 12, 1f, new float[120], 12, new float[144], 11, 0f, c, 12));
        Assert.Equal("ldb", e.ParamName);
        Assert.Contains("ldb=11 is less than the row length 12 of b", e.Message);

        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 10, 12, 12, 1f, new float[120], 12, new float[144], 12, 0f, new float[100], 12));
        Assert.StartsWith("Gemm: c has 100 elements but m=10, n=12, ldc=12 need 120.", e.Message);

        var r = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, -1, 12, 12, 1f, [], 12, new float[144], 12, 0f, c, 12));
        Assert.Equal("m", r.ParamName);
        Assert.Contains("m=-1 is negative", r.Message);

        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 10, 12, 12, 1f, new float[120], 12, new float[144], 12, 0f, c, 12, new float[11]));
        Assert.Equal("bias", e.ParamName);
        Assert.StartsWith("Gemm: bias has 11 elements but n=12 needs 12 (or none).", e.Message);

        float[] shared = new float[300];
        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 10, 10, 10, 1f, shared.AsSpan(0, 100), 10, shared.AsSpan(100, 100), 10, 0f, shared.AsSpan(50, 100), 10));
        Assert.Contains("c overlaps a", e.Message);

        var d = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 2, 1.0, new double[3], 2, new double[4], 2, 0.0, new double[4], 2));
        Assert.StartsWith("Gemm: a has 3 elements but m=2, k=2, lda=2 need 4.", d.Message);
    }

    [Fact]
    public void ThreadGridSplitsTheWiderSideAndKeepsSmallProductsOnOneThread()
    {
        Assert.Equal((1, 2), Sgemm.ThreadGrid(128, 256, 784, 2, 8, 32));
        Assert.Equal((1, 1), Sgemm.ThreadGrid(128, 256, 784, 1, 8, 32));
        Assert.Equal((1, 1), Sgemm.ThreadGrid(8, 8, 8, 16, 8, 32));
        Assert.Equal((2, 1), Sgemm.ThreadGrid(1024, 32, 512, 2, 8, 32));
        Assert.True(Gemm.ThreadCount >= 1);
    }

    [Fact]
    public void DoubleMatchesTripleLoop()
    {
        var random = new Random(3);
        int[] sizes = [1, 2, 3, 5, 8, 13, 31, 64, 70];
        for (int trial = 0; trial < 40; trial++)
        {
            int m = sizes[random.Next(sizes.Length)], n = sizes[random.Next(sizes.Length)], k = sizes[random.Next(sizes.Length)];
            if (trial == 0)
            {
                (m, n, k) = (150, 170, 190); // large enough for threads
            }

            int pad = trial % 2;
            var (alpha, beta) = Scalings[trial % Scalings.Length];
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true })
                {
                    (int aRows, int aCols) = ta ? (k, m) : (m, k);
                    (int bRows, int bCols) = tb ? (n, k) : (k, n);
                    int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
                    double[] a = Fill(random, (aRows - 1) * lda + aCols);
                    double[] b = Fill(random, (bRows - 1) * ldb + bCols);
                    double[] c = Fill(random, (m - 1) * ldc + n);
                    if (beta == 0)
                    {
                        c.AsSpan().Fill(double.NaN);
                    }

                    double[] before = (double[])c.Clone();
                    Gemm.Multiply(ta, tb, m, n, k, (double)alpha, a, lda, b, ldb, (double)beta, c, ldc);
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            double sum = 0;
                            for (int p = 0; p < k; p++)
                            {
                                sum += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                            }

                            double expected = alpha * sum + (beta == 0 ? 0 : beta * before[i * ldc + j]);
                            Assert.Equal(expected, c[i * ldc + j], 1e-12 * (k + 1) * 4);
                        }
                    }
                }
            }
        }

        static double[] Fill(Random random, int length)
        {
            var x = new double[Math.Max(0, length)];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = random.NextDouble() * 2 - 1;
            }

            return x;
        }
    }
}

public class GemmAllocationTests
{
    [Fact]
    public void RepeatedProductsDoNotAllocate()
    {
        // Packing buffers are per thread and reused. (The parallel path reuses its jobs too, but allocates a new one when
        // a busy machine keeps the pool from running the previous workers, so only the single-thread path is asserted.)
        float[] a = new float[128 * 784], b = new float[784 * 256], c = new float[128 * 256];
        foreach (int threads in new[] { 1 })
        {
            for (int i = 0; i < 3; i++)
            {
                Gemm.MultiplyCore<IdentityEpilogue>(false, true, 128, 256, 784, 1f, a, 784, b, 784, 0f, c, 256, default, default, 0, threads, GemmKernelKind.Auto);
            }

            // Steady state allocates nothing; a round may still see the runtime itself allocate on this thread (a
            // tiered-JIT promotion, a pool trimmed by a gen-2 collection on a busy machine), so the best of three counts.
            long fewest = long.MaxValue;
            for (int round = 0; round < 3 && fewest > 0; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 10; i++)
                {
                    Gemm.MultiplyCore<IdentityEpilogue>(false, true, 128, 256, 784, 1f, a, 784, b, 784, 0f, c, 256, default, default, 0, threads, GemmKernelKind.Auto);
                }

                fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            Assert.True(fewest == 0, $"threads={threads}: {fewest} bytes in the best of three rounds of 10 products");
        }
    }
}
