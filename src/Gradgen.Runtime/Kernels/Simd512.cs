using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VM512 = Gradgen.Kernels.VectorMath<System.Runtime.Intrinsics.Vector512<float>, Gradgen.Kernels.Float512Ops>;

namespace Gradgen.Kernels;

/// <summary>
/// <see cref="ISimd{TVec, T}"/> over <see cref="Vector512{T}"/>: 512-bit vectors of 16 floats or 8 doubles.
/// Float transcendental functions are Gradgen's inlined polynomials (<see cref="VectorMath{TVec, TOps}"/>); double
/// ones are the BCL's <see cref="Vector512"/> functions where .NET has them (exp, log, sin, cos, hypot) and lanewise
/// <see cref="Math"/> calls otherwise. Inverse trigonometric functions are lanewise for both.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly struct Simd512<T> : ISimd<Vector512<T>, T>
    where T : unmanaged
{
    /// <inheritdoc/>
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512<T>.Count;
    }

    /// <inheritdoc/>
    public static bool IsHardwareAccelerated
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.IsHardwareAccelerated;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Create(T value) => Vector512.Create(value);


    /// <inheritdoc/>

    [MethodImpl(MethodImplOptions.AggressiveInlining)]

    public static Vector512<T> Constant(double value) => Create(typeof(T) == typeof(float) ? Unsafe.BitCast<float, T>((float)value) : Unsafe.BitCast<double, T>(value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ReadOnlySpan<T> source, int index) => Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)(uint)index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, Span<T> destination, int index) => value.StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)(uint)index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Negate(Vector512<T> a) => -a;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> FusedMultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) => typeof(T) == typeof(float)
        ? Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Abs(Vector512<T> a) => Vector512.Abs(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sqrt(Vector512<T> a) => Vector512.Sqrt(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Cbrt(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Cbrt(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Cbrt>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Floor(Vector512<T> a) => typeof(T) == typeof(float)
        ? Vector512.Floor(a.AsSingle()).As<float, T>()
        : Vector512.Floor(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Ceiling(Vector512<T> a) => typeof(T) == typeof(float)
        ? Vector512.Ceiling(a.AsSingle()).As<float, T>()
        : Vector512.Ceiling(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Round(Vector512<T> a) => typeof(T) == typeof(float)
        ? Vector512.Round(a.AsSingle()).As<float, T>()
        : Vector512.Round(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Truncate(Vector512<T> a) => typeof(T) == typeof(float)
        ? Vector512.Truncate(a.AsSingle()).As<float, T>()
        : Vector512.Truncate(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sign(Vector512<T> a)
    {
        Vector512<T> one = Vector512<T>.One;
        Vector512<T> sign = (Vector512.GreaterThan(a, Vector512<T>.Zero) & one) | (Vector512.LessThan(a, Vector512<T>.Zero) & -one);
        return Vector512.ConditionalSelect(Vector512.Equals(a, a), sign, a);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Min(Vector512<T> a, Vector512<T> b) => Vector512.Min(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Max(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Exp(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Exp(a.AsSingle()).As<float, T>()
        : Vector512.Exp(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Log(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Log(a.AsSingle()).As<float, T>()
        : Vector512.Log(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sin(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Sin(a.AsSingle()).As<float, T>()
        : Vector512.Sin(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Cos(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Cos(a.AsSingle()).As<float, T>()
        : Vector512.Cos(a.AsDouble()).As<double, T>();

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Log2(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Log2(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Log2>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Log10(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Log10(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Log10>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Pow(Vector512<T> a, Vector512<T> b) => typeof(T) == typeof(float)
        ? VM512.Pow(a.AsSingle(), b.AsSingle()).As<float, T>()
        : Lanewise.Binary<Vector512<T>, T, ScalarOps.Pow>(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Hypot(Vector512<T> a, Vector512<T> b)
    {
        if (typeof(T) == typeof(float))
        {
            return VM512.Hypot(a.AsSingle(), b.AsSingle()).As<float, T>();
        }

        // IEEE: hypot(±∞, NaN) = +∞.
        Vector512<double> infinity = Vector512.Create(double.PositiveInfinity);
        Vector512<double> infinite = Vector512.Equals(Vector512.Abs(a.AsDouble()), infinity) | Vector512.Equals(Vector512.Abs(b.AsDouble()), infinity);
        return Vector512.ConditionalSelect(infinite, infinity, Vector512.Hypot(a.AsDouble(), b.AsDouble())).As<double, T>();
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Tan(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Tan(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Tan>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Asin(Vector512<T> a) => Lanewise.Unary<Vector512<T>, T, ScalarOps.Asin>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Acos(Vector512<T> a) => Lanewise.Unary<Vector512<T>, T, ScalarOps.Acos>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Atan(Vector512<T> a) => Lanewise.Unary<Vector512<T>, T, ScalarOps.Atan>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Atan2(Vector512<T> y, Vector512<T> x) => Lanewise.Binary<Vector512<T>, T, ScalarOps.Atan2>(y, x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sinh(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Sinh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Sinh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Cosh(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Cosh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Cosh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Tanh(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Tanh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Tanh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Asinh(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Asinh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Asinh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Acosh(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Acosh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Acosh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Atanh(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Atanh(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Atanh>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Erf(Vector512<T> a) => typeof(T) == typeof(float)
        ? VM512.Erf(a.AsSingle()).As<float, T>()
        : Lanewise.Unary<Vector512<T>, T, ScalarOps.Erf>(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LessThan(Vector512<T> a, Vector512<T> b) => Vector512.LessThan(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> LessThanOrEqual(Vector512<T> a, Vector512<T> b) => Vector512.LessThanOrEqual(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> GreaterThan(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThan(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> GreaterThanOrEqual(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThanOrEqual(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Equal(Vector512<T> a, Vector512<T> b) => Vector512.Equals(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> NotEqual(Vector512<T> a, Vector512<T> b) => ~Vector512.Equals(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> And(Vector512<T> a, Vector512<T> b) => a & b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Or(Vector512<T> a, Vector512<T> b) => a | b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Not(Vector512<T> mask) => ~mask;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Select(Vector512<T> mask, Vector512<T> ifTrue, Vector512<T> ifFalse) => Vector512.ConditionalSelect(mask, ifTrue, ifFalse);
}
