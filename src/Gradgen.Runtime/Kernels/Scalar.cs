using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gradgen.Kernels;

/// <summary>
/// <see cref="ISimd{TVec, T}"/> over single values: the scalar tail of every generated loop, and the reference the
/// vector widths are tested against. Functions are <see cref="MathF"/>'s for <see cref="float"/> and
/// <see cref="Math"/>'s for <see cref="double"/>; a comparison returns 1 or 0 as <typeparamref name="T"/>, and
/// <see cref="Select"/> picks <c>ifTrue</c> where the mask is not 0.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly struct Scalar<T> : ISimd<T, T>
    where T : unmanaged
{
    /// <inheritdoc/>
    public static int Count => 1;

    /// <inheritdoc/>
    public static bool IsHardwareAccelerated => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Create(T value) => value;


    /// <inheritdoc/>

    [MethodImpl(MethodImplOptions.AggressiveInlining)]

    public static T Constant(double value) => Create(typeof(T) == typeof(float) ? Unsafe.BitCast<float, T>((float)value) : Unsafe.BitCast<double, T>(value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load(ReadOnlySpan<T> source, int index) => Unsafe.Add(ref MemoryMarshal.GetReference(source), (nint)(uint)index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T value, Span<T> destination, int index) => Unsafe.Add(ref MemoryMarshal.GetReference(destination), (nint)(uint)index) = value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Add(T a, T b) => typeof(T) == typeof(float) ? R(F(a) + F(b)) : R(D(a) + D(b));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Subtract(T a, T b) => typeof(T) == typeof(float) ? R(F(a) - F(b)) : R(D(a) - D(b));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Multiply(T a, T b) => typeof(T) == typeof(float) ? R(F(a) * F(b)) : R(D(a) * D(b));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Divide(T a, T b) => typeof(T) == typeof(float) ? R(F(a) / F(b)) : R(D(a) / D(b));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Negate(T a) => typeof(T) == typeof(float) ? R(-F(a)) : R(-D(a));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T FusedMultiplyAdd(T a, T b, T c) => typeof(T) == typeof(float)
        ? R(MathF.FusedMultiplyAdd(F(a), F(b), F(c)))
        : R(Math.FusedMultiplyAdd(D(a), D(b), D(c)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Abs(T a) => typeof(T) == typeof(float) ? R(MathF.Abs(F(a))) : R(Math.Abs(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sqrt(T a) => typeof(T) == typeof(float) ? R(MathF.Sqrt(F(a))) : R(Math.Sqrt(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Cbrt(T a) => typeof(T) == typeof(float) ? R(MathF.Cbrt(F(a))) : R(Math.Cbrt(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Floor(T a) => typeof(T) == typeof(float) ? R(MathF.Floor(F(a))) : R(Math.Floor(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Ceiling(T a) => typeof(T) == typeof(float) ? R(MathF.Ceiling(F(a))) : R(Math.Ceiling(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Round(T a) => typeof(T) == typeof(float) ? R(MathF.Round(F(a))) : R(Math.Round(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Truncate(T a) => typeof(T) == typeof(float) ? R(MathF.Truncate(F(a))) : R(Math.Truncate(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sign(T a) => typeof(T) == typeof(float) ? R(SignOf(F(a))) : R(SignOf(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Min(T a, T b) => typeof(T) == typeof(float) ? R(MathF.Min(F(a), F(b))) : R(Math.Min(D(a), D(b)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max(T a, T b) => typeof(T) == typeof(float) ? R(MathF.Max(F(a), F(b))) : R(Math.Max(D(a), D(b)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp(T a) => typeof(T) == typeof(float) ? R(MathF.Exp(F(a))) : R(Math.Exp(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Log(T a) => typeof(T) == typeof(float) ? R(MathF.Log(F(a))) : R(Math.Log(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Log2(T a) => typeof(T) == typeof(float) ? R(MathF.Log2(F(a))) : R(Math.Log2(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Log10(T a) => typeof(T) == typeof(float) ? R(MathF.Log10(F(a))) : R(Math.Log10(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Pow(T a, T b) => typeof(T) == typeof(float) ? R(MathF.Pow(F(a), F(b))) : R(Math.Pow(D(a), D(b)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Hypot(T a, T b) => typeof(T) == typeof(float) ? R(float.Hypot(F(a), F(b))) : R(double.Hypot(D(a), D(b)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sin(T a) => typeof(T) == typeof(float) ? R(MathF.Sin(F(a))) : R(Math.Sin(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Cos(T a) => typeof(T) == typeof(float) ? R(MathF.Cos(F(a))) : R(Math.Cos(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tan(T a) => typeof(T) == typeof(float) ? R(MathF.Tan(F(a))) : R(Math.Tan(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Asin(T a) => typeof(T) == typeof(float) ? R(MathF.Asin(F(a))) : R(Math.Asin(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Acos(T a) => typeof(T) == typeof(float) ? R(MathF.Acos(F(a))) : R(Math.Acos(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Atan(T a) => typeof(T) == typeof(float) ? R(MathF.Atan(F(a))) : R(Math.Atan(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Atan2(T y, T x) => typeof(T) == typeof(float) ? R(MathF.Atan2(F(y), F(x))) : R(Math.Atan2(D(y), D(x)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sinh(T a) => typeof(T) == typeof(float) ? R(MathF.Sinh(F(a))) : R(Math.Sinh(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Cosh(T a) => typeof(T) == typeof(float) ? R(MathF.Cosh(F(a))) : R(Math.Cosh(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh(T a) => typeof(T) == typeof(float) ? R(MathF.Tanh(F(a))) : R(Math.Tanh(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Asinh(T a) => typeof(T) == typeof(float) ? R(MathF.Asinh(F(a))) : R(Math.Asinh(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Acosh(T a) => typeof(T) == typeof(float) ? R(MathF.Acosh(F(a))) : R(Math.Acosh(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Atanh(T a) => typeof(T) == typeof(float) ? R(MathF.Atanh(F(a))) : R(Math.Atanh(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Erf(T a) => typeof(T) == typeof(float) ? R(SpecialFunctions.Erf(F(a))) : R(SpecialFunctions.Erf(D(a)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T LessThan(T a, T b) => typeof(T) == typeof(float) ? R(F(a) < F(b) ? 1f : 0f) : R(D(a) < D(b) ? 1d : 0d);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T LessThanOrEqual(T a, T b) => typeof(T) == typeof(float) ? R(F(a) <= F(b) ? 1f : 0f) : R(D(a) <= D(b) ? 1d : 0d);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T GreaterThan(T a, T b) => typeof(T) == typeof(float) ? R(F(a) > F(b) ? 1f : 0f) : R(D(a) > D(b) ? 1d : 0d);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T GreaterThanOrEqual(T a, T b) => typeof(T) == typeof(float) ? R(F(a) >= F(b) ? 1f : 0f) : R(D(a) >= D(b) ? 1d : 0d);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Equal(T a, T b) => typeof(T) == typeof(float) ? R(F(a) == F(b) ? 1f : 0f) : R(D(a) == D(b) ? 1d : 0d);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T NotEqual(T a, T b) => typeof(T) == typeof(float) ? R(F(a) != F(b) ? 1f : 0f) : R(D(a) != D(b) ? 1d : 0d);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T And(T a, T b) => IsSet(a) && IsSet(b) ? One : default;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Or(T a, T b) => IsSet(a) || IsSet(b) ? One : default;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Not(T mask) => IsSet(mask) ? default : One;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Select(T mask, T ifTrue, T ifFalse) => IsSet(mask) ? ifTrue : ifFalse;

    private static T One
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => typeof(T) == typeof(float) ? R(1f) : R(1d);
    }

    /// <summary>A mask is set where it is not 0 (a NaN mask counts as set, as <c>NaN != 0</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsSet(T mask) => typeof(T) == typeof(float) ? F(mask) != 0f : D(mask) != 0d;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SignOf(float x) => x > 0f ? 1f : x < 0f ? -1f : x == 0f ? 0f : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SignOf(double x) => x > 0d ? 1d : x < 0d ? -1d : x == 0d ? 0d : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float F(T x) => Unsafe.BitCast<T, float>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double D(T x) => Unsafe.BitCast<T, double>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T R(float x) => Unsafe.BitCast<float, T>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T R(double x) => Unsafe.BitCast<double, T>(x);
}
