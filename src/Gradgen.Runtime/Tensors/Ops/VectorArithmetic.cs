using System.Runtime.CompilerServices;
using Gradgen.Kernels;

namespace Gradgen;

/// <summary>
/// The vector form of an arithmetic operation (<see cref="AddOp"/>, <see cref="SubOp"/>, <see cref="MulOp"/>,
/// <see cref="DivOp"/>, <see cref="NegOp"/>), next to its scalar form in the same struct: the forward, on any
/// <see cref="ISimd{TVec, T}"/> width (the scalar width runs the tails). Their gradients are generated kernels
/// (<see cref="ElementwiseGradient"/>).
/// </summary>
internal interface IVectorArithmetic
{
    static abstract TVec Forward<T, TVec, TSimd>(TVec a, TVec b)
        where T : unmanaged where TVec : struct where TSimd : ISimd<TVec, T>;
}

/// <summary>
/// The contiguous fast path of float and double arithmetic (tensor ⊕ tensor of one layout, tensor ⊕ scalar,
/// scalar ⊕ tensor, unary minus): SIMD through <see cref="Elementwise"/>, without
/// <see cref="NdLoop"/>'s stride bookkeeping. Anything else (broadcasts, strided views, integers) returns false and
/// takes the general loops.
/// </summary>
internal static class VectorArithmetic
{
    /// <summary>r = op(a, b) if every operand fits the fast path (r is a fresh contiguous result, or one of the operands).</summary>
    public static bool TryForward<TOp>(Tensor a, Tensor b, Tensor r) where TOp : struct
    {
        if (typeof(TOp) == typeof(AddOp)) return Run<AddOp>(a, b, r);
        if (typeof(TOp) == typeof(SubOp)) return Run<SubOp>(a, b, r);
        if (typeof(TOp) == typeof(MulOp)) return Run<MulOp>(a, b, r);
        if (typeof(TOp) == typeof(DivOp)) return Run<DivOp>(a, b, r);
        if (typeof(TOp) == typeof(NegOp)) return Run<NegOp>(a, a, r);
        return false;
    }

    static bool Run<TOp>(Tensor a, Tensor b, Tensor r) where TOp : IVectorArithmetic
    {
        int n = r.numel;
        var dt = r.DType;
        if (dt is not (DType.Float32 or DType.Float64) || !r.IsContiguous) return false;
        if (!Fits(a, n, dt) || !Fits(b, n, dt)) return false;
        if (dt == DType.Float32) Run<float, TOp>(a, b, r);
        else Run<double, TOp>(a, b, r);

        // The kernels read through spans: the operands' pooled arrays stay in use until here.
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        return true;
    }

    /// <summary>A flat operand in the result's element order, or a single value broadcast to every element.</summary>
    static bool Fits(Tensor t, int n, DType dt) => t.DType == dt && (t.numel == 1 || (t.numel == n && t.IsContiguous));

    static void Run<T, TOp>(Tensor a, Tensor b, Tensor r) where T : unmanaged where TOp : IVectorArithmetic
    {
        int n = r.numel;
        if (n == 0) return;
        var spans = new Spans<T>(Operand<T>.Of(a, n), Operand<T>.Of(b, n), r.StorageSpan<T>().Slice(r.offset, n));
        Elementwise.Run<ForwardKernel<T, TOp>, Spans<T>, T>(in spans, n);
    }

    /// <summary>An operand: a span of the result's length, or one value for every element (a C# scalar, a size-1 tensor).</summary>
    readonly ref struct Operand<T> where T : unmanaged
    {
        readonly ReadOnlySpan<T> span;
        readonly T value;
        readonly bool single;

        Operand(ReadOnlySpan<T> span, T value, bool single)
        {
            this.span = span;
            this.value = value;
            this.single = single;
        }

        public static Operand<T> Of(Tensor t, int n) => t.numel == 1 && n != 1
            ? new(default, t.StorageSpan<T>()[t.offset], true)
            : new(t.StorageSpan<T>().Slice(t.offset, n), default, false);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TVec Load<TVec, TSimd>(int i) where TVec : struct where TSimd : ISimd<TVec, T> =>
            single ? TSimd.Create(value) : TSimd.Load(span, i);
    }

    readonly ref struct Spans<T>(Operand<T> a, Operand<T> b, Span<T> r) where T : unmanaged
    {
        public readonly Operand<T> A = a, B = b;
        public readonly Span<T> R = r;
    }

    readonly struct ForwardKernel<T, TOp> : IElementwiseKernel<Spans<T>, T> where T : unmanaged where TOp : IVectorArithmetic
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Invoke<TVec, TSimd>(scoped ref readonly Spans<T> s, int i) where TVec : struct where TSimd : ISimd<TVec, T> =>
            TSimd.Store(TOp.Forward<T, TVec, TSimd>(s.A.Load<TVec, TSimd>(i), s.B.Load<TVec, TSimd>(i)), s.R, i);
    }
}
