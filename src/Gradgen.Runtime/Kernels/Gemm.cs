using System.Globalization;

namespace Gradgen.Kernels;

/// <summary>
/// General matrix product on the CPU: <c>C = alpha·op(A)·op(B) + beta·C</c>, where op(X) is X or Xᵀ, all matrices
/// row-major with a leading dimension (the distance between the starts of two rows, at least the row length).
/// </summary>
/// <remarks>
/// <para>
/// op(A) is m×k and op(B) is k×n. A is stored m×k (k×m when <c>transposeA</c>), B is stored k×n (n×k when
/// <c>transposeB</c>), C is m×n. So the passes of a linear layer Y = X·Wᵀ with W stored [out, in] need no copies:
/// forward <c>Multiply(false, true, …, X, W, …, Y)</c>, dX = dY·W <c>Multiply(false, false, …)</c> and
/// dW = dYᵀ·X <c>Multiply(true, false, …)</c>.
/// </para>
/// <para>
/// As in BLAS, beta = 0 means C is not read (NaN there is ignored), and alpha = 0 or k = 0 means A and B are not read.
/// C must not overlap A or B. Arguments are checked before any memory is touched, and the exception names the values.
/// </para>
/// <para>
/// The single-precision product is blocked and packed in the GotoBLAS/BLIS way with a Vector512 (8×32), Vector256
/// (6×16) or scalar (4×4) micro-kernel, and runs on up to <see cref="ThreadCount"/> threads when the product is
/// large enough to gain from it. The double-precision product is a simpler vectorised loop. Design, block sizes and
/// measurements: docs/gemm.md.
/// </para>
/// </remarks>
public static class Gemm
{
    /// <summary>
    /// The most threads one product uses: the environment variable <c>GRADGEN_NUM_THREADS</c> when it holds a
    /// positive integer (1 = single-threaded), read once at start, otherwise <see cref="Environment.ProcessorCount"/>.
    /// </summary>
    public static int ThreadCount { get; } = ReadThreadCount();

    private static int ReadThreadCount()
    {
        string? value = Environment.GetEnvironmentVariable("GRADGEN_NUM_THREADS");
        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int threads) && threads > 0
            ? threads
            : Environment.ProcessorCount;
    }

    /// <summary>Computes <c>C = alpha·op(A)·op(B) + beta·C</c> in single precision.</summary>
    /// <param name="transposeA">Whether op(A) = Aᵀ, A being stored k×m.</param>
    /// <param name="transposeB">Whether op(B) = Bᵀ, B being stored n×k.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Factor of the product.</param>
    /// <param name="a">The elements of A, row-major.</param>
    /// <param name="lda">Distance between the starts of two rows of A as stored.</param>
    /// <param name="b">The elements of B, row-major.</param>
    /// <param name="ldb">Distance between the starts of two rows of B as stored.</param>
    /// <param name="beta">Factor of the old C; 0 means C is not read.</param>
    /// <param name="c">The elements of C, row-major; must not overlap A or B.</param>
    /// <param name="ldc">Distance between the starts of two rows of C.</param>
    /// <exception cref="ArgumentException">A size, leading dimension or span length is inconsistent, or C overlaps A or B.</exception>
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Multiply<IdentityEpilogue>(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, default);

    /// <summary>Computes <c>C = alpha·op(A)·op(B) + beta·C + bias</c> in single precision, the bias added to every row.</summary>
    /// <param name="transposeA">Whether op(A) = Aᵀ, A being stored k×m.</param>
    /// <param name="transposeB">Whether op(B) = Bᵀ, B being stored n×k.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Factor of the product.</param>
    /// <param name="a">The elements of A, row-major.</param>
    /// <param name="lda">Distance between the starts of two rows of A as stored.</param>
    /// <param name="b">The elements of B, row-major.</param>
    /// <param name="ldb">Distance between the starts of two rows of B as stored.</param>
    /// <param name="beta">Factor of the old C; 0 means C is not read.</param>
    /// <param name="c">The elements of C, row-major; must not overlap A or B.</param>
    /// <param name="ldc">Distance between the starts of two rows of C.</param>
    /// <exception cref="ArgumentException">A size, leading dimension or span length is inconsistent, or C overlaps A or B.</exception>
    /// <param name="bias">One value per column of C (length n), or empty for none.</param>
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, ReadOnlySpan<float> bias)
        => Multiply<IdentityEpilogue>(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);

    /// <summary>
    /// Computes <c>C = f(alpha·op(A)·op(B) + beta·C + bias)</c> in single precision, f being
    /// <typeparamref name="TEpilogue"/> applied to each element as the tile of C is written for the last time.
    /// </summary>
    /// <param name="transposeA">Whether op(A) = Aᵀ, A being stored k×m.</param>
    /// <param name="transposeB">Whether op(B) = Bᵀ, B being stored n×k.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Factor of the product.</param>
    /// <param name="a">The elements of A, row-major.</param>
    /// <param name="lda">Distance between the starts of two rows of A as stored.</param>
    /// <param name="b">The elements of B, row-major.</param>
    /// <param name="ldb">Distance between the starts of two rows of B as stored.</param>
    /// <param name="beta">Factor of the old C; 0 means C is not read.</param>
    /// <param name="c">The elements of C, row-major; must not overlap A or B.</param>
    /// <param name="ldc">Distance between the starts of two rows of C.</param>
    /// <exception cref="ArgumentException">A size, leading dimension or span length is inconsistent, or C overlaps A or B.</exception>
    /// <typeparam name="TEpilogue">The elementwise function, e.g. <see cref="ReluEpilogue"/>.</typeparam>
    /// <param name="bias">One value per column of C (length n), or empty for none.</param>
    public static unsafe void Multiply<TEpilogue>(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, ReadOnlySpan<float> bias)
        where TEpilogue : IGemmEpilogue
        => MultiplyCore<TEpilogue>(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, default, 0, ThreadCount, GemmKernelKind.Auto);

    /// <summary>
    /// Computes <c>C = f(alpha·op(A)·op(B) + beta·C + bias, D)</c> in single precision, f being
    /// <typeparamref name="TEpilogue"/> (one that <see cref="IGemmEpilogue.ReadsOther"/>) applied to each element and
    /// the element of D at the same position as the tile of C is written for the last time: a backward pass's
    /// dZ = (dY·W) ⊙ act′(Y) in one product, D being Y.
    /// </summary>
    /// <param name="transposeA">Whether op(A) = Aᵀ, A being stored k×m.</param>
    /// <param name="transposeB">Whether op(B) = Bᵀ, B being stored n×k.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Factor of the product.</param>
    /// <param name="a">The elements of A, row-major.</param>
    /// <param name="lda">Distance between the starts of two rows of A as stored.</param>
    /// <param name="b">The elements of B, row-major.</param>
    /// <param name="ldb">Distance between the starts of two rows of B as stored.</param>
    /// <param name="beta">Factor of the old C; 0 means C is not read.</param>
    /// <param name="c">The elements of C, row-major; must not overlap A, B or D.</param>
    /// <param name="ldc">Distance between the starts of two rows of C.</param>
    /// <param name="bias">One value per column of C (length n), or empty for none.</param>
    /// <param name="other">The elements of D, m×n row-major, read by the epilogue.</param>
    /// <param name="ldOther">Distance between the starts of two rows of D.</param>
    /// <typeparam name="TEpilogue">The elementwise function of C and D.</typeparam>
    /// <exception cref="ArgumentException">A size, leading dimension or span length is inconsistent, C overlaps A, B or D, or the epilogue reads no second matrix.</exception>
    public static void Multiply<TEpilogue>(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> other, int ldOther)
        where TEpilogue : IGemmEpilogue
        => MultiplyCore<TEpilogue>(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, other, ldOther, ThreadCount, GemmKernelKind.Auto);

    /// <summary>The single-precision product with the thread count and micro-kernel chosen by the caller (tests, benchmarks).</summary>
    internal static unsafe void MultiplyCore<TEpilogue>(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> other, int ldOther, int maxThreads, GemmKernelKind kind)
        where TEpilogue : IGemmEpilogue
    {
        Validate(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc);
        if (!bias.IsEmpty && bias.Length != n)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Gemm: bias has {bias.Length} elements but n={n} needs {n} (or none)."),
                nameof(bias));
        }

        if (TEpilogue.ReadsOther)
        {
            CheckOperand("other", nameof(ldOther), false, "", "m", m, "n", n, other.Length, ldOther);
            if ((long)m * n > 0 && c.Overlaps(other))
            {
                throw new ArgumentException("Gemm: c overlaps other; the epilogue would read what the product has written.", nameof(c));
            }
        }
        else if (!other.IsEmpty)
        {
            throw new ArgumentException(
                $"Gemm: {typeof(TEpilogue).Name} reads no second matrix (ReadsOther is false), but other has {other.Length} elements.", nameof(other));
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = bias)
        fixed (float* pother = other)
        {
            SgemmArgs args = new()
            {
                TransposeA = transposeA,
                TransposeB = transposeB,
                M = m,
                N = n,
                K = k,
                Alpha = alpha,
                Beta = beta,
                A = pa,
                Lda = lda,
                B = pb,
                Ldb = ldb,
                C = pc,
                Ldc = ldc,
                Bias = bias.IsEmpty ? null : pbias,
                Other = TEpilogue.ReadsOther ? pother : null,
                LdOther = ldOther,
            };
            Sgemm.Run<TEpilogue>(args, maxThreads, kind);
        }
    }

    /// <summary>Computes <c>C = alpha·op(A)·op(B) + beta·C</c> in double precision.</summary>
    /// <param name="transposeA">Whether op(A) = Aᵀ, A being stored k×m.</param>
    /// <param name="transposeB">Whether op(B) = Bᵀ, B being stored n×k.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Factor of the product.</param>
    /// <param name="a">The elements of A, row-major.</param>
    /// <param name="lda">Distance between the starts of two rows of A as stored.</param>
    /// <param name="b">The elements of B, row-major.</param>
    /// <param name="ldb">Distance between the starts of two rows of B as stored.</param>
    /// <param name="beta">Factor of the old C; 0 means C is not read.</param>
    /// <param name="c">The elements of C, row-major; must not overlap A or B.</param>
    /// <param name="ldc">Distance between the starts of two rows of C.</param>
    /// <exception cref="ArgumentException">A size, leading dimension or span length is inconsistent, or C overlaps A or B.</exception>
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k, double alpha, ReadOnlySpan<double> a, int lda,
        ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
    {
        Validate(transposeA, transposeB, m, n, k, a, lda, b, ldb, c, ldc);
        Dgemm.Run(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ThreadCount);
    }

    /// <summary>Checks sizes, leading dimensions, lengths and overlap; throws naming the values.</summary>
    private static void Validate<T>(bool transposeA, bool transposeB, int m, int n, int k, ReadOnlySpan<T> a, int lda,
        ReadOnlySpan<T> b, int ldb, ReadOnlySpan<T> c, int ldc)
    {
        CheckSize(m, nameof(m));
        CheckSize(n, nameof(n));
        CheckSize(k, nameof(k));
        CheckOperand("a", nameof(lda), transposeA, "transposeA", "m", m, "k", k, a.Length, lda);
        CheckOperand("b", nameof(ldb), transposeB, "transposeB", "k", k, "n", n, b.Length, ldb);
        CheckOperand("c", nameof(ldc), false, "", "m", m, "n", n, c.Length, ldc);
        if ((long)m * n > 0)
        {
            if (!a.IsEmpty && c.Overlaps(a))
            {
                throw new ArgumentException("Gemm: c overlaps a; the product cannot be computed in place.", nameof(c));
            }

            if (!b.IsEmpty && c.Overlaps(b))
            {
                throw new ArgumentException("Gemm: c overlaps b; the product cannot be computed in place.", nameof(c));
            }
        }
    }

    private static void CheckSize(int value, string name)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value,
                string.Create(CultureInfo.InvariantCulture, $"Gemm: {name}={value} is negative."));
        }
    }

    /// <summary>
    /// Checks one operand whose op() is <paramref name="rowsName"/>×<paramref name="colsName"/>: stored that way, or
    /// the other way round when <paramref name="transposed"/>.
    /// </summary>
    private static void CheckOperand(string name, string ldName, bool transposed, string transposeName,
        string rowsName, int rows, string colsName, int cols, int length, int ld)
    {
        int storedRows = transposed ? cols : rows, storedCols = transposed ? rows : cols;
        if (storedRows == 0 || storedCols == 0)
        {
            return;
        }

        if (ld < storedCols)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"Gemm: {ldName}={ld} is less than the row length {storedCols} of {name} with {Shape()}."),
                ldName);
        }

        long needed = (long)(storedRows - 1) * ld + storedCols;
        if (length < needed)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"Gemm: {name} has {length} elements but {Shape()}, {ldName}={ld} need {needed}."),
                name);
        }

        string Shape() => transposed
            ? string.Create(CultureInfo.InvariantCulture, $"{transposeName}, {rowsName}={rows}, {colsName}={cols} ({name} stored {colsName}×{rowsName})")
            : string.Create(CultureInfo.InvariantCulture, $"{rowsName}={rows}, {colsName}={cols}");
    }
}
