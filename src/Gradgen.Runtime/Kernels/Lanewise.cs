using System.Runtime.CompilerServices;

namespace Gradgen.Kernels;

/// <summary>A scalar function of one argument, for <see cref="float"/> and <see cref="double"/>.</summary>
internal interface IScalarUnary
{
    static abstract float Invoke(float x);
    static abstract double Invoke(double x);
}

/// <summary>A scalar function of two arguments, for <see cref="float"/> and <see cref="double"/>.</summary>
internal interface IScalarBinary
{
    static abstract float Invoke(float x, float y);
    static abstract double Invoke(double x, double y);
}

/// <summary>
/// The scalar library functions (<see cref="MathF"/> and <see cref="Math"/>), one struct each, for the lanewise
/// vector fallbacks; they are the same calls <see cref="Scalar{T}"/> makes.
/// </summary>
internal static class ScalarOps
{
    internal readonly struct Log2 : IScalarUnary { public static float Invoke(float x) => MathF.Log2(x); public static double Invoke(double x) => Math.Log2(x); }
    internal readonly struct Log10 : IScalarUnary { public static float Invoke(float x) => MathF.Log10(x); public static double Invoke(double x) => Math.Log10(x); }
    internal readonly struct Tan : IScalarUnary { public static float Invoke(float x) => MathF.Tan(x); public static double Invoke(double x) => Math.Tan(x); }
    internal readonly struct Asin : IScalarUnary { public static float Invoke(float x) => MathF.Asin(x); public static double Invoke(double x) => Math.Asin(x); }
    internal readonly struct Acos : IScalarUnary { public static float Invoke(float x) => MathF.Acos(x); public static double Invoke(double x) => Math.Acos(x); }
    internal readonly struct Atan : IScalarUnary { public static float Invoke(float x) => MathF.Atan(x); public static double Invoke(double x) => Math.Atan(x); }
    internal readonly struct Sinh : IScalarUnary { public static float Invoke(float x) => MathF.Sinh(x); public static double Invoke(double x) => Math.Sinh(x); }
    internal readonly struct Cosh : IScalarUnary { public static float Invoke(float x) => MathF.Cosh(x); public static double Invoke(double x) => Math.Cosh(x); }
    internal readonly struct Tanh : IScalarUnary { public static float Invoke(float x) => MathF.Tanh(x); public static double Invoke(double x) => Math.Tanh(x); }
    internal readonly struct Asinh : IScalarUnary { public static float Invoke(float x) => MathF.Asinh(x); public static double Invoke(double x) => Math.Asinh(x); }
    internal readonly struct Acosh : IScalarUnary { public static float Invoke(float x) => MathF.Acosh(x); public static double Invoke(double x) => Math.Acosh(x); }
    internal readonly struct Atanh : IScalarUnary { public static float Invoke(float x) => MathF.Atanh(x); public static double Invoke(double x) => Math.Atanh(x); }
    internal readonly struct Cbrt : IScalarUnary { public static float Invoke(float x) => MathF.Cbrt(x); public static double Invoke(double x) => Math.Cbrt(x); }
    internal readonly struct Erf : IScalarUnary { public static float Invoke(float x) => SpecialFunctions.Erf(x); public static double Invoke(double x) => SpecialFunctions.Erf(x); }
    internal readonly struct Atan2 : IScalarBinary { public static float Invoke(float y, float x) => MathF.Atan2(y, x); public static double Invoke(double y, double x) => Math.Atan2(y, x); }
    internal readonly struct Pow : IScalarBinary { public static float Invoke(float x, float y) => MathF.Pow(x, y); public static double Invoke(double x, double y) => Math.Pow(x, y); }
}

/// <summary>
/// Applies a scalar function to every lane of a vector: stores the lanes, calls <see cref="MathF"/> or
/// <see cref="Math"/> per lane, and loads the results. Used for the functions that have no vector formula here (the
/// inverse trigonometric functions, and most double functions). Never inlined; a kernel that uses one makes a call per
/// vector, and its live vectors are spilled around it.
/// </summary>
internal static class Lanewise
{
    /// <summary><c>TOp(a)</c> per lane. <typeparamref name="TVec"/> is a vector of <typeparamref name="T"/> (or T itself).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static TVec Unary<TVec, T, TOp>(TVec a)
        where TVec : struct
        where T : unmanaged
        where TOp : IScalarUnary
    {
        Unsafe.SkipInit(out TVec result);
        int count = Unsafe.SizeOf<TVec>() / Unsafe.SizeOf<T>();
        ref T pa = ref Unsafe.As<TVec, T>(ref a);
        ref T pr = ref Unsafe.As<TVec, T>(ref result);
        for (int i = 0; i < count; i++)
        {
            if (typeof(T) == typeof(float))
            {
                float x = Unsafe.As<T, float>(ref Unsafe.Add(ref pa, i));
                Unsafe.As<T, float>(ref Unsafe.Add(ref pr, i)) = TOp.Invoke(x);
            }
            else
            {
                double x = Unsafe.As<T, double>(ref Unsafe.Add(ref pa, i));
                Unsafe.As<T, double>(ref Unsafe.Add(ref pr, i)) = TOp.Invoke(x);
            }
        }

        return result;
    }

    /// <summary><c>TOp(a, b)</c> per lane.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static TVec Binary<TVec, T, TOp>(TVec a, TVec b)
        where TVec : struct
        where T : unmanaged
        where TOp : IScalarBinary
    {
        Unsafe.SkipInit(out TVec result);
        int count = Unsafe.SizeOf<TVec>() / Unsafe.SizeOf<T>();
        ref T pa = ref Unsafe.As<TVec, T>(ref a);
        ref T pb = ref Unsafe.As<TVec, T>(ref b);
        ref T pr = ref Unsafe.As<TVec, T>(ref result);
        for (int i = 0; i < count; i++)
        {
            if (typeof(T) == typeof(float))
            {
                float x = Unsafe.As<T, float>(ref Unsafe.Add(ref pa, i));
                float y = Unsafe.As<T, float>(ref Unsafe.Add(ref pb, i));
                Unsafe.As<T, float>(ref Unsafe.Add(ref pr, i)) = TOp.Invoke(x, y);
            }
            else
            {
                double x = Unsafe.As<T, double>(ref Unsafe.Add(ref pa, i));
                double y = Unsafe.As<T, double>(ref Unsafe.Add(ref pb, i));
                Unsafe.As<T, double>(ref Unsafe.Add(ref pr, i)) = TOp.Invoke(x, y);
            }
        }

        return result;
    }
}
