using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gradgen.Kernels;

/// <summary>
/// The few float-vector operations <see cref="VectorMath{TVec, TOps}"/> is written against, so that every polynomial
/// exists once for all widths. Integer operations (<c>I…</c>, shifts) treat the lanes' bits as <see cref="int"/>.
/// Masks have all bits set where true. Implemented by <see cref="Float128Ops"/>, <see cref="Float256Ops"/> and
/// <see cref="Float512Ops"/>, thin wrappers over <see cref="Vector128"/>, <see cref="Vector256"/> and
/// <see cref="Vector512"/>.
/// </summary>
internal interface IFloatOps<TVec>
    where TVec : struct
{
    static abstract TVec Splat(float value);
    static abstract TVec SplatBits(uint bits);
    static abstract TVec Add(TVec a, TVec b);
    static abstract TVec Sub(TVec a, TVec b);
    static abstract TVec Mul(TVec a, TVec b);
    static abstract TVec Div(TVec a, TVec b);
    /// <summary>a·b + c, rounded once.</summary>
    static abstract TVec Fma(TVec a, TVec b, TVec c);
    static abstract TVec Sqrt(TVec a);
    static abstract TVec Abs(TVec a);
    /// <summary>Nearest integer, ties to even.</summary>
    static abstract TVec Round(TVec a);
    static abstract TVec Lt(TVec a, TVec b);
    static abstract TVec Le(TVec a, TVec b);
    static abstract TVec Gt(TVec a, TVec b);
    static abstract TVec Ge(TVec a, TVec b);
    static abstract TVec Eq(TVec a, TVec b);
    static abstract TVec And(TVec a, TVec b);
    static abstract TVec Or(TVec a, TVec b);
    static abstract TVec Xor(TVec a, TVec b);
    /// <summary>a &amp; ~b</summary>
    static abstract TVec AndNot(TVec a, TVec b);
    static abstract TVec Select(TVec mask, TVec ifTrue, TVec ifFalse);
    static abstract bool Any(TVec mask);
    static abstract TVec IAdd(TVec a, TVec b);
    static abstract TVec ISub(TVec a, TVec b);
    static abstract TVec IEq(TVec a, TVec b);
    static abstract TVec ShiftLeft(TVec a, [ConstantExpected] int count);
    static abstract TVec ShiftRightArithmetic(TVec a, [ConstantExpected] int count);
    /// <summary>The int lanes converted to float values.</summary>
    static abstract TVec IntToFloat(TVec a);
    /// <summary>Float lanes holding integers converted to int lanes.</summary>
    static abstract TVec FloatToInt(TVec a);
    /// <summary>Clamps to [lo, hi]; a NaN lane stays NaN.</summary>
    static abstract TVec Clamp(TVec x, TVec lo, TVec hi);
    /// <summary>p·2ⁿ for integral n with |n| ≤ 252 and normal p, rounded once (so subnormal results are right).</summary>
    static abstract TVec ScaleB(TVec p, TVec n);
    /// <summary>exp(y·ln x) computed in double and rounded to float, for x ≥ 0.</summary>
    static abstract TVec PowCore(TVec x, TVec y);
    /// <summary>√(a² + b²) computed in double and rounded to float.</summary>
    static abstract TVec HypotCore(TVec a, TVec b);
}

/// <summary><see cref="IFloatOps{TVec}"/> over <see cref="Vector128{T}"/> of <see cref="float"/>.</summary>
internal readonly struct Float128Ops : IFloatOps<Vector128<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Splat(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> SplatBits(uint bits) => Vector128.Create(bits).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sub(Vector128<float> a, Vector128<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Mul(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Div(Vector128<float> a, Vector128<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Round(Vector128<float> a) => Vector128.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Lt(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Le(Vector128<float> a, Vector128<float> b) => Vector128.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Gt(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Ge(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Eq(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> And(Vector128<float> a, Vector128<float> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Or(Vector128<float> a, Vector128<float> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Xor(Vector128<float> a, Vector128<float> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> AndNot(Vector128<float> a, Vector128<float> b) => Vector128.AndNot(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Select(Vector128<float> mask, Vector128<float> ifTrue, Vector128<float> ifFalse) => Vector128.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Vector128<float> mask) => Vector128.ExtractMostSignificantBits(mask) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> IAdd(Vector128<float> a, Vector128<float> b) => (a.AsInt32() + b.AsInt32()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ISub(Vector128<float> a, Vector128<float> b) => (a.AsInt32() - b.AsInt32()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> IEq(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a.AsInt32(), b.AsInt32()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ShiftLeft(Vector128<float> a, [ConstantExpected] int count) => Vector128.ShiftLeft(a.AsInt32(), count).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ShiftRightArithmetic(Vector128<float> a, [ConstantExpected] int count) => Vector128.ShiftRightArithmetic(a.AsInt32(), count).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> IntToFloat(Vector128<float> a) => Vector128.ConvertToSingle(a.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FloatToInt(Vector128<float> a) => Vector128.ConvertToInt32Native(a).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Clamp(Vector128<float> x, Vector128<float> lo, Vector128<float> hi)
    {
        if (Sse.IsSupported)
        {
            // minps/maxps return their second operand when either is NaN: x here.
            return Sse.Max(lo, Sse.Min(hi, x));
        }

        return Vector128.Clamp(x, lo, hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ScaleB(Vector128<float> p, Vector128<float> n)
    {
        if (Avx512F.IsSupported)
        {
            // vscalefps on the full register; the upper lanes are ignored.
            return Avx512F.Scale(p.ToVector256Unsafe().ToVector512Unsafe(), n.ToVector256Unsafe().ToVector512Unsafe()).GetLower().GetLower();
        }

        return VectorMath<Vector128<float>, Float128Ops>.ScaleBPortable(p, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> PowCore(Vector128<float> x, Vector128<float> y)
    {
        (Vector128<double> xLower, Vector128<double> xUpper) = Vector128.Widen(x);
        (Vector128<double> yLower, Vector128<double> yUpper) = Vector128.Widen(y);
        Vector128<double> lower = Vector128.Exp(yLower * Vector128.Log(xLower));
        Vector128<double> upper = Vector128.Exp(yUpper * Vector128.Log(xUpper));
        return Vector128.Narrow(lower, upper);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> HypotCore(Vector128<float> a, Vector128<float> b)
    {
        (Vector128<double> aLower, Vector128<double> aUpper) = Vector128.Widen(a);
        (Vector128<double> bLower, Vector128<double> bUpper) = Vector128.Widen(b);
        Vector128<double> lower = Vector128.Sqrt(Vector128.FusedMultiplyAdd(aLower, aLower, bLower * bLower));
        Vector128<double> upper = Vector128.Sqrt(Vector128.FusedMultiplyAdd(aUpper, aUpper, bUpper * bUpper));
        return Vector128.Narrow(lower, upper);
    }
}

/// <summary><see cref="IFloatOps{TVec}"/> over <see cref="Vector256{T}"/> of <see cref="float"/>.</summary>
internal readonly struct Float256Ops : IFloatOps<Vector256<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Splat(float value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SplatBits(uint bits) => Vector256.Create(bits).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> a) => Vector256.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Lt(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Le(Vector256<float> a, Vector256<float> b) => Vector256.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gt(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Ge(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Eq(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Xor(Vector256<float> a, Vector256<float> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AndNot(Vector256<float> a, Vector256<float> b) => Vector256.AndNot(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> ifTrue, Vector256<float> ifFalse) => Vector256.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Vector256<float> mask) => Vector256.ExtractMostSignificantBits(mask) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> IAdd(Vector256<float> a, Vector256<float> b) => (a.AsInt32() + b.AsInt32()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ISub(Vector256<float> a, Vector256<float> b) => (a.AsInt32() - b.AsInt32()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> IEq(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a.AsInt32(), b.AsInt32()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ShiftLeft(Vector256<float> a, [ConstantExpected] int count) => Vector256.ShiftLeft(a.AsInt32(), count).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ShiftRightArithmetic(Vector256<float> a, [ConstantExpected] int count) => Vector256.ShiftRightArithmetic(a.AsInt32(), count).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> IntToFloat(Vector256<float> a) => Vector256.ConvertToSingle(a.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FloatToInt(Vector256<float> a) => Vector256.ConvertToInt32Native(a).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Clamp(Vector256<float> x, Vector256<float> lo, Vector256<float> hi)
    {
        if (Avx.IsSupported)
        {
            // vminps/vmaxps return their second operand when either is NaN: x here.
            return Avx.Max(lo, Avx.Min(hi, x));
        }

        return Vector256.Clamp(x, lo, hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ScaleB(Vector256<float> p, Vector256<float> n)
    {
        if (Avx512F.IsSupported)
        {
            // vscalefps on the full register; the upper lanes are ignored.
            return Avx512F.Scale(p.ToVector512Unsafe(), n.ToVector512Unsafe()).GetLower();
        }

        return VectorMath<Vector256<float>, Float256Ops>.ScaleBPortable(p, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> PowCore(Vector256<float> x, Vector256<float> y)
    {
        (Vector256<double> xLower, Vector256<double> xUpper) = Vector256.Widen(x);
        (Vector256<double> yLower, Vector256<double> yUpper) = Vector256.Widen(y);
        Vector256<double> lower = Vector256.Exp(yLower * Vector256.Log(xLower));
        Vector256<double> upper = Vector256.Exp(yUpper * Vector256.Log(xUpper));
        return Vector256.Narrow(lower, upper);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HypotCore(Vector256<float> a, Vector256<float> b)
    {
        (Vector256<double> aLower, Vector256<double> aUpper) = Vector256.Widen(a);
        (Vector256<double> bLower, Vector256<double> bUpper) = Vector256.Widen(b);
        Vector256<double> lower = Vector256.Sqrt(Vector256.FusedMultiplyAdd(aLower, aLower, bLower * bLower));
        Vector256<double> upper = Vector256.Sqrt(Vector256.FusedMultiplyAdd(aUpper, aUpper, bUpper * bUpper));
        return Vector256.Narrow(lower, upper);
    }
}

/// <summary><see cref="IFloatOps{TVec}"/> over <see cref="Vector512{T}"/> of <see cref="float"/>.</summary>
internal readonly struct Float512Ops : IFloatOps<Vector512<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Splat(float value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SplatBits(uint bits) => Vector512.Create(bits).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Div(Vector512<float> a, Vector512<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> a) => Vector512.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Lt(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Le(Vector512<float> a, Vector512<float> b) => Vector512.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Gt(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Ge(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Eq(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Xor(Vector512<float> a, Vector512<float> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AndNot(Vector512<float> a, Vector512<float> b) => Vector512.AndNot(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> ifTrue, Vector512<float> ifFalse) => Vector512.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Vector512<float> mask) => Vector512.ExtractMostSignificantBits(mask) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> IAdd(Vector512<float> a, Vector512<float> b) => (a.AsInt32() + b.AsInt32()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ISub(Vector512<float> a, Vector512<float> b) => (a.AsInt32() - b.AsInt32()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> IEq(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a.AsInt32(), b.AsInt32()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ShiftLeft(Vector512<float> a, [ConstantExpected] int count) => Vector512.ShiftLeft(a.AsInt32(), count).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ShiftRightArithmetic(Vector512<float> a, [ConstantExpected] int count) => Vector512.ShiftRightArithmetic(a.AsInt32(), count).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> IntToFloat(Vector512<float> a) => Vector512.ConvertToSingle(a.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FloatToInt(Vector512<float> a) => Vector512.ConvertToInt32Native(a).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Clamp(Vector512<float> x, Vector512<float> lo, Vector512<float> hi)
    {
        if (Avx512F.IsSupported)
        {
            // vminps/vmaxps return their second operand when either is NaN: x here.
            return Avx512F.Max(lo, Avx512F.Min(hi, x));
        }

        return Vector512.Clamp(x, lo, hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ScaleB(Vector512<float> p, Vector512<float> n)
    {
        if (Avx512F.IsSupported)
        {
            return Avx512F.Scale(p, n);
        }

        return VectorMath<Vector512<float>, Float512Ops>.ScaleBPortable(p, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> PowCore(Vector512<float> x, Vector512<float> y)
    {
        (Vector512<double> xLower, Vector512<double> xUpper) = Vector512.Widen(x);
        (Vector512<double> yLower, Vector512<double> yUpper) = Vector512.Widen(y);
        Vector512<double> lower = Vector512.Exp(yLower * Vector512.Log(xLower));
        Vector512<double> upper = Vector512.Exp(yUpper * Vector512.Log(xUpper));
        return Vector512.Narrow(lower, upper);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> HypotCore(Vector512<float> a, Vector512<float> b)
    {
        (Vector512<double> aLower, Vector512<double> aUpper) = Vector512.Widen(a);
        (Vector512<double> bLower, Vector512<double> bUpper) = Vector512.Widen(b);
        Vector512<double> lower = Vector512.Sqrt(Vector512.FusedMultiplyAdd(aLower, aLower, bLower * bLower));
        Vector512<double> upper = Vector512.Sqrt(Vector512.FusedMultiplyAdd(aUpper, aUpper, bUpper * bUpper));
        return Vector512.Narrow(lower, upper);
    }
}
