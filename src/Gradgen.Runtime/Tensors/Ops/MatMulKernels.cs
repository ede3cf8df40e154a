using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gradgen;

/// <summary>
/// The one entry point for matrix products in the runtime: C[m×n] = A[m×k]·B[k×n] over strided operands. A simple,
/// correct loop for now; Float32 will call <c>Gradgen.Kernels.Gemm.Multiply</c> once it exists.
/// </summary>
internal static class MatMulKernels
{
    /// <summary>
    /// c[ci + i·n + j] = Σₚ a[ai + i·ars + p·acs] · b[bi + p·brs + j] (B's rows must be contiguous; C is contiguous).
    /// </summary>
    public static void Multiply<T>(int m, int n, int k,
        ReadOnlySpan<T> a, int ai, int ars, int acs,
        ReadOnlySpan<T> b, int bi, int brs,
        Span<T> c, int ci) where T : unmanaged, INumber<T>
    {
        var cRowsAll = c.Slice(ci, m * n);
        cRowsAll.Clear();
        if (n == 0 || m == 0) return;
        for (int i = 0; i < m; i++)
        {
            var cRow = c.Slice(ci + i * n, n);
            for (int p = 0; p < k; p++)
            {
                T aip = a[ai + i * ars + p * acs];
                if (aip == T.Zero) continue;
                var bRow = b.Slice(bi + p * brs, n);
                AxpyRow(aip, bRow, cRow);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void AxpyRow<T>(T alpha, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && x.Length >= Vector<T>.Count)
        {
            var va = new Vector<T>(alpha);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var vy = new Vector<T>(y.Slice(i)) + va * new Vector<T>(x.Slice(i));
                vy.CopyTo(y.Slice(i));
            }
        }
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }
}
