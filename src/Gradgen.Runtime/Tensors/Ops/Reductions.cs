using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gradgen;

/// <summary>Reduction kernels: sums to a kept shape (the one loop behind Sum, Mean and broadcast gradients) and max/min along a dimension.</summary>
internal static class Reductions
{
    /// <summary>The dtype of a sum: floating dtypes keep theirs, integers and Bool sum to Int64 (as PyTorch).</summary>
    public static DType SumDType(DType d) => d.IsFloating() ? d : DType.Int64;

    /// <summary>
    /// Sums <paramref name="x"/> over every dimension where <paramref name="kept"/> (same rank) has size 1 and x does
    /// not; the result has shape <paramref name="kept"/>. Float32 accumulates in Float64.
    /// </summary>
    public static Tensor SumToKeptShape(Tensor x, int[] kept)
    {
        if (x.storage is DeviceStorage) return DeviceReductions.SumToKeptShape(x, kept);
        DType rd = SumDType(x.DType);
        DType acc = rd == DType.Float32 ? DType.Float64 : rd;
        var r = Tensor.Empty(acc, kept, zeroed: true);
        // The accumulator seen with x's shape: stride 0 along the reduced dimensions.
        var rs = new int[kept.Length];
        for (int i = 0; i < kept.Length; i++) rs[i] = kept[i] == 1 && x.shape[i] != 1 ? 0 : r.strides[i];
        var view = new Tensor(r.storage, x.shape, rs, 0);
        switch (x.DType)
        {
            case DType.Float32: SumInto<float, double>(x, view); break;
            case DType.Float64: SumInto<double, double>(x, view); break;
            case DType.Int32: SumInto<int, long>(x, view); break;
            case DType.Int64: SumInto<long, long>(x, view); break;
            default: SumInto<int, long>(x.ToDTypeData(DType.Int32), view); break;
        }
        return acc == rd ? r : r.ToDTypeData(rd);
    }

    static void SumInto<T, TAcc>(Tensor x, Tensor acc) where T : unmanaged, INumber<T> where TAcc : unmanaged, INumber<TAcc>
    {
        var k = new SumKernel<T, TAcc> { X = x.StorageSpan<T>(), R = acc.StorageSpan<TAcc>() };
        NdLoop.Run(ref k, x.shape, [x, acc]);
    }

    ref struct SumKernel<T, TAcc> : IRowKernel where T : unmanaged, INumber<T> where TAcc : unmanaged, INumber<TAcc>
    {
        public Span<T> X;
        public Span<TAcc> R;

        public void Row(int count, scoped ReadOnlySpan<int> off, scoped ReadOnlySpan<int> st)
        {
            ref T x = ref NdLoop.At(X, off[0]);
            ref TAcc r = ref NdLoop.At(R, off[1]);
            int sx = st[0], sr = st[1];
            if (sr == 0)
            {
                // Four independent accumulators: the additions do not wait on each other.
                TAcc s0 = TAcc.Zero, s1 = TAcc.Zero, s2 = TAcc.Zero, s3 = TAcc.Zero;
                int i = 0;
                for (; i + 4 <= count; i += 4)
                {
                    s0 += TAcc.CreateTruncating(Unsafe.Add(ref x, i * sx));
                    s1 += TAcc.CreateTruncating(Unsafe.Add(ref x, (i + 1) * sx));
                    s2 += TAcc.CreateTruncating(Unsafe.Add(ref x, (i + 2) * sx));
                    s3 += TAcc.CreateTruncating(Unsafe.Add(ref x, (i + 3) * sx));
                }
                for (; i < count; i++) s0 += TAcc.CreateTruncating(Unsafe.Add(ref x, i * sx));
                r += (s0 + s1) + (s2 + s3);
            }
            else if (sx == 1 && sr == 1)
                AddContiguous(ref x, ref r, count);
            else
                for (int i = 0; i < count; i++) Unsafe.Add(ref r, i * sr) += TAcc.CreateTruncating(Unsafe.Add(ref x, i * sx));
        }

        /// <summary>
        /// <c>r[i] += x[i]</c> over a contiguous row (summing over a leading dimension, as a broadcast's gradient does): in
        /// vectors, widened from Float32 to the Float64 accumulator. Each element's additions are the same, in the same
        /// order, as element by element.
        /// </summary>
        static void AddContiguous(ref T x, ref TAcc r, int count)
        {
            int i = 0;
            if (typeof(T) == typeof(float) && typeof(TAcc) == typeof(double) && Vector.IsHardwareAccelerated)
            {
                ref float xs = ref Unsafe.As<T, float>(ref x);
                ref double rs = ref Unsafe.As<TAcc, double>(ref r);
                for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
                {
                    Vector.Widen(Vector.LoadUnsafe(ref xs, (nuint)i), out var low, out var high);
                    nuint upper = (nuint)(i + Vector<double>.Count);
                    (Vector.LoadUnsafe(ref rs, (nuint)i) + low).StoreUnsafe(ref rs, (nuint)i);
                    (Vector.LoadUnsafe(ref rs, upper) + high).StoreUnsafe(ref rs, upper);
                }
            }
            else if (typeof(T) == typeof(TAcc) && Vector.IsHardwareAccelerated && Vector<TAcc>.IsSupported)
            {
                ref TAcc xs = ref Unsafe.As<T, TAcc>(ref x);
                for (; i <= count - Vector<TAcc>.Count; i += Vector<TAcc>.Count)
                {
                    (Vector.LoadUnsafe(ref r, (nuint)i) + Vector.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref r, (nuint)i);
                }
            }

            for (; i < count; i++) Unsafe.Add(ref r, i) += TAcc.CreateTruncating(Unsafe.Add(ref x, i));
        }
    }

    /// <summary>The shape with dimension <paramref name="dim"/> set to 1.</summary>
    public static int[] KeptShape(int[] shape, int dim)
    {
        var k = (int[])shape.Clone();
        k[dim] = 1;
        return k;
    }

    /// <summary>Max (or min) of <paramref name="x"/> along <paramref name="dim"/>, with the first index of it; NaN wins as in PyTorch. Both results have the kept shape.</summary>
    public static (Tensor Values, Tensor Indices) MaxAlong(Tensor x, int dim, bool min)
    {
        if (x.storage is DeviceStorage) return DeviceReductions.MaxAlong(x, dim, min);
        var kept = KeptShape(x.shape, dim);
        var src = x.DType == DType.Bool ? x.ToDTypeData(DType.Int32) : x;
        var values = Tensor.Empty(src.DType, kept);
        var indices = Tensor.Empty(DType.Int64, kept);
        switch (src.DType)
        {
            case DType.Float32: MaxAlong<float>(src, dim, min, values, indices); break;
            case DType.Float64: MaxAlong<double>(src, dim, min, values, indices); break;
            case DType.Int32: MaxAlong<int>(src, dim, min, values, indices); break;
            default: MaxAlong<long>(src, dim, min, values, indices); break;
        }
        return (x.DType == DType.Bool ? values.ToDTypeData(DType.Bool) : values, indices);
    }

    static void MaxAlong<T>(Tensor x, int dim, bool min, Tensor values, Tensor indices) where T : unmanaged, INumber<T>
    {
        // x seen with the kept shape: the row kernel walks the reduced dimension itself.
        var xs = (int[])x.strides.Clone();
        xs[dim] = 0;
        var xv = new Tensor(x.storage, values.shape, xs, x.offset);
        var k = new MaxKernel<T> { X = x.StorageSpan<T>(), V = values.StorageSpan<T>(), I = indices.StorageSpan<long>(), Length = x.shape[dim], Stride = x.strides[dim], Min = min };
        NdLoop.Run(ref k, values.shape, [xv, values, indices]);
    }

    ref struct MaxKernel<T> : IRowKernel where T : unmanaged, INumber<T>
    {
        public Span<T> X, V;
        public Span<long> I;
        public int Length, Stride;
        public bool Min;

        public void Row(int count, scoped ReadOnlySpan<int> off, scoped ReadOnlySpan<int> st)
        {
            for (int j = 0; j < count; j++)
            {
                ref T x = ref NdLoop.At(X, off[0] + j * st[0]);
                T best = x;
                long bi = 0;
                if (!T.IsNaN(best))
                {
                    for (int i = 1; i < Length; i++)
                    {
                        T v = Unsafe.Add(ref x, i * Stride);
                        if (T.IsNaN(v)) { best = v; bi = i; break; }
                        if (Min ? v < best : v > best) { best = v; bi = i; }
                    }
                }
                NdLoop.At(V, off[1] + j * st[1]) = best;
                NdLoop.At(I, off[2] + j * st[2]) = bi;
            }
        }
    }

    /// <summary>Adds <paramref name="g"/> (kept shape) into <paramref name="z"/> at the positions <paramref name="indices"/> along <paramref name="dim"/>.</summary>
    public static void ScatterAddAlong(Tensor z, int dim, Tensor indices, Tensor g)
    {
        if (z.storage is DeviceStorage)
        {
            DeviceReductions.ScatterAddAlong(z, dim, indices, g);
            return;
        }
        var zs = (int[])z.strides.Clone();
        zs[dim] = 0;
        var zv = new Tensor(z.storage, indices.shape, zs, z.offset);
        if (z.DType == DType.Float32) Scatter<float>(z, zv, dim, indices, g);
        else Scatter<double>(z, zv, dim, indices, g);
    }

    static void Scatter<T>(Tensor z, Tensor zv, int dim, Tensor indices, Tensor g) where T : unmanaged, INumber<T>
    {
        var k = new ScatterKernel<T> { Z = z.StorageSpan<T>(), G = g.StorageSpan<T>(), I = indices.StorageSpan<long>(), Stride = z.strides[dim] };
        NdLoop.Run(ref k, indices.shape, [zv, g, indices]);
    }

    ref struct ScatterKernel<T> : IRowKernel where T : unmanaged, INumber<T>
    {
        public Span<T> Z, G;
        public Span<long> I;
        public int Stride;

        public void Row(int count, scoped ReadOnlySpan<int> off, scoped ReadOnlySpan<int> st)
        {
            for (int j = 0; j < count; j++)
            {
                long idx = NdLoop.At(I, off[2] + j * st[2]);
                NdLoop.At(Z, off[0] + j * st[0] + (int)idx * Stride) += NdLoop.At(G, off[1] + j * st[1]);
            }
        }
    }
}
