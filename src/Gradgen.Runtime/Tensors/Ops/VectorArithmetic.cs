using System.Runtime.CompilerServices;
using Gradgen.Kernels;

namespace Gradgen;

/// <summary>
/// The vector form of an arithmetic operation (<see cref="AddOp"/>, <see cref="SubOp"/>, <see cref="MulOp"/>,
/// <see cref="DivOp"/>, <see cref="NegOp"/>), next to its scalar form in the same struct: forward and the gradient of
/// each operand, on any <see cref="ISimd{TVec, T}"/> width (the scalar width runs the tails).
/// </summary>
internal interface IVectorArithmetic
{
    static abstract TVec Forward<T, TVec, TSimd>(TVec a, TVec b)
        where T : unmanaged where TVec : struct where TSimd : ISimd<TVec, T>;

    /// <summary>g · ∂y/∂a</summary>
    static abstract TVec GradA<T, TVec, TSimd>(TVec a, TVec b, TVec g)
        where T : unmanaged where TVec : struct where TSimd : ISimd<TVec, T>;

    /// <summary>g · ∂y/∂b</summary>
    static abstract TVec GradB<T, TVec, TSimd>(TVec a, TVec b, TVec g)
        where T : unmanaged where TVec : struct where TSimd : ISimd<TVec, T>;
}

/// <summary>
/// The contiguous fast path of float and double arithmetic (tensor ⊕ tensor of one layout, tensor ⊕ scalar,
/// scalar ⊕ tensor, unary minus, and their gradients): SIMD through <see cref="Elementwise"/>, without
/// <see cref="NdLoop"/>'s stride bookkeeping. Anything else (broadcasts, strided views, integers) returns false and
/// takes the general loops.
/// </summary>
internal static class VectorArithmetic
{
    /// <summary>r = op(a, b) if every operand fits the fast path (r is a fresh contiguous result, or one of the operands).</summary>
    public static bool TryForward<TOp>(Tensor a, Tensor b, Tensor r) where TOp : struct
    {
        if (typeof(TOp) == typeof(AddOp)) return Run<AddOp>(a, b, null, r, Mode.Forward);
        if (typeof(TOp) == typeof(SubOp)) return Run<SubOp>(a, b, null, r, Mode.Forward);
        if (typeof(TOp) == typeof(MulOp)) return Run<MulOp>(a, b, null, r, Mode.Forward);
        if (typeof(TOp) == typeof(DivOp)) return Run<DivOp>(a, b, null, r, Mode.Forward);
        if (typeof(TOp) == typeof(NegOp)) return Run<NegOp>(a, a, null, r, Mode.Forward);
        return false;
    }

    /// <summary>r = g · ∂op/∂a (or ∂op/∂b when <paramref name="forB"/>) if every operand fits the fast path.</summary>
    public static bool TryGrad<TOp>(Tensor a, Tensor b, Tensor g, Tensor r, bool forB) where TOp : struct
    {
        var mode = forB ? Mode.GradB : Mode.GradA;
        if (typeof(TOp) == typeof(AddOp)) return Run<AddOp>(a, b, g, r, mode);
        if (typeof(TOp) == typeof(SubOp)) return Run<SubOp>(a, b, g, r, mode);
        if (typeof(TOp) == typeof(MulOp)) return Run<MulOp>(a, b, g, r, mode);
        if (typeof(TOp) == typeof(DivOp)) return Run<DivOp>(a, b, g, r, mode);
        if (typeof(TOp) == typeof(NegOp)) return Run<NegOp>(g, g, g, r, mode);
        return false;
    }

    enum Mode
    {
        Forward,
        GradA,
        GradB,
    }

    static bool Run<TOp>(Tensor a, Tensor b, Tensor? g, Tensor r, Mode mode) where TOp : IVectorArithmetic
    {
        int n = r.numel;
        var dt = r.DType;
        if (dt is not (DType.Float32 or DType.Float64) || !r.IsContiguous) return false;
        if (!Fits(a, n, dt) || !Fits(b, n, dt)) return false;
        if (g is not null && !(g.IsContiguous && g.numel == n && g.DType == dt)) return false;
        if (dt == DType.Float32) Run<float, TOp>(a, b, g, r, mode);
        else Run<double, TOp>(a, b, g, r, mode);

        // The kernels read through spans: the operands' pooled arrays stay in use until here.
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(g);
        return true;
    }

    /// <summary>A flat operand in the result's element order, or a single value broadcast to every element.</summary>
    static bool Fits(Tensor t, int n, DType dt) => t.DType == dt && (t.numel == 1 || (t.numel == n && t.IsContiguous));

    static void Run<T, TOp>(Tensor a, Tensor b, Tensor? g, Tensor r, Mode mode) where T : unmanaged where TOp : IVectorArithmetic
    {
        int n = r.numel;
        if (n == 0) return;
        var spans = new Spans<T>(Operand<T>.Of(a, n), Operand<T>.Of(b, n), g is null ? default : Operand<T>.Of(g, n), r.StorageSpan<T>().Slice(r.offset, n));
        switch (mode)
        {
            case Mode.Forward: Elementwise.Run<ForwardKernel<T, TOp>, Spans<T>, T>(in spans, n); break;
            case Mode.GradA: Elementwise.Run<GradAKernel<T, TOp>, Spans<T>, T>(in spans, n); break;
            default: Elementwise.Run<GradBKernel<T, TOp>, Spans<T>, T>(in spans, n); break;
        }
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

    readonly ref struct Spans<T>(Operand<T> a, Operand<T> b, Operand<T> g, Span<T> r) where T : unmanaged
    {
        public readonly Operand<T> A = a, B = b, G = g;
        public readonly Span<T> R = r;
    }

    readonly struct ForwardKernel<T, TOp> : IElementwiseKernel<Spans<T>, T> where T : unmanaged where TOp : IVectorArithmetic
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Invoke<TVec, TSimd>(scoped ref readonly Spans<T> s, int i) where TVec : struct where TSimd : ISimd<TVec, T> =>
            TSimd.Store(TOp.Forward<T, TVec, TSimd>(s.A.Load<TVec, TSimd>(i), s.B.Load<TVec, TSimd>(i)), s.R, i);
    }

    readonly struct GradAKernel<T, TOp> : IElementwiseKernel<Spans<T>, T> where T : unmanaged where TOp : IVectorArithmetic
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Invoke<TVec, TSimd>(scoped ref readonly Spans<T> s, int i) where TVec : struct where TSimd : ISimd<TVec, T> =>
            TSimd.Store(TOp.GradA<T, TVec, TSimd>(s.A.Load<TVec, TSimd>(i), s.B.Load<TVec, TSimd>(i), s.G.Load<TVec, TSimd>(i)), s.R, i);
    }

    readonly struct GradBKernel<T, TOp> : IElementwiseKernel<Spans<T>, T> where T : unmanaged where TOp : IVectorArithmetic
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Invoke<TVec, TSimd>(scoped ref readonly Spans<T> s, int i) where TVec : struct where TSimd : ISimd<TVec, T> =>
            TSimd.Store(TOp.GradB<T, TVec, TSimd>(s.A.Load<TVec, TSimd>(i), s.B.Load<TVec, TSimd>(i), s.G.Load<TVec, TSimd>(i)), s.R, i);
    }
}
