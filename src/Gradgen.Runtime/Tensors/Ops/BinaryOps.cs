// Binary operations and comparisons, one struct each (see UnaryOps.cs).
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Gradgen;

internal struct AddOp : IBinaryOp, IVectorArithmetic
{
    public readonly string Name => "Add";
    public readonly bool KeepsIntegers => true;
    public readonly bool IdentityGradA => true;
    public readonly bool IdentityGradB => true;
    public readonly bool UsesInputs => false;
    public readonly bool UsesOutput => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => a + b;
    public readonly int Forward(int a, int b) => unchecked(a + b);
    public readonly long Forward(long a, long b) => unchecked(a + b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradA(float a, float b, float y, float g) => g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradA(double a, double b, double y, double g) => g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradB(float a, float b, float y, float g) => g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradB(double a, double b, double y, double g) => g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec Forward<T, TVec, TSimd>(TVec a, TVec b) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Add(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec GradA<T, TVec, TSimd>(TVec a, TVec b, TVec g) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec GradB<T, TVec, TSimd>(TVec a, TVec b, TVec g) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => g;
}

internal struct SubOp : IBinaryOp, IVectorArithmetic
{
    public readonly string Name => "Sub";
    public readonly bool KeepsIntegers => true;
    public readonly bool IdentityGradA => true;
    public readonly bool IdentityGradB => false;
    public readonly bool UsesInputs => false;
    public readonly bool UsesOutput => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => a - b;
    public readonly int Forward(int a, int b) => unchecked(a - b);
    public readonly long Forward(long a, long b) => unchecked(a - b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradA(float a, float b, float y, float g) => g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradA(double a, double b, double y, double g) => g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradB(float a, float b, float y, float g) => -g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradB(double a, double b, double y, double g) => -g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec Forward<T, TVec, TSimd>(TVec a, TVec b) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Subtract(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec GradA<T, TVec, TSimd>(TVec a, TVec b, TVec g) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => g;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec GradB<T, TVec, TSimd>(TVec a, TVec b, TVec g) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Negate(g);
}

internal struct MulOp : IBinaryOp, IVectorArithmetic
{
    public readonly string Name => "Mul";
    public readonly bool KeepsIntegers => true;
    public readonly bool IdentityGradA => false;
    public readonly bool IdentityGradB => false;
    public readonly bool UsesInputs => true;
    public readonly bool UsesOutput => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => a * b;
    public readonly int Forward(int a, int b) => unchecked(a * b);
    public readonly long Forward(long a, long b) => unchecked(a * b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradA(float a, float b, float y, float g) => g * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradA(double a, double b, double y, double g) => g * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradB(float a, float b, float y, float g) => g * a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradB(double a, double b, double y, double g) => g * a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec Forward<T, TVec, TSimd>(TVec a, TVec b) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Multiply(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec GradA<T, TVec, TSimd>(TVec a, TVec b, TVec g) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Multiply(g, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec GradB<T, TVec, TSimd>(TVec a, TVec b, TVec g) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Multiply(g, a);
}

internal struct DivOp : IBinaryOp, IVectorArithmetic
{
    public readonly string Name => "Div";
    public readonly bool KeepsIntegers => false;
    public readonly bool IdentityGradA => false;
    public readonly bool IdentityGradB => false;
    public readonly bool UsesInputs => true;
    public readonly bool UsesOutput => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => a / b;
    public readonly int Forward(int a, int b) => throw new UnreachableException();
    public readonly long Forward(long a, long b) => throw new UnreachableException();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradA(float a, float b, float y, float g) => g / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradA(double a, double b, double y, double g) => g / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradB(float a, float b, float y, float g) => -g * a / (b * b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradB(double a, double b, double y, double g) => -g * a / (b * b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec Forward<T, TVec, TSimd>(TVec a, TVec b) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Divide(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec GradA<T, TVec, TSimd>(TVec a, TVec b, TVec g) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Divide(g, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static TVec GradB<T, TVec, TSimd>(TVec a, TVec b, TVec g) where T : unmanaged where TVec : struct where TSimd : Kernels.ISimd<TVec, T> => TSimd.Divide(TSimd.Multiply(TSimd.Negate(g), a), TSimd.Multiply(b, b));
}

internal struct PowOp : IBinaryOp
{
    public readonly string Name => "Pow";
    public readonly bool KeepsIntegers => false;
    public readonly bool IdentityGradA => false;
    public readonly bool IdentityGradB => false;
    public readonly bool UsesInputs => true;
    public readonly bool UsesOutput => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => MathF.Pow(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => Math.Pow(a, b);
    public readonly int Forward(int a, int b) => throw new UnreachableException();
    public readonly long Forward(long a, long b) => throw new UnreachableException();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradA(float a, float b, float y, float g) => b == 0 ? 0 : g * b * MathF.Pow(a, b - 1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradA(double a, double b, double y, double g) => b == 0 ? 0 : g * b * Math.Pow(a, b - 1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradB(float a, float b, float y, float g) => a == 0 && b >= 0 ? 0 : g * y * MathF.Log(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradB(double a, double b, double y, double g) => a == 0 && b >= 0 ? 0 : g * y * Math.Log(a);
}

internal struct MaximumOp : IBinaryOp
{
    public readonly string Name => "Maximum";
    public readonly bool KeepsIntegers => true;
    public readonly bool IdentityGradA => false;
    public readonly bool IdentityGradB => false;
    public readonly bool UsesInputs => true;
    public readonly bool UsesOutput => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => Math.Max(a, b);
    public readonly int Forward(int a, int b) => Math.Max(a, b);
    public readonly long Forward(long a, long b) => Math.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradA(float a, float b, float y, float g) => a > b ? g : a == b ? g / 2 : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradA(double a, double b, double y, double g) => a > b ? g : a == b ? g / 2 : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradB(float a, float b, float y, float g) => b > a ? g : a == b ? g / 2 : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradB(double a, double b, double y, double g) => b > a ? g : a == b ? g / 2 : 0;
}

internal struct MinimumOp : IBinaryOp
{
    public readonly string Name => "Minimum";
    public readonly bool KeepsIntegers => true;
    public readonly bool IdentityGradA => false;
    public readonly bool IdentityGradB => false;
    public readonly bool UsesInputs => true;
    public readonly bool UsesOutput => false;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float Forward(float a, float b) => MathF.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double Forward(double a, double b) => Math.Min(a, b);
    public readonly int Forward(int a, int b) => Math.Min(a, b);
    public readonly long Forward(long a, long b) => Math.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradA(float a, float b, float y, float g) => a < b ? g : a == b ? g / 2 : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradA(double a, double b, double y, double g) => a < b ? g : a == b ? g / 2 : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly float GradB(float a, float b, float y, float g) => b < a ? g : a == b ? g / 2 : 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public readonly double GradB(double a, double b, double y, double g) => b < a ? g : a == b ? g / 2 : 0;
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
