using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VM128 = Gradgen.Kernels.VectorMath<System.Runtime.Intrinsics.Vector128<float>, Gradgen.Kernels.Float128Ops>;

namespace Gradgen.Kernels;

/// <summary>
/// <see cref="ISimd{TVec, T}"/> over <see cref="Vector128{T}"/>: 128-bit vectors of 4 floats or 2 doubles.
/// Float transcendental functions are Gradgen's inlined polynomials (<see cref="VectorMath{TVec, TOps}"/>); double
/// ones are the BCL's <see cref="Vector128"/> functions where .NET has them (exp, log, sin, cos, hypot) and lanewise
/// <see cref="Math"/> calls otherwise. Inverse trigonometric functions are lanewise for both.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly struct Simd128<T> : ISimd<Vector128<T>, T>
    where T : unmanaged
{
    /// <inheritdoc/>
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128<T>.Count;
    }

    /// <inheritdoc/>
    public static bool IsHardwareAccelerated
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.IsHardwareAccelerated;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Create(T value) => Vector128.Create(value);


    /// <inheritdoc/>

    [MethodImpl(MethodImplOptions.AggressiveInlining)]

    public static Vector128<T> Constant(double value) => Create(typeof(T) == typeof(float) ? Unsafe.BitCast<float, T>((float)value) : Unsafe.BitCast<double, T>(value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ReadOnlySpan<T> source, int index) => Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)(uint)index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, Span<T> destination, int index) => value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)(uint)index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Negate(Vector128<T> a) => -a;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> FusedMultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c) => typeof(T) == typeof(float)
        ? Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Abs(Vector128<T> a) => Vector128.Abs(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sqrt(Vector128<T> a) => Vector128.Sqrt(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Cbrt(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Cbrt(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Cbrt>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Floor(Vector128<T> a) => typeof(T) == typeof(float)
        ? Vector128.Floor(a.AsSingle()).As<float, T>()
        : Vector128.Floor(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Ceiling(Vector128<T> a) => typeof(T) == typeof(float)
        ? Vector128.Ceiling(a.AsSingle()).As<float, T>()
        : Vector128.Ceiling(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Round(Vector128<T> a) => typeof(T) == typeof(float)
        ? Vector128.Round(a.AsSingle()).As<float, T>()
        : Vector128.Round(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Truncate(Vector128<T> a) => typeof(T) == typeof(float)
        ? Vector128.Truncate(a.AsSingle()).As<float, T>()
        : Vector128.Truncate(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sign(Vector128<T> a)
    {
        Vector128<T> one = Vector128<T>.One;
        Vector128<T> sign = (Vector128.GreaterThan(a, Vector128<T>.Zero) & one) | (Vector128.LessThan(a, Vector128<T>.Zero) & -one);
        return Vector128.ConditionalSelect(Vector128.Equals(a, a), sign, a);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Min(Vector128<T> a, Vector128<T> b) => Vector128.Min(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Max(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Exp(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Exp(a.AsSingle()).As<float, T>()
        : Vector128.Exp(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Log(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Log(a.AsSingle()).As<float, T>()
        : Vector128.Log(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sin(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Sin(a.AsSingle()).As<float, T>()
        : Vector128.Sin(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Cos(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Cos(a.AsSingle()).As<float, T>()
        : Vector128.Cos(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Log2(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Log2(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Log2>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Log10(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Log10(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Log10>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Pow(Vector128<T> a, Vector128<T> b) => typeof(T) == typeof(float)
        ? VM128.Pow(a.AsSingle(), b.AsSingle()).As<float, T>()
        : Lanewise.Binary<Vector128<T>, T, ScalarOps.Pow>(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Hypot(Vector128<T> a, Vector128<T> b)
    {
        if (typeof(T) == typeof(float))
        {
            return VM128.Hypot(a.AsSingle(), b.AsSingle()).As<float, T>();
        }

        // IEEE: hypot(±∞, NaN) = +∞.
        Vector128<double> infinity = Vector128.Create(double.PositiveInfinity);
        Vector128<double> infinite = Vector128.Equals(Vector128.Abs(a.AsDouble()), infinity) | Vector128.Equals(Vector128.Abs(b.AsDouble()), infinity);
        return Vector128.ConditionalSelect(infinite, infinity, Vector128.Hypot(a.AsDouble(), b.AsDouble())).As<double, T>();
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Tan(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Tan(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Tan>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Asin(Vector128<T> a) => Lanewise.Unary<Vector128<T>, T, ScalarOps.Asin>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Acos(Vector128<T> a) => Lanewise.Unary<Vector128<T>, T, ScalarOps.Acos>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Atan(Vector128<T> a) => Lanewise.Unary<Vector128<T>, T, ScalarOps.Atan>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Atan2(Vector128<T> y, Vector128<T> x) => Lanewise.Binary<Vector128<T>, T, ScalarOps.Atan2>(y, x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sinh(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Sinh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Sinh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Cosh(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Cosh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Cosh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Tanh(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Tanh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Tanh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Asinh(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Asinh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Asinh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Acosh(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Acosh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Acosh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Atanh(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Atanh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Atanh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Erf(Vector128<T> a) => typeof(T) == typeof(float)
        ? VM128.Erf(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector128<T>, T, ScalarOps.Erf>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> LessThan(Vector128<T> a, Vector128<T> b) => Vector128.LessThan(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> LessThanOrEqual(Vector128<T> a, Vector128<T> b) => Vector128.LessThanOrEqual(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> GreaterThan(Vector128<T> a, Vector128<T> b) => Vector128.GreaterThan(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> GreaterThanOrEqual(Vector128<T> a, Vector128<T> b) => Vector128.GreaterThanOrEqual(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Equal(Vector128<T> a, Vector128<T> b) => Vector128.Equals(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> NotEqual(Vector128<T> a, Vector128<T> b) => ~Vector128.Equals(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> And(Vector128<T> a, Vector128<T> b) => a & b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Or(Vector128<T> a, Vector128<T> b) => a | b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Not(Vector128<T> mask) => ~mask;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Select(Vector128<T> mask, Vector128<T> ifTrue, Vector128<T> ifFalse) => Vector128.ConditionalSelect(mask, ifTrue, ifFalse);
}
