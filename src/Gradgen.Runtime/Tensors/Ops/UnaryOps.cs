// Each operation is one struct: its forward in every dtype. The float math (exp, log, sin, cos, tan, tanh, sqrt,
// sigmoid, and for float tensors relu and abs) is generated from [Differentiable] one-liners (ElementwiseFunctions.cs,
// DESIGN.md 4); what remains here keeps integer dtypes or takes a scalar argument (Pow, Clamp: a scalar broadcast to a
// tensor would be copied to full size first). Their derivatives are those one-liners' generated backward kernels
// (Gradient, with the scalar arguments as constant operands): no derivative is written here.
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Gradgen;

internal struct NegOp : IUnaryOp, IVectorArithmetic
{
    public readonly string Name => "Neg";
    public readonly bool KeepsIntegers => true;
    public readonly ElementwiseGradient? Gradient => ElementwiseGradient.Neg;
    public readonly double[] Constants => [];
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float x) => -x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double x) => -x;
    public readonly int Forward(int x) => -x;
    public readonly long Forward(long x) => -x;

    // The vector form, as a binary operation that ignores b (VectorArithmetic's kernels take two operands).
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec Forward<T, TVec, TSimd>(TVec a, TVec b) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Negate(a);
}

// Float tensors take the generated one-liner ElementwiseFunctions.Relu (its derivative written once, in the rule
// table); this struct keeps integer tensors' dtype, and integer tensors never require grad.
internal struct ReluOp : IUnaryOp
{
    public readonly string Name => "Relu";
    public readonly bool KeepsIntegers => true;
    public readonly ElementwiseGradient? Gradient => null;
    public readonly double[] Constants => [];
    public readonly float Forward(float x) => throw new UnreachableException();
    public readonly double Forward(double x) => throw new UnreachableException();
    public readonly int Forward(int x) => x > 0 ? x : 0;
    public readonly long Forward(long x) => x > 0 ? x : 0;
}

// Float tensors take ElementwiseFunctions.Abs; this struct keeps integer tensors' dtype.
internal struct AbsOp : IUnaryOp
{
    public readonly string Name => "Abs";
    public readonly bool KeepsIntegers => true;
    public readonly ElementwiseGradient? Gradient => null;
    public readonly double[] Constants => [];
    public readonly float Forward(float x) => throw new UnreachableException();
    public readonly double Forward(double x) => throw new UnreachableException();
    public readonly int Forward(int x) => x < 0 ? -x : x;
    public readonly long Forward(long x) => x < 0 ? -x : x;
}

/// <summary>x^p for a scalar exponent p.</summary>
internal struct PowScalarOp : IUnaryOp
{
    public double P;

    /// <summary>Set for an integer exponent ≥ 0 given as an integer: integer tensors then keep their dtype, as in PyTorch.</summary>
    public bool IntegerExponent;

    public readonly string Name => "Pow";
    public readonly bool KeepsIntegers => IntegerExponent;

    /// <summary>x·x for p = 2 (the forward's own special case), else pow(x, p) with p a constant operand.</summary>
    public readonly ElementwiseGradient? Gradient => P == 2 ? ElementwiseGradient.Square : ElementwiseGradient.Pow;
    public readonly double[] Constants => P == 2 ? [] : [P];
    // As PyTorch, p = ±0.5 is the square root (or its reciprocal): √−∞ is NaN (pow(−∞, 0.5) would be +∞) and √−0 is −0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float x) => P == 2 ? x * x : P == 0.5 ? MathF.Sqrt(x) : P == -0.5 ? 1 / MathF.Sqrt(x) : MathF.Pow(x, (float)P);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double x) => P == 2 ? x * x : P == 0.5 ? Math.Sqrt(x) : P == -0.5 ? 1 / Math.Sqrt(x) : Math.Pow(x, P);
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

}

/// <summary>min(max(x, Min), Max); the gradient flows where Min ≤ x ≤ Max.</summary>
internal struct ClampOp : IUnaryOp
{
    public double Min, Max;
    public readonly string Name => "Clamp";
    public readonly bool KeepsIntegers => true;
    public readonly ElementwiseGradient? Gradient => ElementwiseGradient.Clamp;
    public readonly double[] Constants => [Min, Max];
    // PyTorch's min(max(x, min), max): NaN stays NaN, and where min > max every element is max.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float x) => float.IsNaN(x) ? x : MathF.Min(MathF.Max(x, (float)Min), (float)Max);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double x) => double.IsNaN(x) ? x : Math.Min(Math.Max(x, Min), Max);
    public readonly int Forward(int x) => (int)Forward((long)x);
    public readonly long Forward(long x)
    {
        long lower = x < Min ? (long)Math.Ceiling(Min) : x;
        return lower > Max ? (long)Math.Floor(Max) : lower;
    }
}
