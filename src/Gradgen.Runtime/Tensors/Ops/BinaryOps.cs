// Binary operations and comparisons, one struct each (see UnaryOps.cs): the forward in every dtype; the derivative
// is the generated kernel of the matching one-liner in ElementwiseFunctions.cs (ElementwiseGradient).
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Gradgen;

internal struct AddOp : IBinaryOp, IVectorArithmetic
{
    public readonly string Name => "Add";
    public readonly ElementwiseGradient Gradient => ElementwiseGradient.Add;
    public readonly bool KeepsIntegers => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => a + b;
    public readonly int Forward(int a, int b) => unchecked(a + b);
    public readonly long Forward(long a, long b) => unchecked(a + b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec Forward<T, TVec, TSimd>(TVec a, TVec b) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Add(a, b);
}

internal struct SubOp : IBinaryOp, IVectorArithmetic
{
    public readonly string Name => "Sub";
    public readonly ElementwiseGradient Gradient => ElementwiseGradient.Sub;
    public readonly bool KeepsIntegers => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => a - b;
    public readonly int Forward(int a, int b) => unchecked(a - b);
    public readonly long Forward(long a, long b) => unchecked(a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec Forward<T, TVec, TSimd>(TVec a, TVec b) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Subtract(a, b);
}

internal struct MulOp : IBinaryOp, IVectorArithmetic
{
    public readonly string Name => "Mul";
    public readonly ElementwiseGradient Gradient => ElementwiseGradient.Mul;
    public readonly bool KeepsIntegers => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => a * b;
    public readonly int Forward(int a, int b) => unchecked(a * b);
    public readonly long Forward(long a, long b) => unchecked(a * b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec Forward<T, TVec, TSimd>(TVec a, TVec b) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Multiply(a, b);
}

internal struct DivOp : IBinaryOp, IVectorArithmetic
{
    public readonly string Name => "Div";
    public readonly ElementwiseGradient Gradient => ElementwiseGradient.Div;
    public readonly bool KeepsIntegers => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => a / b;
    public readonly int Forward(int a, int b) => throw new UnreachableException();
    public readonly long Forward(long a, long b) => throw new UnreachableException();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec Forward<T, TVec, TSimd>(TVec a, TVec b) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Divide(a, b);
}

internal struct PowOp : IBinaryOp
{
    public readonly string Name => "Pow";
    public readonly ElementwiseGradient Gradient => ElementwiseGradient.Pow;
    public readonly bool KeepsIntegers => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => MathF.Pow(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => Math.Pow(a, b);
    public readonly int Forward(int a, int b) => throw new UnreachableException();
    public readonly long Forward(long a, long b) => throw new UnreachableException();
}

internal struct MaximumOp : IBinaryOp
{
    public readonly string Name => "Maximum";
    public readonly ElementwiseGradient Gradient => ElementwiseGradient.Maximum;
    public readonly bool KeepsIntegers => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => Math.Max(a, b);
    public readonly int Forward(int a, int b) => Math.Max(a, b);
    public readonly long Forward(long a, long b) => Math.Max(a, b);
}

internal struct MinimumOp : IBinaryOp
{
    public readonly string Name => "Minimum";
    public readonly ElementwiseGradient Gradient => ElementwiseGradient.Minimum;
    public readonly bool KeepsIntegers => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => MathF.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => Math.Min(a, b);
    public readonly int Forward(int a, int b) => Math.Min(a, b);
    public readonly long Forward(long a, long b) => Math.Min(a, b);
}

internal struct EqOp : ICompareOp
{
    public readonly string Name => "Eq";
    public readonly bool Invoke(float a, float b) => a == b;
    public readonly bool Invoke(double a, double b) => a == b;
    public readonly bool Invoke(int a, int b) => a == b;
    public readonly bool Invoke(long a, long b) => a == b;
}

internal struct NeOp : ICompareOp
{
    public readonly string Name => "Ne";
    public readonly bool Invoke(float a, float b) => a != b;
    public readonly bool Invoke(double a, double b) => a != b;
    public readonly bool Invoke(int a, int b) => a != b;
    public readonly bool Invoke(long a, long b) => a != b;
}

internal struct GtOp : ICompareOp
{
    public readonly string Name => "Gt";
    public readonly bool Invoke(float a, float b) => a > b;
    public readonly bool Invoke(double a, double b) => a > b;
    public readonly bool Invoke(int a, int b) => a > b;
    public readonly bool Invoke(long a, long b) => a > b;
}

internal struct LtOp : ICompareOp
{
    public readonly string Name => "Lt";
    public readonly bool Invoke(float a, float b) => a < b;
    public readonly bool Invoke(double a, double b) => a < b;
    public readonly bool Invoke(int a, int b) => a < b;
    public readonly bool Invoke(long a, long b) => a < b;
}

internal struct GeOp : ICompareOp
{
    public readonly string Name => "Ge";
    public readonly bool Invoke(float a, float b) => a >= b;
    public readonly bool Invoke(double a, double b) => a >= b;
    public readonly bool Invoke(int a, int b) => a >= b;
    public readonly bool Invoke(long a, long b) => a >= b;
}

internal struct LeOp : ICompareOp
{
    public readonly string Name => "Le";
    public readonly bool Invoke(float a, float b) => a <= b;
    public readonly bool Invoke(double a, double b) => a <= b;
    public readonly bool Invoke(int a, int b) => a <= b;
    public readonly bool Invoke(long a, long b) => a <= b;
}
