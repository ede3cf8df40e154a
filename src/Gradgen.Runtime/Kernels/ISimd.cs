namespace Gradgen.Kernels;

/// <summary>
/// The arithmetic that generated kernel bodies are written against: one body, generic over the vector type, runs as
/// scalar code (<c>Scalar&lt;T&gt;</c>) and as 128-, 256- and 512-bit SIMD code (<c>Simd128&lt;T&gt;</c>,
/// <c>Simd256&lt;T&gt;</c>, <c>Simd512&lt;T&gt;</c>). Implementations are structs, so the JIT specialises and
/// inlines every call.
/// </summary>
/// <typeparam name="TVec">The vector type (<c>Vector256&lt;float&gt;</c>, …), or <typeparamref name="T"/> itself for scalar code.</typeparam>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// A comparison returns a mask: all bits set in a lane where it holds for SIMD implementations, 1 or 0 for the scalar
/// one. Masks are only consumed by <see cref="Select"/>, <see cref="And"/>, <see cref="Or"/> and <see cref="Not"/> of
/// the same implementation. Transcendental functions of float vectors are Gradgen's own polynomial approximations;
/// their accuracy is documented in <c>docs/vector-math.md</c> and tested.
/// </remarks>
public interface ISimd<TVec, T>
    where TVec : struct
    where T : unmanaged
{
    /// <summary>Number of lanes.</summary>
    static abstract int Count { get; }

    /// <summary>Whether this width runs in hardware on this machine.</summary>
    static abstract bool IsHardwareAccelerated { get; }

    /// <summary>A vector with every lane set to <paramref name="value"/>.</summary>
    static abstract TVec Create(T value);

    /// <summary>
    /// A vector with every lane set to <paramref name="value"/> rounded to <typeparamref name="T"/>: how generated
    /// kernels, written once for float and double, spell their constants.
    /// </summary>
    static abstract TVec Constant(double value);

    /// <summary>A vector from the elements of <paramref name="source"/> at <paramref name="index"/>; the caller guarantees they exist.</summary>
    static abstract TVec Load(ReadOnlySpan<T> source, int index);

    /// <summary>Stores <paramref name="value"/> into <paramref name="destination"/> at <paramref name="index"/>; the caller guarantees room.</summary>
    static abstract void Store(TVec value, Span<T> destination, int index);

    /// <summary>a + b</summary>
    static abstract TVec Add(TVec a, TVec b);
    /// <summary>a − b</summary>
    static abstract TVec Subtract(TVec a, TVec b);
    /// <summary>a · b</summary>
    static abstract TVec Multiply(TVec a, TVec b);
    /// <summary>a / b</summary>
    static abstract TVec Divide(TVec a, TVec b);
    /// <summary>−a</summary>
    static abstract TVec Negate(TVec a);
    /// <summary>a · b + c, rounded once.</summary>
    static abstract TVec FusedMultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>|a|</summary>
    static abstract TVec Abs(TVec a);
    /// <summary>√a</summary>
    static abstract TVec Sqrt(TVec a);
    /// <summary>∛a (negative for negative a).</summary>
    static abstract TVec Cbrt(TVec a);
    /// <summary>Largest integer ≤ a.</summary>
    static abstract TVec Floor(TVec a);
    /// <summary>Smallest integer ≥ a.</summary>
    static abstract TVec Ceiling(TVec a);
    /// <summary>Nearest integer, ties to even (as <see cref="MathF.Round(float)"/>).</summary>
    static abstract TVec Round(TVec a);
    /// <summary>Integer part of a.</summary>
    static abstract TVec Truncate(TVec a);
    /// <summary>−1, 0 or 1 as a value of T (NaN for NaN).</summary>
    static abstract TVec Sign(TVec a);
    /// <summary>The smaller of a and b; NaN if either is NaN (as <see cref="MathF.Min(float, float)"/>).</summary>
    static abstract TVec Min(TVec a, TVec b);
    /// <summary>The larger of a and b; NaN if either is NaN (as <see cref="MathF.Max(float, float)"/>).</summary>
    static abstract TVec Max(TVec a, TVec b);

    /// <summary>eᵃ</summary>
    static abstract TVec Exp(TVec a);
    /// <summary>ln a</summary>
    static abstract TVec Log(TVec a);
    /// <summary>log₂ a</summary>
    static abstract TVec Log2(TVec a);
    /// <summary>log₁₀ a</summary>
    static abstract TVec Log10(TVec a);
    /// <summary>aᵇ</summary>
    static abstract TVec Pow(TVec a, TVec b);
    /// <summary>√(a² + b²)</summary>
    static abstract TVec Hypot(TVec a, TVec b);
    /// <summary>sin a</summary>
    static abstract TVec Sin(TVec a);
    /// <summary>cos a</summary>
    static abstract TVec Cos(TVec a);
    /// <summary>tan a</summary>
    static abstract TVec Tan(TVec a);
    /// <summary>asin a</summary>
    static abstract TVec Asin(TVec a);
    /// <summary>acos a</summary>
    static abstract TVec Acos(TVec a);
    /// <summary>atan a</summary>
    static abstract TVec Atan(TVec a);
    /// <summary>atan2(y, x)</summary>
    static abstract TVec Atan2(TVec y, TVec x);
    /// <summary>sinh a</summary>
    static abstract TVec Sinh(TVec a);
    /// <summary>cosh a</summary>
    static abstract TVec Cosh(TVec a);
    /// <summary>tanh a</summary>
    static abstract TVec Tanh(TVec a);
    /// <summary>asinh a</summary>
    static abstract TVec Asinh(TVec a);
    /// <summary>acosh a</summary>
    static abstract TVec Acosh(TVec a);
    /// <summary>atanh a</summary>
    static abstract TVec Atanh(TVec a);
    /// <summary>erf a, the error function (<see cref="SpecialFunctions.Erf(double)"/>).</summary>
    static abstract TVec Erf(TVec a);

    /// <summary>Mask of a &lt; b.</summary>
    static abstract TVec LessThan(TVec a, TVec b);
    /// <summary>Mask of a ≤ b.</summary>
    static abstract TVec LessThanOrEqual(TVec a, TVec b);
    /// <summary>Mask of a &gt; b.</summary>
    static abstract TVec GreaterThan(TVec a, TVec b);
    /// <summary>Mask of a ≥ b.</summary>
    static abstract TVec GreaterThanOrEqual(TVec a, TVec b);
    /// <summary>Mask of a = b.</summary>
    static abstract TVec Equal(TVec a, TVec b);
    /// <summary>Mask of a ≠ b (true where either is NaN).</summary>
    static abstract TVec NotEqual(TVec a, TVec b);
    /// <summary>Both masks.</summary>
    static abstract TVec And(TVec a, TVec b);
    /// <summary>Either mask.</summary>
    static abstract TVec Or(TVec a, TVec b);
    /// <summary>The negated mask.</summary>
    static abstract TVec Not(TVec mask);
    /// <summary>Per lane: <paramref name="ifTrue"/> where <paramref name="mask"/> is set, else <paramref name="ifFalse"/>.</summary>
    static abstract TVec Select(TVec mask, TVec ifTrue, TVec ifFalse);
}
