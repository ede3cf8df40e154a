using System.Diagnostics.CodeAnalysis;
using System.Runtime.Intrinsics;
using Gradgen.Kernels;

namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>
/// <see cref="Float256Ops"/> with the portable clamp and ScaleB, the paths a machine without AVX-512 (or without x86)
/// takes; this machine would otherwise never run them.
/// </summary>
internal readonly struct PortableFloat256Ops : IFloatOps<Vector256<float>>
{
    public static Vector256<float> Splat(float value) => Float256Ops.Splat(value);
    public static Vector256<float> SplatBits(uint bits) => Float256Ops.SplatBits(bits);
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => Float256Ops.Add(a, b);
    public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => Float256Ops.Sub(a, b);
    public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => Float256Ops.Mul(a, b);
    public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => Float256Ops.Div(a, b);
    public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Float256Ops.Fma(a, b, c);
    public static Vector256<float> Sqrt(Vector256<float> a) => Float256Ops.Sqrt(a);
    public static Vector256<float> Abs(Vector256<float> a) => Float256Ops.Abs(a);
    public static Vector256<float> Round(Vector256<float> a) => Float256Ops.Round(a);
    public static Vector256<float> Lt(Vector256<float> a, Vector256<float> b) => Float256Ops.Lt(a, b);
    public static Vector256<float> Le(Vector256<float> a, Vector256<float> b) => Float256Ops.Le(a, b);
    public static Vector256<float> Gt(Vector256<float> a, Vector256<float> b) => Float256Ops.Gt(a, b);
    public static Vector256<float> Ge(Vector256<float> a, Vector256<float> b) => Float256Ops.Ge(a, b);
    public static Vector256<float> Eq(Vector256<float> a, Vector256<float> b) => Float256Ops.Eq(a, b);
    public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => Float256Ops.And(a, b);
    public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => Float256Ops.Or(a, b);
    public static Vector256<float> Xor(Vector256<float> a, Vector256<float> b) => Float256Ops.Xor(a, b);
    public static Vector256<float> AndNot(Vector256<float> a, Vector256<float> b) => Float256Ops.AndNot(a, b);
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> ifTrue, Vector256<float> ifFalse) => Float256Ops.Select(mask, ifTrue, ifFalse);
    public static bool Any(Vector256<float> mask) => Float256Ops.Any(mask);
    public static Vector256<float> IAdd(Vector256<float> a, Vector256<float> b) => Float256Ops.IAdd(a, b);
    public static Vector256<float> ISub(Vector256<float> a, Vector256<float> b) => Float256Ops.ISub(a, b);
    public static Vector256<float> IEq(Vector256<float> a, Vector256<float> b) => Float256Ops.IEq(a, b);
    public static Vector256<float> ShiftLeft(Vector256<float> a, [ConstantExpected] int count) => Float256Ops.ShiftLeft(a, count);
    public static Vector256<float> ShiftRightArithmetic(Vector256<float> a, [ConstantExpected] int count) => Float256Ops.ShiftRightArithmetic(a, count);
    public static Vector256<float> IntToFloat(Vector256<float> a) => Float256Ops.IntToFloat(a);
    public static Vector256<float> FloatToInt(Vector256<float> a) => Float256Ops.FloatToInt(a);
    public static Vector256<float> Clamp(Vector256<float> x, Vector256<float> lo, Vector256<float> hi) => Vector256.Clamp(x, lo, hi);
    public static Vector256<float> ScaleB(Vector256<float> p, Vector256<float> n) => VectorMath<Vector256<float>, PortableFloat256Ops>.ScaleBPortable(p, n);
    public static Vector256<float> PowCore(Vector256<float> x, Vector256<float> y) => Float256Ops.PowCore(x, y);
    public static Vector256<float> HypotCore(Vector256<float> a, Vector256<float> b) => Float256Ops.HypotCore(a, b);
}

/// <summary><see cref="Simd256{T}"/> of float whose vector math runs on <see cref="PortableFloat256Ops"/>.</summary>
internal readonly struct PortableSimd256 : ISimd<Vector256<float>, float>
{
    public static int Count => Simd256<float>.Count;
    public static bool IsHardwareAccelerated => Simd256<float>.IsHardwareAccelerated;
    public static Vector256<float> Create(float value) => Simd256<float>.Create(value);
    public static Vector256<float> Constant(double value) => Simd256<float>.Constant(value);
    public static Vector256<float> Load(ReadOnlySpan<float> source, int index) => Simd256<float>.Load(source, index);
    public static void Store(Vector256<float> value, Span<float> destination, int index) => Simd256<float>.Store(value, destination, index);
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => Simd256<float>.Add(a, b);
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => Simd256<float>.Subtract(a, b);
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => Simd256<float>.Multiply(a, b);
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => Simd256<float>.Divide(a, b);
    public static Vector256<float> Negate(Vector256<float> a) => Simd256<float>.Negate(a);
    public static Vector256<float> FusedMultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Simd256<float>.FusedMultiplyAdd(a, b, c);
    public static Vector256<float> Abs(Vector256<float> a) => Simd256<float>.Abs(a);
    public static Vector256<float> Sqrt(Vector256<float> a) => Simd256<float>.Sqrt(a);
    public static Vector256<float> Cbrt(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Cbrt(a);
    public static Vector256<float> Floor(Vector256<float> a) => Simd256<float>.Floor(a);
    public static Vector256<float> Ceiling(Vector256<float> a) => Simd256<float>.Ceiling(a);
    public static Vector256<float> Round(Vector256<float> a) => Simd256<float>.Round(a);
    public static Vector256<float> Truncate(Vector256<float> a) => Simd256<float>.Truncate(a);
    public static Vector256<float> Sign(Vector256<float> a) => Simd256<float>.Sign(a);
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Simd256<float>.Min(a, b);
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Simd256<float>.Max(a, b);
    public static Vector256<float> Exp(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Exp(a);
    public static Vector256<float> Log(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Log(a);
    public static Vector256<float> Log2(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Log2(a);
    public static Vector256<float> Log10(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Log10(a);
    public static Vector256<float> Pow(Vector256<float> a, Vector256<float> b) => VectorMath<Vector256<float>, PortableFloat256Ops>.Pow(a, b);
    public static Vector256<float> Hypot(Vector256<float> a, Vector256<float> b) => VectorMath<Vector256<float>, PortableFloat256Ops>.Hypot(a, b);
    public static Vector256<float> Sin(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Sin(a);
    public static Vector256<float> Cos(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Cos(a);
    public static Vector256<float> Tan(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Tan(a);
    public static Vector256<float> Asin(Vector256<float> a) => Simd256<float>.Asin(a);
    public static Vector256<float> Acos(Vector256<float> a) => Simd256<float>.Acos(a);
    public static Vector256<float> Atan(Vector256<float> a) => Simd256<float>.Atan(a);
    public static Vector256<float> Atan2(Vector256<float> y, Vector256<float> x) => Simd256<float>.Atan2(y, x);
    public static Vector256<float> Sinh(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Sinh(a);
    public static Vector256<float> Cosh(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Cosh(a);
    public static Vector256<float> Tanh(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Tanh(a);
    public static Vector256<float> Asinh(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Asinh(a);
    public static Vector256<float> Acosh(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Acosh(a);
    public static Vector256<float> Atanh(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Atanh(a);
    public static Vector256<float> Erf(Vector256<float> a) => VectorMath<Vector256<float>, PortableFloat256Ops>.Erf(a);
    public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Simd256<float>.LessThan(a, b);
    public static Vector256<float> LessThanOrEqual(Vector256<float> a, Vector256<float> b) => Simd256<float>.LessThanOrEqual(a, b);
    public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Simd256<float>.GreaterThan(a, b);
    public static Vector256<float> GreaterThanOrEqual(Vector256<float> a, Vector256<float> b) => Simd256<float>.GreaterThanOrEqual(a, b);
    public static Vector256<float> Equal(Vector256<float> a, Vector256<float> b) => Simd256<float>.Equal(a, b);
    public static Vector256<float> NotEqual(Vector256<float> a, Vector256<float> b) => Simd256<float>.NotEqual(a, b);
    public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => Simd256<float>.And(a, b);
    public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => Simd256<float>.Or(a, b);
    public static Vector256<float> Not(Vector256<float> mask) => Simd256<float>.Not(mask);
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> ifTrue, Vector256<float> ifFalse) => Simd256<float>.Select(mask, ifTrue, ifFalse);
}
