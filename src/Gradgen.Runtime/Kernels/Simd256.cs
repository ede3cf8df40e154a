using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VM256 = Gradgen.Kernels.VectorMath<System.Runtime.Intrinsics.Vector256<float>, Gradgen.Kernels.Float256Ops>;

namespace Gradgen.Kernels;

/// <summary>
/// <see cref="ISimd{TVec, T}"/> over <see cref="Vector256{T}"/>: 256-bit vectors of 8 floats or 4 doubles.
/// Float transcendental functions are Gradgen's inlined polynomials (<see cref="VectorMath{TVec, TOps}"/>); double
/// ones are the BCL's <see cref="Vector256"/> functions where .NET has them (exp, log, sin, cos, hypot) and lanewise
/// <see cref="Math"/> calls otherwise. Inverse trigonometric functions are lanewise for both.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly struct Simd256<T> : ISimd<Vector256<T>, T>
    where T : unmanaged
{
    /// <inheritdoc/>
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256<T>.Count;
    }

    /// <inheritdoc/>
    public static bool IsHardwareAccelerated
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256.IsHardwareAccelerated;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Create(T value) => Vector256.Create(value);


    /// <inheritdoc/>

    [MethodImpl(MethodImplOptions.AggressiveInlining)]

    public static Vector256<T> Constant(double value) => Create(typeof(T) == typeof(float) ? Unsafe.BitCast<float, T>((float)value) : Unsafe.BitCast<double, T>(value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ReadOnlySpan<T> source, int index) => Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)(uint)index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, Span<T> destination, int index) => value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)(uint)index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Negate(Vector256<T> a) => -a;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> FusedMultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) => typeof(T) == typeof(float)
        ? Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Abs(Vector256<T> a) => Vector256.Abs(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sqrt(Vector256<T> a) => Vector256.Sqrt(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Cbrt(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Cbrt(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Cbrt>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Floor(Vector256<T> a) => typeof(T) == typeof(float)
        ? Vector256.Floor(a.AsSingle()).As<float, T>()
        : Vector256.Floor(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Ceiling(Vector256<T> a) => typeof(T) == typeof(float)
        ? Vector256.Ceiling(a.AsSingle()).As<float, T>()
        : Vector256.Ceiling(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Round(Vector256<T> a) => typeof(T) == typeof(float)
        ? Vector256.Round(a.AsSingle()).As<float, T>()
        : Vector256.Round(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Truncate(Vector256<T> a) => typeof(T) == typeof(float)
        ? Vector256.Truncate(a.AsSingle()).As<float, T>()
        : Vector256.Truncate(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sign(Vector256<T> a)
    {
        Vector256<T> one = Vector256<T>.One;
        Vector256<T> sign = (Vector256.GreaterThan(a, Vector256<T>.Zero) & one) | (Vector256.LessThan(a, Vector256<T>.Zero) & -one);
        return Vector256.ConditionalSelect(Vector256.Equals(a, a), sign, a);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Min(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Max(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Exp(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Exp(a.AsSingle()).As<float, T>()
        : Vector256.Exp(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Log(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Log(a.AsSingle()).As<float, T>()
        : Vector256.Log(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sin(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Sin(a.AsSingle()).As<float, T>()
        : Vector256.Sin(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Cos(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Cos(a.AsSingle()).As<float, T>()
        : Vector256.Cos(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Log2(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Log2(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Log2>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Log10(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Log10(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Log10>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Pow(Vector256<T> a, Vector256<T> b) => typeof(T) == typeof(float)
        ? VM256.Pow(a.AsSingle(), b.AsSingle()).As<float, T>()
        : Lanewise.Binary<Vector256<T>, T, ScalarOps.Pow>(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Hypot(Vector256<T> a, Vector256<T> b)
    {
        if (typeof(T) == typeof(float))
        {
            return VM256.Hypot(a.AsSingle(), b.AsSingle()).As<float, T>();
        }

        // IEEE: hypot(±∞, NaN) = +∞.
        Vector256<double> infinity = Vector256.Create(double.PositiveInfinity);
        Vector256<double> infinite = Vector256.Equals(Vector256.Abs(a.AsDouble()), infinity) | Vector256.Equals(Vector256.Abs(b.AsDouble()), infinity);
        return Vector256.ConditionalSelect(infinite, infinity, Vector256.Hypot(a.AsDouble(), b.AsDouble())).As<double, T>();
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Tan(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Tan(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Tan>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Asin(Vector256<T> a) => Lanewise.Unary<Vector256<T>, T, ScalarOps.Asin>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Acos(Vector256<T> a) => Lanewise.Unary<Vector256<T>, T, ScalarOps.Acos>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Atan(Vector256<T> a) => Lanewise.Unary<Vector256<T>, T, ScalarOps.Atan>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Atan2(Vector256<T> y, Vector256<T> x) => Lanewise.Binary<Vector256<T>, T, ScalarOps.Atan2>(y, x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sinh(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Sinh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Sinh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Cosh(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Cosh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Cosh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Tanh(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Tanh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Tanh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Asinh(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Asinh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Asinh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Acosh(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Acosh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Acosh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Atanh(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Atanh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Atanh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Erf(Vector256<T> a) => typeof(T) == typeof(float)
        ? VM256.Erf(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector256<T>, T, ScalarOps.Erf>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LessThan(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LessThanOrEqual(Vector256<T> a, Vector256<T> b) => Vector256.LessThanOrEqual(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> GreaterThan(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThan(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> GreaterThanOrEqual(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThanOrEqual(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Equal(Vector256<T> a, Vector256<T> b) => Vector256.Equals(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> NotEqual(Vector256<T> a, Vector256<T> b) => ~Vector256.Equals(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> And(Vector256<T> a, Vector256<T> b) => a & b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Or(Vector256<T> a, Vector256<T> b) => a | b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Not(Vector256<T> mask) => ~mask;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Select(Vector256<T> mask, Vector256<T> ifTrue, Vector256<T> ifFalse) => Vector256.ConditionalSelect(mask, ifTrue, ifFalse);
}
