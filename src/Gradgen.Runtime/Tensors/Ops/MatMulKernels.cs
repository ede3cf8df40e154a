using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradgen;

/// <summary>
/// The one entry point for matrix products in the runtime, with the signature of
/// <c>Gradgen.Kernels.Gemm.Multiply</c> (alpha = 1, beta = 0): C[m×n] = op(A)·op(B), row-major with leading
/// dimensions, op(X) = X or Xᵀ. Float32 and Float64 run <c>Gemm.Multiply</c> (the packed product the layers use;
/// NaN and ∞ times 0 propagate, as in PyTorch); integers a simple loop.
/// </summary>
internal static class MatMulKernels
{
    /// <summary>
    /// C = op(A)·op(B). A is stored m×k (k×m when <paramref name="transposeA"/>), B is stored k×n (n×k when
    /// <paramref name="transposeB"/>); every span starts at its matrix's first element.
    /// </summary>
    public static void Multiply<T>(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            Kernels.Gemm.Multiply(transposeA, transposeB, m, n, k, 1f, MemoryMarshal.Cast<T, float>(a), lda,
                MemoryMarshal.Cast<T, float>(b), ldb, 0f, MemoryMarshal.Cast<T, float>(c), ldc);
            return;
        }

        if (typeof(T) == typeof(double))
        {
            Kernels.Gemm.Multiply(transposeA, transposeB, m, n, k, 1.0, MemoryMarshal.Cast<T, double>(a), lda,
                MemoryMarshal.Cast<T, double>(b), ldb, 0.0, MemoryMarshal.Cast<T, double>(c), ldc);
            return;
        }

        for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        if (m == 0 || n == 0 || k == 0) return;
        ref T pa = ref MemoryMarshal.GetReference(a);
        if (!transposeB)
        {
            // C[i, :] += A(i, p) · B[p, :]: the inner loop runs along contiguous rows of B and C.
            for (int i = 0; i < m; i++)
            {
                var cRow = c.Slice(i * ldc, n);
                for (int p = 0; p < k; p++)
                {
                    T aip = transposeA ? Unsafe.Add(ref pa, p * lda + i) : Unsafe.Add(ref pa, i * lda + p);
                    Axpy(aip, b.Slice(p * ldb, n), cRow);
                }
            }
        }
        else
        {
            // C[i, j] = A(i, :) · B[j, :]: dot products along contiguous rows of Bᵀ's storage.
            T[]? column = transposeA ? new T[k] : null;
            for (int i = 0; i < m; i++)
            {
                ReadOnlySpan<T> aRow;
                if (column is not null)
                {
                    for (int p = 0; p < k; p++) column[p] = Unsafe.Add(ref pa, p * lda + i);
                    aRow = column;
                }
                else aRow = a.Slice(i * lda, k);
                for (int j = 0; j < n; j++) c[i * ldc + j] = Dot(aRow, b.Slice(j * ldb, k));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Axpy<T>(T alpha, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && x.Length >= Vector<T>.Count)
        {
            var va = new Vector<T>(alpha);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
                (new Vector<T>(y.Slice(i)) + va * new Vector<T>(x.Slice(i))).CopyTo(y.Slice(i));
        }
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : unmanaged, INumber<T>
    {
        int i = 0;
        T s = T.Zero;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && x.Length >= Vector<T>.Count)
        {
            var acc = Vector<T>.Zero;
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count) acc += new Vector<T>(x.Slice(i)) * new Vector<T>(y.Slice(i));
            s = Vector.Sum(acc);
        }
        for (; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }
}
