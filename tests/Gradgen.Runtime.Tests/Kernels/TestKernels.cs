using Gradgen.Kernels;

namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>The spans of <see cref="RationalKernel{T}"/>: <c>y[i] = f(x[i], a[i])</c>.</summary>
internal ref struct RationalArgs<T>
{
    public ReadOnlySpan<T> X;
    public ReadOnlySpan<T> A;
    public Span<T> Y;
}

/// <summary>
/// y = x·a − x/(|a| + |x|): only correctly rounded operations, so every width gives the same bits as the scalar
/// loop, and a wrong index, a lost tail or an element computed twice from overwritten inputs shows exactly.
/// </summary>
internal readonly struct RationalKernel<T> : IElementwiseKernel<RationalArgs<T>, T>
    where T : unmanaged
{
    public static void Invoke<TVec, TSimd>(scoped ref readonly RationalArgs<T> args, int index)
        where TVec : struct
        where TSimd : ISimd<TVec, T>
    {
        TVec x = TSimd.Load(args.X, index);
        TVec a = TSimd.Load(args.A, index);
        TVec y = TSimd.Subtract(TSimd.Multiply(x, a), TSimd.Divide(x, TSimd.Add(TSimd.Abs(a), TSimd.Abs(x))));
        TSimd.Store(y, args.Y, index);
    }
}

/// <summary>The spans of <see cref="SinExpKernel"/>.</summary>
internal ref struct SinExpArgs
{
    public ReadOnlySpan<float> X;
    public Span<float> Y;
    public Span<float> Dy;
}

/// <summary>
/// The shape of a generated forward-and-gradient kernel: y = sin(x)·eˣ and dy/dx = (cos x + sin x)·eˣ, the
/// transcendental functions shared between the two outputs.
/// </summary>
internal readonly struct SinExpKernel : IElementwiseKernel<SinExpArgs, float>
{
    public static void Invoke<TVec, TSimd>(scoped ref readonly SinExpArgs args, int index)
        where TVec : struct
        where TSimd : ISimd<TVec, float>
    {
        TVec x = TSimd.Load(args.X, index);
        TVec sin = TSimd.Sin(x);
        TVec exp = TSimd.Exp(x);
        TSimd.Store(TSimd.Multiply(sin, exp), args.Y, index);
        TSimd.Store(TSimd.Multiply(TSimd.Add(TSimd.Cos(x), sin), exp), args.Dy, index);
    }
}

/// <summary>y = x + x, and a compacting garbage collection every 2048 elements, from whichever thread runs them.</summary>
internal readonly struct CollectingKernel : IElementwiseKernel<RationalArgs<float>, float>
{
    public static void Invoke<TVec, TSimd>(scoped ref readonly RationalArgs<float> args, int index)
        where TVec : struct
        where TSimd : ISimd<TVec, float>
    {
        if (index % 2048 < TSimd.Count)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }

        TVec x = TSimd.Load(args.X, index);
        TSimd.Store(TSimd.Add(x, x), args.Y, index);
    }
}
