using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradgen.Kernels;

/// <summary>
/// The double-precision matrix product: correct for every case and vectorised, not blocked or packed (float32 is the
/// training type; float64 serves gradient checks and references). Rows of C are independent, so large products are
/// split over threads by rows.
/// </summary>
internal static unsafe class Dgemm
{
    /// <summary>Below this many multiply-adds a second thread does not pay.</summary>
    private const long MinMultiplyAddsPerThread = 1L << 18;

    internal static void Run(bool transposeA, bool transposeB, int m, int n, int k, double alpha, ReadOnlySpan<double> a, int lda,
        ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc, int maxThreads)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (double* pa = a)
        fixed (double* pb = b)
        fixed (double* pc = c)
        {
            Args g = new(transposeA, transposeB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            long multiplyAdds = (long)m * n * k;
            int threads = (int)Math.Clamp(multiplyAdds / MinMultiplyAddsPerThread, 1, Math.Min(Math.Max(1, maxThreads), m));
            if (threads == 1)
            {
                Rows(g, 0, m);
            }
            else
            {
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
                    t => Rows(g, (int)((long)t * m / threads), (int)((long)(t + 1) * m / threads)));
            }
        }
    }

    private readonly struct Args(bool transposeA, bool transposeB, int m, int n, int k, double alpha, double* a, nint lda,
        double* b, nint ldb, double beta, double* c, nint ldc)
    {
        public readonly bool TransposeA = transposeA, TransposeB = transposeB;
        public readonly int M = m, N = n, K = k;
        public readonly double Alpha = alpha, Beta = beta;
        public readonly double* A = a, B = b, C = c;
        public readonly nint Lda = lda, Ldb = ldb, Ldc = ldc;
    }

    /// <summary>Rows [start, end) of C.</summary>
    private static void Rows(in Args g, int start, int end)
    {
        int n = g.N, k = g.K;
        for (int i = start; i < end; i++)
        {
            Span<double> row = new(g.C + i * g.Ldc, n);
            if (g.Beta == 0)
            {
                row.Clear();
            }
            else if (g.Beta != 1)
            {
                Scale(row, g.Beta);
            }

            if (g.Alpha == 0 || k == 0)
            {
                continue;
            }

            nint aStep = g.TransposeA ? g.Lda : 1;
            double* ai = g.A + (g.TransposeA ? i : i * g.Lda);
            if (!g.TransposeB)
            {
                // C[i, :] += alpha·A(i, p)·B[p, :], B rows contiguous.
                for (int p = 0; p < k; p++)
                {
                    Axpy(g.Alpha * ai[p * aStep], new ReadOnlySpan<double>(g.B + p * g.Ldb, n), row);
                }
            }
            else
            {
                // C[i, j] += alpha·Σp A(i, p)·B[j, p], B rows contiguous along k.
                for (int j = 0; j < n; j++)
                {
                    double* bj = g.B + j * g.Ldb;
                    double dot = aStep == 1
                        ? Dot(new ReadOnlySpan<double>(ai, k), new ReadOnlySpan<double>(bj, k))
                        : StridedDot(ai, aStep, bj, k);
                    row[j] += g.Alpha * dot;
                }
            }

        }
    }

    private static void Scale(Span<double> x, double factor)
    {
        ref double r = ref MemoryMarshal.GetReference(x);
        int i = 0;
        for (; i + Vector<double>.Count <= x.Length; i += Vector<double>.Count)
        {
            ref double ri = ref Unsafe.Add(ref r, i);
            Vector.StoreUnsafe(Vector.LoadUnsafe(ref ri) * factor, ref ri);
        }

        for (; i < x.Length; i++)
        {
            Unsafe.Add(ref r, i) *= factor;
        }
    }

    private static void Axpy(double s, ReadOnlySpan<double> x, Span<double> y)
    {
        ref double rx = ref MemoryMarshal.GetReference(x);
        ref double ry = ref MemoryMarshal.GetReference(y);
        Vector<double> vs = new(s);
        int i = 0;
        for (; i + Vector<double>.Count <= y.Length; i += Vector<double>.Count)
        {
            ref double yi = ref Unsafe.Add(ref ry, i);
            Vector.StoreUnsafe(Vector.FusedMultiplyAdd(vs, Vector.LoadUnsafe(ref Unsafe.Add(ref rx, i)), Vector.LoadUnsafe(ref yi)), ref yi);
        }

        for (; i < y.Length; i++)
        {
            Unsafe.Add(ref ry, i) = Math.FusedMultiplyAdd(s, Unsafe.Add(ref rx, i), Unsafe.Add(ref ry, i));
        }
    }

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        ref double rx = ref MemoryMarshal.GetReference(x);
        ref double ry = ref MemoryMarshal.GetReference(y);
        Vector<double> s0 = Vector<double>.Zero, s1 = Vector<double>.Zero;
        int i = 0, w = Vector<double>.Count;
        for (; i + 2 * w <= x.Length; i += 2 * w)
        {
            s0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref Unsafe.Add(ref rx, i)), Vector.LoadUnsafe(ref Unsafe.Add(ref ry, i)), s0);
            s1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref Unsafe.Add(ref rx, i + w)), Vector.LoadUnsafe(ref Unsafe.Add(ref ry, i + w)), s1);
        }

        double sum = Vector.Sum(s0 + s1);
        for (; i < x.Length; i++)
        {
            sum = Math.FusedMultiplyAdd(Unsafe.Add(ref rx, i), Unsafe.Add(ref ry, i), sum);
        }

        return sum;
    }

    private static double StridedDot(double* x, nint stride, double* y, int k)
    {
        double sum = 0;
        for (int p = 0; p < k; p++)
        {
            sum = Math.FusedMultiplyAdd(x[p * stride], y[p], sum);
        }

        return sum;
    }
}
