using System.Runtime.CompilerServices;

namespace Gradgen.Kernels;

/// <summary>
/// Gradgen's float vector math: every function written once, generic over the vector width through
/// <typeparamref name="TOps"/>, and inlined into the kernel that calls it. Everything stays in registers: constants are
/// broadcasts, and there are no calls and no tables on the hot path: the rare lanes that need more (trigonometric
/// arguments above 2¹⁸) are handled lane by lane in a cold branch that is inlined too and makes no calls, because a
/// call anywhere in a loop body makes the register allocator spill every vector that lives across it, on the hot
/// path as well. Methods, error bounds and measurements are in <c>docs/vector-math.md</c>.
/// </summary>
/// <typeparam name="TVec">A vector of <see cref="float"/>.</typeparam>
/// <typeparam name="TOps">The operations on <typeparamref name="TVec"/>.</typeparam>
internal static class VectorMath<TVec, TOps>
    where TVec : struct
    where TOps : IFloatOps<TVec>
{
    /// <summary>1.5·2²³: adding it rounds a float below 2²² to an integer, which then sits in the low mantissa bits.</summary>
    private const float RoundingMagic = 12582912f;
    private const uint SignBit = 0x8000_0000;
    private const float MinNormal = 1.17549435e-38f;

    // Constants split into float parts (hi + lo) exactly, from 60-digit values: lo is the float nearest to the rest.
    private const float Ln2Hi = 0.6931471824645996f;
    private const float Ln2Lo = -1.9046542121259336e-09f;
    private const float Log2E = 1.4426950408889634f;
    private const float Log2EHi = 1.4426950216293335f;
    private const float Log2ELo = 1.925963033500011e-08f;
    private const float Log10EHi = 0.4342944920063019f;
    private const float Log10ELo = -1.0103049952192578e-08f;
    private const float Log10Of2Hi = 0.3010300099849701f;
    private const float Log10Of2Lo = -1.432098883924482e-08f;
    private const float TwoOverPi = 0.6366197466850281f;
    private const float PiOver2Part1 = 1.5707963705062866f;
    private const float PiOver2Part2 = -4.371138828673793e-08f;
    private const float PiOver2Part3 = -1.7151245100058819e-15f;

    /// <summary>
    /// Largest |x| (2¹⁸) for which sin, cos and tan use the Cody–Waite reduction. Its first step is exact (j·P1 and x
    /// are multiples of 2⁻²³ and their difference is below 1, for any j below 2²²), and P1 + P2 + P3 differs from π/2
    /// by 10⁻²³. Measured over every float in [8192, 2¹⁸]: sin and cos within 1.54 ulp, tan 3.53, as below 8192;
    /// beyond, the rounding of the second step starts to show (5.3 ulp near 4·10⁶). Larger lanes take the exact
    /// reduction of <see cref="ReduceLargeLanes"/>.
    /// </summary>
    internal const float TrigReductionLimit = 262144f;

    private const uint TrigReductionLimitBits = 0x4880_0000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec C(float value) => TOps.Splat(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Bits(uint bits) => TOps.SplatBits(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec SignOf(TVec x) => TOps.And(x, Bits(SignBit));

    // ------------------------------------------------------------------------------------------------ exp family

    /// <summary>
    /// eˣ = 2ⁿ·eʳ with n = round(x·log₂e) and r = x − n·ln2, |r| ≤ ln2/2 (Cody–Waite with ln2 in two parts: the
    /// first step x − n·Ln2Hi is exact, n·Ln2Hi inside the FMA and the difference because both terms are multiples of
    /// 2⁻²⁴ and it is below 1/2; for |x| &lt; ln2/2, n = 0). Returns eʳ = 1 + r + r²·P(r), P of degree 5 (Cephes'
    /// expf), and n. Requires |x| ≤ 2²¹ (the callers clamp).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec ExpReduce(TVec x, out TVec n)
    {
        TVec shifted = TOps.Fma(x, C(Log2E), C(RoundingMagic));
        n = TOps.Sub(shifted, C(RoundingMagic));
        TVec r = TOps.Fma(n, C(-Ln2Hi), x);
        r = TOps.Fma(n, C(-Ln2Lo), r);
        TVec z = TOps.Mul(r, r);
        TVec p = TOps.Fma(C(1.9875691500e-4f), r, C(1.3981999507e-3f));
        p = TOps.Fma(p, r, C(8.3334519073e-3f));
        p = TOps.Fma(p, r, C(4.1665795894e-2f));
        p = TOps.Fma(p, r, C(1.6666665459e-1f));
        p = TOps.Fma(p, r, C(5.0000001201e-1f));
        return TOps.Add(TOps.Fma(p, z, r), C(1f));
    }

    /// <summary>
    /// eˣ. x is clamped to [−104, 90] first, a NaN staying NaN: below −103.97 the result rounds to 0, above 88.73 it
    /// overflows to +∞, and ScaleB rounds once, so subnormal results are right.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Exp(TVec x)
    {
        x = TOps.Clamp(x, C(-104f), C(90f));
        TVec p = ExpReduce(x, out TVec n);
        return TOps.ScaleB(p, n);
    }

    /// <summary>p·2ⁿ without AVX-512's vscalefps: two exact power-of-two factors 2^⌊n/2⌋ and 2^(n−⌊n/2⌋), each a
    /// normal float for |n| ≤ 252, so the result is rounded once, by the second multiplication.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec ScaleBPortable(TVec p, TVec n)
    {
        TVec ni = TOps.FloatToInt(n);
        TVec n1 = TOps.ShiftRightArithmetic(ni, 1);
        TVec n2 = TOps.ISub(ni, n1);
        TVec s1 = TOps.ShiftLeft(TOps.IAdd(n1, Bits(127)), 23);
        TVec s2 = TOps.ShiftLeft(TOps.IAdd(n2, Bits(127)), 23);
        return TOps.Mul(TOps.Mul(p, s1), s2);
    }

    /// <summary>
    /// eᵃ/2 and e⁻ᵃ/2 for a = |x| from one reduction (2ⁿ⁻¹·p and 2⁻ⁿ⁻¹/p), so that sinh and cosh are right up to
    /// their own overflow at 89.4, past exp's at 88.7.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec HalfExpPair(TVec a, out TVec halfInverse)
    {
        a = TOps.Clamp(a, C(0f), C(90f));
        TVec p = ExpReduce(a, out TVec n);
        halfInverse = TOps.ScaleB(TOps.Div(C(1f), p), TOps.Sub(C(-1f), n));
        return TOps.ScaleB(p, TOps.Sub(n, C(1f)));
    }

    /// <summary>sinh x: an odd polynomial for |x| &lt; 1 (Cephes' sinhf), (eᵃ − e⁻ᵃ)/2 above; the sign of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Sinh(TVec x)
    {
        TVec a = TOps.Abs(x);
        TVec large = TOps.Sub(HalfExpPair(a, out TVec halfInverse), halfInverse);
        TVec z = TOps.Mul(a, a);
        TVec p = TOps.Fma(C(2.03721912945e-4f), z, C(8.33028376239e-3f));
        p = TOps.Fma(p, z, C(1.66667160211e-1f));
        TVec small = TOps.Fma(p, TOps.Mul(z, a), a);
        TVec result = TOps.Select(TOps.Lt(a, C(1f)), small, large);
        return TOps.Xor(result, SignOf(x));
    }

    /// <summary>cosh x = (eᵃ + e⁻ᵃ)/2 with a = |x|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Cosh(TVec x)
    {
        TVec half = HalfExpPair(TOps.Abs(x), out TVec halfInverse);
        return TOps.Add(half, halfInverse);
    }

    /// <summary>
    /// tanh x: an odd polynomial for |x| &lt; 0.625 (Cephes' tanhf; keeps the relative accuracy near 0 that
    /// 1 − 2/(e²ᵃ + 1) loses), 1 − 2/(e²ᵃ + 1) above (e²ᵃ = +∞ gives 1); the sign of x, so tanh(−0) = −0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Tanh(TVec x)
    {
        TVec a = TOps.Abs(x);
        TVec e = Exp(TOps.Add(a, a));
        TVec large = TOps.Sub(C(1f), TOps.Div(C(2f), TOps.Add(e, C(1f))));
        TVec z = TOps.Mul(a, a);
        TVec p = TOps.Fma(C(-5.70498872745e-3f), z, C(2.06390887954e-2f));
        p = TOps.Fma(p, z, C(-5.37397155531e-2f));
        p = TOps.Fma(p, z, C(1.33314422036e-1f));
        p = TOps.Fma(p, z, C(-3.33332819422e-1f));
        TVec small = TOps.Fma(p, TOps.Mul(z, a), a);
        TVec result = TOps.Select(TOps.Lt(a, C(0.625f)), small, large);
        return TOps.Xor(result, SignOf(x));
    }

    /// <summary>
    /// erf x: below |x| = 0.5 the Maclaurin series (2/√π)·Σ (−1)ⁿx²ⁿ⁺¹/(n!(2n+1)) to x¹³ (the rest is below 5·10⁻¹⁰);
    /// above, Abramowitz and Stegun's 7.1.26, 1 − t·P(t)·e^(−x²) with t = 1/(1 + 0.3275911|x|) and P of degree 4
    /// (absolute error below 1.5·10⁻⁷), on |x| clamped to 4, where erf rounds to 1; the sign of x; NaN for NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Erf(TVec x)
    {
        TVec a = TOps.Abs(x);
        TVec ac = TOps.Clamp(a, C(0f), C(4f));
        TVec t = TOps.Div(C(1f), TOps.Fma(C(0.3275911f), ac, C(1f)));
        TVec p = TOps.Fma(C(1.061405429f), t, C(-1.453152027f));
        p = TOps.Fma(p, t, C(1.421413741f));
        p = TOps.Fma(p, t, C(-0.284496736f));
        p = TOps.Fma(p, t, C(0.254829592f));
        TVec gaussian = Exp(TOps.Mul(TOps.Xor(ac, Bits(SignBit)), ac));
        TVec large = TOps.Sub(C(1f), TOps.Mul(TOps.Mul(p, t), gaussian));
        TVec z = TOps.Mul(a, a);
        TVec q = TOps.Fma(C(1.2055332981789664e-4f), z, C(-8.548327023450853e-4f));
        q = TOps.Fma(q, z, C(5.223977625442188e-3f));
        q = TOps.Fma(q, z, C(-2.6866170645131252e-2f));
        q = TOps.Fma(q, z, C(1.1283791670955126e-1f));
        q = TOps.Fma(q, z, C(-3.7612638903183754e-1f));
        q = TOps.Fma(q, z, C(1.1283791670955126f));
        TVec small = TOps.Mul(a, q);
        TVec result = TOps.Xor(TOps.Select(TOps.Lt(a, C(0.5f)), small, large), SignOf(x));
        return TOps.Select(TOps.Eq(x, x), result, x);
    }

    // ------------------------------------------------------------------------------------------------ log family

    /// <summary>
    /// x = 2ᵏ·(1 + f) with 1 + f in [√½, √2) (the exponent split relative to √½, as musl's logf: no select), after
    /// scaling subnormals by 2²³. Returns y with ln(1 + f) = f + y: y = f³·P(f) − f²/2, P of degree 8 (Cephes' logf).
    /// Garbage for x ≤ 0, +∞ and NaN; <see cref="LogSpecial"/> fixes those lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec LogReduce(TVec x, out TVec k, out TVec f)
    {
        TVec subnormal = TOps.Lt(x, C(MinNormal));
        TVec xs = TOps.Select(subnormal, TOps.Mul(x, C(8388608f)), x);
        TVec ix = TOps.ISub(xs, Bits(0x3f35_04f3));
        k = TOps.Sub(TOps.IntToFloat(TOps.ShiftRightArithmetic(ix, 23)), TOps.And(subnormal, C(23f)));
        TVec m = TOps.IAdd(TOps.And(ix, Bits(0x007f_ffff)), Bits(0x3f35_04f3));
        f = TOps.Sub(m, C(1f));
        TVec z = TOps.Mul(f, f);
        TVec p = TOps.Fma(C(7.0376836292e-2f), f, C(-1.1514610310e-1f));
        p = TOps.Fma(p, f, C(1.1676998740e-1f));
        p = TOps.Fma(p, f, C(-1.2420140846e-1f));
        p = TOps.Fma(p, f, C(1.4249322787e-1f));
        p = TOps.Fma(p, f, C(-1.6668057665e-1f));
        p = TOps.Fma(p, f, C(2.0000714765e-1f));
        p = TOps.Fma(p, f, C(-2.4999993993e-1f));
        p = TOps.Fma(p, f, C(3.3333331174e-1f));
        TVec y = TOps.Mul(TOps.Mul(f, z), p);
        return TOps.Fma(z, C(-0.5f), y);
    }

    /// <summary>log(+∞) = +∞, log(±0) = −∞, log(x &lt; 0) = log(NaN) = NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec LogSpecial(TVec x, TVec result)
    {
        result = TOps.Select(TOps.Eq(x, C(float.PositiveInfinity)), x, result);
        result = TOps.Select(TOps.Eq(x, C(0f)), C(float.NegativeInfinity), result);
        return TOps.Select(TOps.Ge(x, C(0f)), result, C(float.NaN));
    }

    /// <summary>ln x = k·ln2 + f + y, with ln2 in two parts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Log(TVec x)
    {
        TVec y = LogReduce(x, out TVec k, out TVec f);
        TVec result = TOps.Fma(k, C(Ln2Hi), TOps.Add(f, TOps.Fma(k, C(Ln2Lo), y)));
        return LogSpecial(x, result);
    }

    /// <summary>log₂ x = k + (f + y)·log₂e, with log₂e in two parts so that the result near x = 1 keeps its accuracy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Log2(TVec x)
    {
        TVec y = LogReduce(x, out TVec k, out TVec f);
        TVec lower = TOps.Fma(f, C(Log2ELo), TOps.Mul(y, C(Log2E)));
        TVec result = TOps.Add(k, TOps.Fma(f, C(Log2EHi), lower));
        return LogSpecial(x, result);
    }

    /// <summary>log₁₀ x = k·log₁₀2 + (f + y)·log₁₀e, both constants in two parts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Log10(TVec x)
    {
        TVec y = LogReduce(x, out TVec k, out TVec f);
        TVec lower = TOps.Fma(f, C(Log10ELo), TOps.Mul(y, C(Log10EHi)));
        lower = TOps.Fma(k, C(Log10Of2Lo), lower);
        TVec result = TOps.Fma(k, C(Log10Of2Hi), TOps.Fma(f, C(Log10EHi), lower));
        return LogSpecial(x, result);
    }

    /// <summary>
    /// ln(1 + t) = ln u + (t − (u − 1))/u with u = 1 + t rounded: the quotient restores what rounding u lost
    /// (Goldberg's correction), so small t keep their relative accuracy. Exact 0 correction where u is 0, ∞ or NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Log1p(TVec t)
    {
        TVec u = TOps.Add(C(1f), t);
        TVec correction = TOps.Div(TOps.Sub(t, TOps.Sub(u, C(1f))), u);
        TVec finite = TOps.And(TOps.Gt(u, C(0f)), TOps.Lt(u, C(float.PositiveInfinity)));
        return TOps.Add(Log(u), TOps.And(finite, correction));
    }

    /// <summary>
    /// asinh x = sign(x)·ln1p(a + a²/(1 + √(1 + a²))) with a = |x| (no cancellation for small a);
    /// ln a + ln 2 for a &gt; 2¹² (where √(a² + 1) = a in float, and a² could overflow).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Asinh(TVec x)
    {
        TVec a = TOps.Abs(x);
        TVec a2 = TOps.Mul(a, a);
        TVec t = TOps.Add(a, TOps.Div(a2, TOps.Add(C(1f), TOps.Sqrt(TOps.Add(C(1f), a2)))));
        TVec big = TOps.Gt(a, C(4096f));
        TVec u = TOps.Select(big, a, TOps.Add(C(1f), t));
        TVec correction = TOps.Select(big, C(Ln2Hi), TOps.Div(TOps.Sub(t, TOps.Sub(u, C(1f))), u));
        TVec result = TOps.Add(Log(u), correction);
        return TOps.Xor(result, SignOf(x));
    }

    /// <summary>
    /// acosh x = ln1p(t + √(2t + t²)) with t = x − 1 (exact near 1, where acosh ≈ √(2t)); ln x + ln 2 for x &gt; 2¹²;
    /// NaN below 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Acosh(TVec x)
    {
        TVec t = TOps.Sub(x, C(1f));
        TVec s = TOps.Add(t, TOps.Sqrt(TOps.Mul(t, TOps.Add(t, C(2f)))));
        TVec big = TOps.Gt(x, C(4096f));
        TVec u = TOps.Select(big, x, TOps.Add(C(1f), s));
        TVec correction = TOps.Select(big, C(Ln2Hi), TOps.Div(TOps.Sub(s, TOps.Sub(u, C(1f))), u));
        TVec result = TOps.Add(Log(u), correction);
        return TOps.Select(TOps.Ge(x, C(1f)), result, C(float.NaN));
    }

    /// <summary>atanh x = sign(x)·½·ln1p(2a/(1 − a)) with a = |x|: ±∞ at ±1, NaN beyond.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Atanh(TVec x)
    {
        TVec a = TOps.Abs(x);
        TVec t = TOps.Div(TOps.Add(a, a), TOps.Sub(C(1f), a));
        TVec result = TOps.Mul(C(0.5f), Log1p(t));
        result = TOps.Select(TOps.Le(a, C(1f)), result, C(float.NaN));
        return TOps.Xor(result, SignOf(x));
    }

    // ------------------------------------------------------------------------------------------------ powers

    /// <summary>
    /// xʸ: |x|ʸ = exp(y·ln|x|) in double (<see cref="IFloatOps{TVec}.PowCore"/>: float's y·ln|x| would lose
    /// |y·ln|x||·2⁻²⁴ of relative accuracy), then IEEE's cases: negative x needs an integer y (NaN otherwise) and an odd
    /// one flips the sign (also for −0 and −∞); x⁰ = 1 and 1ʸ = 1 even for NaN, (−1)^±∞ = 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Pow(TVec x, TVec y)
    {
        TVec result = TOps.PowCore(TOps.Abs(x), y);
        TVec yIsInteger = TOps.Eq(TOps.Round(y), y);
        TVec halfY = TOps.Mul(y, C(0.5f));
        TVec yIsOdd = TOps.AndNot(yIsInteger, TOps.Eq(TOps.Round(halfY), halfY));
        result = TOps.Xor(result, TOps.And(yIsOdd, SignOf(x)));
        TVec negativeFinite = TOps.And(TOps.Lt(x, C(0f)), TOps.Gt(x, C(float.NegativeInfinity)));
        result = TOps.Select(TOps.AndNot(negativeFinite, yIsInteger), C(float.NaN), result);
        TVec one = TOps.Or(TOps.Eq(y, C(0f)), TOps.Eq(x, C(1f)));
        one = TOps.Or(one, TOps.And(TOps.Eq(x, C(-1f)), TOps.Eq(TOps.Abs(y), C(float.PositiveInfinity))));
        return TOps.Select(one, C(1f), result);
    }

    /// <summary>√(a² + b²) in double (no overflow, one rounding); +∞ if either is infinite, even with a NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Hypot(TVec a, TVec b)
    {
        TVec result = TOps.HypotCore(a, b);
        TVec infinite = TOps.Or(
            TOps.Eq(TOps.Abs(a), C(float.PositiveInfinity)),
            TOps.Eq(TOps.Abs(b), C(float.PositiveInfinity)));
        return TOps.Select(infinite, C(float.PositiveInfinity), result);
    }

    /// <summary>
    /// ∛x: an estimate from the exponent bits (Kahan's bits/3 + 0x2a5137a0, about 3 % off), then two Halley steps
    /// y += y·(a − y³)/(2y³ + a) (cubic convergence: 3·10⁻² → 10⁻⁶ → below rounding), the last with the residual
    /// a − y³ computed exactly with FMAs. Subnormals are scaled by 2²⁴ (∛ by 2⁸) and |x| &gt; 2⁹⁶ by 2⁻⁴⁸ (so that
    /// 2y³ + a cannot overflow); ±0, ±∞, NaN are returned as they are.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Cbrt(TVec x)
    {
        TVec a = TOps.Abs(x);
        TVec subnormal = TOps.Lt(a, C(MinNormal));
        TVec huge = TOps.Gt(a, C(7.9228163e28f));
        TVec scaled = TOps.Select(subnormal, TOps.Mul(a, C(16777216f)), TOps.Select(huge, TOps.Mul(a, C(3.5527137e-15f)), a));
        TVec estimateBits = TOps.FloatToInt(TOps.Round(TOps.Mul(TOps.IntToFloat(scaled), C(1f / 3f))));
        TVec y = TOps.IAdd(estimateBits, Bits(0x2a51_37a0));

        TVec y3 = TOps.Mul(TOps.Mul(y, y), y);
        y = TOps.Fma(y, TOps.Div(TOps.Sub(scaled, y3), TOps.Fma(y3, C(2f), scaled)), y);

        // y³ = (y2 + y2Low)·y exactly, y2·y = y3 + y3Low; a − y3 is exact (Sterbenz: y3 is within 2× of a).
        TVec y2 = TOps.Mul(y, y);
        TVec y2Low = TOps.Fma(y, y, TOps.Sub(C(0f), y2));
        y3 = TOps.Mul(y2, y);
        TVec y3Low = TOps.Fma(y2, y, TOps.Sub(C(0f), y3));
        TVec residual = TOps.Sub(TOps.Sub(scaled, y3), y3Low);
        residual = TOps.Fma(TOps.Sub(C(0f), y2Low), y, residual);
        y = TOps.Fma(y, TOps.Div(residual, TOps.Fma(y3, C(2f), scaled)), y);

        y = TOps.Mul(y, TOps.Select(subnormal, C(1f / 256f), TOps.Select(huge, C(65536f), C(1f))));
        TVec regular = TOps.And(TOps.Gt(a, C(0f)), TOps.Lt(a, C(float.PositiveInfinity)));
        y = TOps.Select(regular, y, a);
        return TOps.Xor(y, SignOf(x));
    }

    // ------------------------------------------------------------------------------------------------ trigonometry

    /// <summary>
    /// The shared reduction of sin, cos and tan: a = |x| = j·π/2 + r, j = round(a·2/π) (its low bits are read from the
    /// magic-shifted float: the quadrant), r = a − j·P1 − j·P2 − j·P3 by FMAs, |r| ≤ π/4. Returns the quadrant's bits
    /// and the sine and cosine polynomials of r (Cephes' sinf and cosf, degree 7 and 8).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec TrigReduce(TVec a, out TVec sin, out TVec cos)
    {
        TVec shifted = TOps.Fma(a, C(TwoOverPi), C(RoundingMagic));
        TVec j = TOps.Sub(shifted, C(RoundingMagic));
        TVec r = TOps.Fma(j, C(-PiOver2Part1), a);
        r = TOps.Fma(j, C(-PiOver2Part2), r);
        r = TOps.Fma(j, C(-PiOver2Part3), r);
        if (TOps.Any(TOps.Gt(a, C(TrigReductionLimit))))
        {
            r = ReduceLargeLanes(a, r, ref shifted);
        }

        TVec z = TOps.Mul(r, r);

        TVec s = TOps.Fma(C(-1.9515295891e-4f), z, C(8.3321608736e-3f));
        s = TOps.Fma(s, z, C(-1.6666654611e-1f));
        sin = TOps.Fma(s, TOps.Mul(z, r), r);

        TVec c = TOps.Fma(C(2.443315711809948e-5f), z, C(-1.388731625493765e-3f));
        c = TOps.Fma(c, z, C(4.166664568298827e-2f));
        cos = TOps.Add(TOps.Fma(c, TOps.Mul(z, z), TOps.Mul(z, C(-0.5f))), C(1f));
        return shifted;
    }

    /// <summary>
    /// The lanes with |x| above <see cref="TrigReductionLimit"/> (finite): exact Payne–Hanek reduction per lane by
    /// <see cref="TrigLargeReduction.Reduce"/>, which replaces r and the quadrant bits of <paramref name="shifted"/>.
    /// A cold branch, but inlined and without calls, so that the kernel around it keeps its registers (a call would
    /// make the register allocator spill every vector live across it, on the hot path too). Infinite and NaN lanes
    /// keep the NaN the vector reduction gave them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec ReduceLargeLanes(TVec a, TVec r, ref TVec shifted)
    {
        TVec aLanes = a;
        TVec rLanes = r;
        TVec qLanes = shifted;
        ref uint aBits = ref Unsafe.As<TVec, uint>(ref aLanes);
        ref float rValues = ref Unsafe.As<TVec, float>(ref rLanes);
        ref uint qBits = ref Unsafe.As<TVec, uint>(ref qLanes);
        for (int i = 0; i < Unsafe.SizeOf<TVec>() / sizeof(float); i++)
        {
            uint bits = Unsafe.Add(ref aBits, i);
            if (bits > TrigReductionLimitBits && bits < 0x7f80_0000)
            {
                Unsafe.Add(ref rValues, i) = (float)TrigLargeReduction.Reduce(bits, out uint quadrant);
                Unsafe.Add(ref qBits, i) = quadrant;
            }
        }

        shifted = qLanes;
        return rLanes;
    }

    /// <summary>sin x: by the quadrant q, sin r, cos r, −sin r or −cos r; then the sign of x (sin is odd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Sin(TVec x)
    {
        TVec a = TOps.Abs(x);
        TVec q = TrigReduce(a, out TVec sin, out TVec cos);
        TVec result = TOps.Select(TOps.IEq(TOps.And(q, Bits(1)), Bits(1)), cos, sin);
        TVec sign = TOps.Xor(TOps.ShiftLeft(TOps.And(q, Bits(2)), 30), SignOf(x));
        result = TOps.Xor(result, sign);
        return result;
    }

    /// <summary>cos x = sin(|x| + π/2): the quadrant plus one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Cos(TVec x)
    {
        TVec a = TOps.Abs(x);
        TVec q = TOps.IAdd(TrigReduce(a, out TVec sin, out TVec cos), Bits(1));
        TVec result = TOps.Select(TOps.IEq(TOps.And(q, Bits(1)), Bits(1)), cos, sin);
        result = TOps.Xor(result, TOps.ShiftLeft(TOps.And(q, Bits(2)), 30));
        return result;
    }

    /// <summary>tan x: sin r / cos r in even quadrants, −cos r / sin r in odd ones (one reduction); the sign of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Tan(TVec x)
    {
        TVec a = TOps.Abs(x);
        TVec q = TrigReduce(a, out TVec sin, out TVec cos);
        TVec odd = TOps.IEq(TOps.And(q, Bits(1)), Bits(1));
        TVec result = TOps.Div(TOps.Select(odd, cos, sin), TOps.Select(odd, sin, cos));
        result = TOps.Xor(result, TOps.Xor(TOps.And(odd, Bits(SignBit)), SignOf(x)));
        return result;
    }
}
