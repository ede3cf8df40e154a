using System.Runtime.Intrinsics;
using Gradgen.Kernels;

namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>Every member of <see cref="ISimd{TVec, T}"/> that computes something, by name.</summary>
public enum Fn
{
    Negate, Abs, Sqrt, Cbrt, Floor, Ceiling, Round, Truncate, Sign, Exp, Log, Log2, Log10, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Tanh, Asinh, Acosh, Atanh, Erf, Not, Add, Subtract, Multiply, Divide, Min, Max, Pow, Hypot, Atan2, LessThan, LessThanOrEqual, GreaterThan, GreaterThanOrEqual, Equal, NotEqual, And, Or, FusedMultiplyAdd, Select,
}

/// <summary>An implementation of <see cref="ISimd{TVec, T}"/> to test.</summary>
public enum Width
{
    Scalar,
    V128,
    V256,
    V512,
    /// <summary>256-bit vectors with the portable paths (no vscalefps, no minps/maxps clamping) of the float math.</summary>
    V256Portable,
}

/// <summary>Applies one function at one width over whole arrays.</summary>
internal static class Harness
{
    public static readonly Width[] AllWidths = [Width.Scalar, Width.V128, Width.V256, Width.V512, Width.V256Portable];

    public static T[] Map<T>(Width width, Fn fn, T[] a, T[]? b = null, T[]? c = null)
        where T : unmanaged
    {
        b ??= a;
        c ??= a;
        return width switch
        {
            Width.Scalar => Map<T, T, Scalar<T>>(fn, a, b, c),
            Width.V128 => Map<Vector128<T>, T, Simd128<T>>(fn, a, b, c),
            Width.V256 => Map<Vector256<T>, T, Simd256<T>>(fn, a, b, c),
            Width.V512 => Map<Vector512<T>, T, Simd512<T>>(fn, a, b, c),
            Width.V256Portable => typeof(T) == typeof(float)
                ? (T[])(object)Map<Vector256<float>, float, PortableSimd256>(fn, (float[])(object)a, (float[])(object)b, (float[])(object)c)
                : Map<Vector256<T>, T, Simd256<T>>(fn, a, b, c),
            _ => throw new ArgumentOutOfRangeException(nameof(width)),
        };
    }

    /// <summary>Whole vectors, then the last partial vector through a padded copy (padding repeats the last element).</summary>
    private static T[] Map<TVec, T, TSimd>(Fn fn, T[] a, T[] b, T[] c)
        where TVec : struct
        where T : unmanaged
        where TSimd : ISimd<TVec, T>
    {
        var result = new T[a.Length];
        int n = TSimd.Count;
        int i = 0;
        for (; i + n <= a.Length; i += n)
        {
            TSimd.Store(Call<TVec, T, TSimd>(fn, TSimd.Load(a, i), TSimd.Load(b, i), TSimd.Load(c, i)), result, i);
        }

        if (i < a.Length)
        {
            var pa = new T[n];
            var pb = new T[n];
            var pc = new T[n];
            var pr = new T[n];
            for (int k = 0; k < n; k++)
            {
                int j = Math.Min(i + k, a.Length - 1);
                pa[k] = a[j];
                pb[k] = b[j];
                pc[k] = c[j];
            }

            TSimd.Store(Call<TVec, T, TSimd>(fn, TSimd.Load(pa, 0), TSimd.Load(pb, 0), TSimd.Load(pc, 0)), pr, 0);
            Array.Copy(pr, 0, result, i, a.Length - i);
        }

        return result;
    }

    private static TVec Call<TVec, T, TSimd>(Fn fn, TVec a, TVec b, TVec c)
        where TVec : struct
        where T : unmanaged
        where TSimd : ISimd<TVec, T>
    {
        return fn switch
        {
            Fn.Negate => TSimd.Negate(a),
            Fn.Abs => TSimd.Abs(a),
            Fn.Sqrt => TSimd.Sqrt(a),
            Fn.Cbrt => TSimd.Cbrt(a),
            Fn.Floor => TSimd.Floor(a),
            Fn.Ceiling => TSimd.Ceiling(a),
            Fn.Round => TSimd.Round(a),
            Fn.Truncate => TSimd.Truncate(a),
            Fn.Sign => TSimd.Sign(a),
            Fn.Exp => TSimd.Exp(a),
            Fn.Log => TSimd.Log(a),
            Fn.Log2 => TSimd.Log2(a),
            Fn.Log10 => TSimd.Log10(a),
            Fn.Sin => TSimd.Sin(a),
            Fn.Cos => TSimd.Cos(a),
            Fn.Tan => TSimd.Tan(a),
            Fn.Asin => TSimd.Asin(a),
            Fn.Acos => TSimd.Acos(a),
            Fn.Atan => TSimd.Atan(a),
            Fn.Sinh => TSimd.Sinh(a),
            Fn.Cosh => TSimd.Cosh(a),
            Fn.Tanh => TSimd.Tanh(a),
            Fn.Asinh => TSimd.Asinh(a),
            Fn.Acosh => TSimd.Acosh(a),
            Fn.Atanh => TSimd.Atanh(a),
            Fn.Erf => TSimd.Erf(a),
            Fn.Not => TSimd.Not(a),
            Fn.Add => TSimd.Add(a, b),
            Fn.Subtract => TSimd.Subtract(a, b),
            Fn.Multiply => TSimd.Multiply(a, b),
            Fn.Divide => TSimd.Divide(a, b),
            Fn.Min => TSimd.Min(a, b),
            Fn.Max => TSimd.Max(a, b),
            Fn.Pow => TSimd.Pow(a, b),
            Fn.Hypot => TSimd.Hypot(a, b),
            Fn.Atan2 => TSimd.Atan2(a, b),
            Fn.LessThan => TSimd.LessThan(a, b),
            Fn.LessThanOrEqual => TSimd.LessThanOrEqual(a, b),
            Fn.GreaterThan => TSimd.GreaterThan(a, b),
            Fn.GreaterThanOrEqual => TSimd.GreaterThanOrEqual(a, b),
            Fn.Equal => TSimd.Equal(a, b),
            Fn.NotEqual => TSimd.NotEqual(a, b),
            Fn.And => TSimd.And(a, b),
            Fn.Or => TSimd.Or(a, b),
            Fn.FusedMultiplyAdd => TSimd.FusedMultiplyAdd(a, b, c),
            Fn.Select => TSimd.Select(a, b, c),
            _ => throw new ArgumentOutOfRangeException(nameof(fn)),
        };
    }
}
