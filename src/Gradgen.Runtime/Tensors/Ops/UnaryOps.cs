// Each operation is one struct: forward and derivative, written once for float and double (the bodies are the
// same expression; M is MathF or Math). The float math (exp, log, sin, cos, tan, tanh, sqrt, sigmoid, and for float
// tensors relu and abs) is generated from [Differentiable] one-liners instead (ElementwiseFunctions.cs, DESIGN.md 4);
// what remains here keeps integer dtypes or takes a scalar argument (Pow, Clamp: the generator's tensor overloads
// take tensors only, and a scalar broadcast to a tensor would be copied to full size first).
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Gradgen;

internal struct NegOp : IUnaryOp, IVectorArithmetic
{
    public readonly string Name => "Neg";
    public readonly bool KeepsIntegers => true;
    public readonly bool UsesInput => false;
    public readonly bool UsesOutput => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float x) => -x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double x) => -x;
    public readonly int Forward(int x) => -x;
    public readonly long Forward(long x) => -x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Backward(float x, float y, float g) => -g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Backward(double x, double y, double g) => -g;

    // The vector form, as a binary operation that ignores b (VectorArithmetic's kernels take two operands).
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec Forward<T, TVec, TSimd>(TVec a, TVec b) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Negate(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec GradA<T, TVec, TSimd>(TVec a, TVec b, TVec g) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Negate(g);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec GradB<T, TVec, TSimd>(TVec a, TVec b, TVec g) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Negate(g);
}

// Float tensors take the generated one-liner ElementwiseFunctions.Relu (its derivative written once, in the rule
// table); this struct keeps integer tensors' dtype, and integer tensors never require grad.
internal struct ReluOp : IUnaryOp
{
    public readonly string Name => "Relu";
    public readonly bool KeepsIntegers => true;
    public readonly bool UsesInput => false;
    public readonly bool UsesOutput => false;
    public readonly float Forward(float x) => throw new UnreachableException();
    public readonly double Forward(double x) => throw new UnreachableException();
    public readonly int Forward(int x) => x > 0 ? x : 0;
    public readonly long Forward(long x) => x > 0 ? x : 0;
    public readonly float Backward(float x, float y, float g) => throw new UnreachableException();
    public readonly double Backward(double x, double y, double g) => throw new UnreachableException();
}

// Float tensors take ElementwiseFunctions.Abs; this struct keeps integer tensors' dtype.
internal struct AbsOp : IUnaryOp
{
    public readonly string Name => "Abs";
    public readonly bool KeepsIntegers => true;
    public readonly bool UsesInput => false;
    public readonly bool UsesOutput => false;
    public readonly float Forward(float x) => throw new UnreachableException();
    public readonly double Forward(double x) => throw new UnreachableException();
    public readonly int Forward(int x) => x < 0 ? -x : x;
    public readonly long Forward(long x) => x < 0 ? -x : x;
    public readonly float Backward(float x, float y, float g) => throw new UnreachableException();
    public readonly double Backward(double x, double y, double g) => throw new UnreachableException();
}

/// <summary>x^p for a scalar exponent p.</summary>
internal struct PowScalarOp : IUnaryOp
{
    public double P;

    /// <summary>Set for an integer exponent ≥ 0 given as an integer: integer tensors then keep their dtype, as in PyTorch.</summary>
    public bool IntegerExponent;

    public readonly string Name => "Pow";
    public readonly bool KeepsIntegers => IntegerExponent;
    public readonly bool UsesInput => true;
    public readonly bool UsesOutput => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float x) => P == 2 ? x * x : MathF.Pow(x, (float)P);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double x) => P == 2 ? x * x : Math.Pow(x, P);
    public readonly int Forward(int x) => unchecked((int)IntPow(x, (long)P));
    public readonly long Forward(long x) => IntPow(x, (long)P);

    static long IntPow(long x, long p)
    {
        long r = 1;
        while (p > 0)
        {
            if ((p & 1) != 0) r = unchecked(r * x);
            x = unchecked(x * x);
            p >>= 1;
        }
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Backward(float x, float y, float g) => P == 0 ? 0 : P == 2 ? g * 2 * x : g * (float)P * MathF.Pow(x, (float)(P - 1));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Backward(double x, double y, double g) => P == 0 ? 0 : P == 2 ? g * 2 * x : g * P * Math.Pow(x, P - 1);
}

/// <summary>min(max(x, Min), Max); the gradient flows where Min ≤ x ≤ Max.</summary>
internal struct ClampOp : IUnaryOp
{
    public double Min, Max;
    public readonly string Name => "Clamp";
    public readonly bool KeepsIntegers => true;
    public readonly bool UsesInput => true;
    public readonly bool UsesOutput => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float x) => float.IsNaN(x) ? x : x < (float)Min ? (float)Min : x > (float)Max ? (float)Max : x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double x) => double.IsNaN(x) ? x : x < Min ? Min : x > Max ? Max : x;
    public readonly int Forward(int x) => x < Min ? (int)Math.Ceiling(Min) : x > Max ? (int)Math.Floor(Max) : x;
    public readonly long Forward(long x) => x < Min ? (long)Math.Ceiling(Min) : x > Max ? (long)Math.Floor(Max) : x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Backward(float x, float y, float g) => x >= (float)Min && x <= (float)Max ? g : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Backward(double x, double y, double g) => x >= Min && x <= Max ? g : 0;
}
