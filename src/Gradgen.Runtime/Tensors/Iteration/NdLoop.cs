using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradgen;

/// <summary>The body of a strided loop: processes one row of <c>count</c> elements per operand.</summary>
internal interface IRowKernel
{
    /// <summary>One row: operand <c>i</c> starts at storage index <c>offsets[i]</c> and steps by <c>strides[i]</c>.</summary>
    void Row(int count, scoped ReadOnlySpan<int> offsets, scoped ReadOnlySpan<int> strides);
}

/// <summary>
/// THE strided iteration of the runtime (written once): walks a shape over several operands, each broadcast to that
/// shape (a size-1 or missing dimension gets stride 0), merges dimensions that are contiguous for every operand, and
/// hands the innermost dimension to a <see cref="IRowKernel"/> as rows.
/// </summary>
internal static class NdLoop
{
    /// <summary>Broadcast strides of <paramref name="t"/> when it is iterated over <paramref name="shape"/>.</summary>
    public static void BroadcastStrides(Tensor t, ReadOnlySpan<int> shape, Span<int> dst)
    {
        int nd = shape.Length, lead = nd - t.shape.Length;
        for (int i = 0; i < nd; i++)
        {
            int ti = i - lead;
            dst[i] = ti < 0 || t.shape[ti] == 1 ? 0 : t.strides[ti];
        }
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> over <paramref name="shape"/>; every operand must broadcast to it (callers
    /// check). Operands are referred to by position in <c>offsets</c> and <c>strides</c>.
    /// </summary>
    public static void Run<K>(ref K kernel, scoped ReadOnlySpan<int> shape, scoped ReadOnlySpan<Tensor> operands)
        where K : struct, IRowKernel, allows ref struct
    {
        RunRows(ref kernel, shape, operands);

        // The kernel reads the operands through spans, which do not keep a tensor reachable: the operands (views
        // included, which share the storage) stay reachable until here, so no pooled array goes back under a loop.
        foreach (var t in operands) GC.KeepAlive(t);
    }

    [SkipLocalsInit]
    static void RunRows<K>(ref K kernel, scoped ReadOnlySpan<int> shape, scoped ReadOnlySpan<Tensor> operands)
        where K : struct, IRowKernel, allows ref struct
    {
        int nops = operands.Length, nd = shape.Length;
        long total = 1;
        foreach (int d in shape) total *= d;
        if (total == 0) return;

        Span<int> offsets = stackalloc int[nops];
        for (int o = 0; o < nops; o++) offsets[o] = operands[o].offset;
        if (nd == 0)
        {
            Span<int> zero = stackalloc int[nops];
            zero.Clear();
            kernel.Row(1, offsets, zero);
            return;
        }

        // dims[d] is the size of dimension d; st[d * nops + o] the stride of operand o along it.
        Span<int> dims = stackalloc int[nd];
        Span<int> st = stackalloc int[nd * nops];
        Span<int> tmp = stackalloc int[nd];
        int n = 0;
        for (int o = 0; o < nops; o++)
        {
            BroadcastStrides(operands[o], shape, tmp);
            for (int d = 0; d < nd; d++) st[d * nops + o] = tmp[d];
        }
        // Drop size-1 dimensions and merge a dimension into the previous kept one when every operand is contiguous across them.
        for (int d = 0; d < nd; d++)
        {
            int size = shape[d];
            if (size == 1) continue;
            if (n > 0)
            {
                bool merge = true;
                for (int o = 0; o < nops; o++)
                {
                    if (st[(n - 1) * nops + o] != st[d * nops + o] * size) { merge = false; break; }
                }
                if (merge)
                {
                    dims[n - 1] *= size;
                    for (int o = 0; o < nops; o++) st[(n - 1) * nops + o] = st[d * nops + o];
                    continue;
                }
            }
            dims[n] = size;
            for (int o = 0; o < nops; o++) st[n * nops + o] = st[d * nops + o];
            n++;
        }
        if (n == 0)
        {
            dims[0] = 1;
            for (int o = 0; o < nops; o++) st[o] = 0;
            n = 1;
        }

        int inner = dims[n - 1];
        ReadOnlySpan<int> innerStrides = st.Slice((n - 1) * nops, nops);
        if (n == 1)
        {
            kernel.Row(inner, offsets, innerStrides);
            return;
        }
        Span<int> index = stackalloc int[n - 1];
        index.Clear();
        while (true)
        {
            kernel.Row(inner, offsets, innerStrides);
            int d = n - 2;
            for (; d >= 0; d--)
            {
                if (++index[d] < dims[d])
                {
                    for (int o = 0; o < nops; o++) offsets[o] += st[d * nops + o];
                    break;
                }
                for (int o = 0; o < nops; o++) offsets[o] -= st[d * nops + o] * (dims[d] - 1);
                index[d] = 0;
            }
            if (d < 0) return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref T At<T>(Span<T> span, int index) => ref Unsafe.Add(ref MemoryMarshal.GetReference(span), index);
}

/// <summary>A function of one element.</summary>
internal interface IFunc1<TA, TR>
{
    TR Invoke(TA a);
}

/// <summary>A function of two elements.</summary>
internal interface IFunc2<TA, TB, TR>
{
    TR Invoke(TA a, TB b);
}

/// <summary>A function of three elements.</summary>
internal interface IFunc3<T, TR>
{
    TR Invoke(T a, T b, T c);
}

/// <summary>A function of four elements.</summary>
internal interface IFunc4<T, TR>
{
    TR Invoke(T a, T b, T c, T d);
}

/// <summary>The per-arity row loops over <see cref="NdLoop"/>: out = f(a, …), operands broadcast to the output's shape.</summary>
internal static class Map
{
    public static void Run<TA, TR, F>(Tensor a, Tensor result, F f) where F : struct, IFunc1<TA, TR>
        where TA : unmanaged where TR : unmanaged
    {
        var k = new K1<TA, TR, F> { A = a.StorageSpan<TA>(), R = result.StorageSpan<TR>(), Fn = f };
        NdLoop.Run(ref k, result.shape, [a, result]);
    }

    public static void Run<TA, TB, TR, F>(Tensor a, Tensor b, Tensor result, F f) where F : struct, IFunc2<TA, TB, TR>
        where TA : unmanaged where TB : unmanaged where TR : unmanaged
    {
        var k = new K2<TA, TB, TR, F> { A = a.StorageSpan<TA>(), B = b.StorageSpan<TB>(), R = result.StorageSpan<TR>(), Fn = f };
        NdLoop.Run(ref k, result.shape, [a, b, result]);
    }

    public static void Run<T, TR, F>(Tensor a, Tensor b, Tensor c, Tensor result, F f) where F : struct, IFunc3<T, TR>
        where T : unmanaged where TR : unmanaged
    {
        var k = new K3<T, TR, F> { A = a.StorageSpan<T>(), B = b.StorageSpan<T>(), C = c.StorageSpan<T>(), R = result.StorageSpan<TR>(), Fn = f };
        NdLoop.Run(ref k, result.shape, [a, b, c, result]);
    }

    public static void Run<T, TR, F>(Tensor a, Tensor b, Tensor c, Tensor d, Tensor result, F f) where F : struct, IFunc4<T, TR>
        where T : unmanaged where TR : unmanaged
    {
        var k = new K4<T, TR, F> { A = a.StorageSpan<T>(), B = b.StorageSpan<T>(), C = c.StorageSpan<T>(), D = d.StorageSpan<T>(), R = result.StorageSpan<TR>(), Fn = f };
        NdLoop.Run(ref k, result.shape, [a, b, c, d, result]);
    }

    ref struct K1<TA, TR, F> : IRowKernel where F : struct, IFunc1<TA, TR>
    {
        public Span<TA> A;
        public Span<TR> R;
        public F Fn;

        public void Row(int count, scoped ReadOnlySpan<int> off, scoped ReadOnlySpan<int> st)
        {
            ref TA a = ref NdLoop.At(A, off[0]);
            ref TR r = ref NdLoop.At(R, off[1]);
            int sa = st[0], sr = st[1];
            if (sa == 1 && sr == 1)
                for (int i = 0; i < count; i++) Unsafe.Add(ref r, i) = Fn.Invoke(Unsafe.Add(ref a, i));
            else
                for (int i = 0; i < count; i++) Unsafe.Add(ref r, i * sr) = Fn.Invoke(Unsafe.Add(ref a, i * sa));
        }
    }

    ref struct K2<TA, TB, TR, F> : IRowKernel where F : struct, IFunc2<TA, TB, TR>
    {
        public Span<TA> A;
        public Span<TB> B;
        public Span<TR> R;
        public F Fn;

        public void Row(int count, scoped ReadOnlySpan<int> off, scoped ReadOnlySpan<int> st)
        {
            ref TA a = ref NdLoop.At(A, off[0]);
            ref TB b = ref NdLoop.At(B, off[1]);
            ref TR r = ref NdLoop.At(R, off[2]);
            int sa = st[0], sb = st[1], sr = st[2];
            if (sa == 1 && sb == 1 && sr == 1)
                for (int i = 0; i < count; i++) Unsafe.Add(ref r, i) = Fn.Invoke(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i));
            else if (sa == 1 && sb == 0 && sr == 1)
            {
                TB bv = b;
                for (int i = 0; i < count; i++) Unsafe.Add(ref r, i) = Fn.Invoke(Unsafe.Add(ref a, i), bv);
            }
            else
                for (int i = 0; i < count; i++) Unsafe.Add(ref r, i * sr) = Fn.Invoke(Unsafe.Add(ref a, i * sa), Unsafe.Add(ref b, i * sb));
        }
    }

    ref struct K3<T, TR, F> : IRowKernel where F : struct, IFunc3<T, TR>
    {
        public Span<T> A, B, C;
        public Span<TR> R;
        public F Fn;

        public void Row(int count, scoped ReadOnlySpan<int> off, scoped ReadOnlySpan<int> st)
        {
            ref T a = ref NdLoop.At(A, off[0]);
            ref T b = ref NdLoop.At(B, off[1]);
            ref T c = ref NdLoop.At(C, off[2]);
            ref TR r = ref NdLoop.At(R, off[3]);
            int sa = st[0], sb = st[1], sc = st[2], sr = st[3];
            for (int i = 0; i < count; i++)
                Unsafe.Add(ref r, i * sr) = Fn.Invoke(Unsafe.Add(ref a, i * sa), Unsafe.Add(ref b, i * sb), Unsafe.Add(ref c, i * sc));
        }
    }

    ref struct K4<T, TR, F> : IRowKernel where F : struct, IFunc4<T, TR>
    {
        public Span<T> A, B, C, D;
        public Span<TR> R;
        public F Fn;

        public void Row(int count, scoped ReadOnlySpan<int> off, scoped ReadOnlySpan<int> st)
        {
            ref T a = ref NdLoop.At(A, off[0]);
            ref T b = ref NdLoop.At(B, off[1]);
            ref T c = ref NdLoop.At(C, off[2]);
            ref T d = ref NdLoop.At(D, off[3]);
            ref TR r = ref NdLoop.At(R, off[4]);
            int sa = st[0], sb = st[1], sc = st[2], sd = st[3], sr = st[4];
            for (int i = 0; i < count; i++)
                Unsafe.Add(ref r, i * sr) = Fn.Invoke(Unsafe.Add(ref a, i * sa), Unsafe.Add(ref b, i * sb), Unsafe.Add(ref c, i * sc), Unsafe.Add(ref d, i * sd));
        }
    }
}

/// <summary>Converts elements from <typeparamref name="TIn"/> to <typeparamref name="TOut"/>.</summary>
internal struct Convert<TIn, TOut> : IFunc1<TIn, TOut> where TIn : unmanaged where TOut : unmanaged
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly TOut Invoke(TIn x) => Elem.Cast<TIn, TOut>(x);
}

/// <summary>Element conversions between the dtypes' CLR types; the <c>typeof</c> tests are specialised away by the JIT.</summary>
internal static class Elem
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TO Cast<TI, TO>(TI x) where TI : unmanaged where TO : unmanaged
    {
        if (typeof(TI) == typeof(TO)) return Unsafe.As<TI, TO>(ref x);
        if (typeof(TO) == typeof(bool))
        {
            bool r = ToDouble(x) != 0;
            return Unsafe.As<bool, TO>(ref r);
        }
        if (typeof(TI) == typeof(int) || typeof(TI) == typeof(long) || typeof(TI) == typeof(bool))
            return FromLong<TO>(ToLong(x));
        return FromDouble<TO>(ToDouble(x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ToLong<TI>(TI x)
    {
        if (typeof(TI) == typeof(int)) return Unsafe.As<TI, int>(ref x);
        if (typeof(TI) == typeof(long)) return Unsafe.As<TI, long>(ref x);
        if (typeof(TI) == typeof(bool)) return Unsafe.As<TI, bool>(ref x) ? 1 : 0;
        return (long)ToDouble(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToDouble<TI>(TI x)
    {
        if (typeof(TI) == typeof(float)) return Unsafe.As<TI, float>(ref x);
        if (typeof(TI) == typeof(double)) return Unsafe.As<TI, double>(ref x);
        if (typeof(TI) == typeof(int)) return Unsafe.As<TI, int>(ref x);
        if (typeof(TI) == typeof(long)) return Unsafe.As<TI, long>(ref x);
        if (typeof(TI) == typeof(bool)) return Unsafe.As<TI, bool>(ref x) ? 1 : 0;
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TO FromLong<TO>(long v)
    {
        if (typeof(TO) == typeof(int)) { int r = unchecked((int)v); return Unsafe.As<int, TO>(ref r); }
        if (typeof(TO) == typeof(long)) return Unsafe.As<long, TO>(ref v);
        return FromDouble<TO>(v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TO FromDouble<TO>(double v)
    {
        if (typeof(TO) == typeof(float)) { float r = (float)v; return Unsafe.As<float, TO>(ref r); }
        if (typeof(TO) == typeof(double)) return Unsafe.As<double, TO>(ref v);
        if (typeof(TO) == typeof(int)) { int r = unchecked((int)v); return Unsafe.As<int, TO>(ref r); }
        if (typeof(TO) == typeof(long)) { long r = unchecked((long)v); return Unsafe.As<long, TO>(ref r); }
        if (typeof(TO) == typeof(bool)) { bool r = v != 0; return Unsafe.As<bool, TO>(ref r); }
        throw new NotSupportedException();
    }
}
