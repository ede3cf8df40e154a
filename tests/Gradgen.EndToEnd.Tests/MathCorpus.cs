using Gradgen;

namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// One [Differentiable] function per supported math function, in float and double, compiled by the real generator.
/// The double twin (…D) is also the reference that finite differences are taken of.
/// </summary>
public static partial class MathCorpus
{
    [Differentiable] public static float SinF(float x) => MathF.Sin(x);
    [Differentiable] public static double SinD(double x) => Math.Sin(x);
    [Differentiable] public static float CosF(float x) => MathF.Cos(x);
    [Differentiable] public static double CosD(double x) => Math.Cos(x);
    [Differentiable] public static float TanF(float x) => MathF.Tan(x);
    [Differentiable] public static double TanD(double x) => Math.Tan(x);
    [Differentiable] public static float AsinF(float x) => MathF.Asin(x);
    [Differentiable] public static double AsinD(double x) => Math.Asin(x);
    [Differentiable] public static float AcosF(float x) => MathF.Acos(x);
    [Differentiable] public static double AcosD(double x) => Math.Acos(x);
    [Differentiable] public static float AtanF(float x) => MathF.Atan(x);
    [Differentiable] public static double AtanD(double x) => Math.Atan(x);
    [Differentiable] public static float SinhF(float x) => MathF.Sinh(x);
    [Differentiable] public static double SinhD(double x) => Math.Sinh(x);
    [Differentiable] public static float CoshF(float x) => MathF.Cosh(x);
    [Differentiable] public static double CoshD(double x) => Math.Cosh(x);
    [Differentiable] public static float TanhF(float x) => MathF.Tanh(x);
    [Differentiable] public static double TanhD(double x) => Math.Tanh(x);
    [Differentiable] public static float AsinhF(float x) => MathF.Asinh(x);
    [Differentiable] public static double AsinhD(double x) => Math.Asinh(x);
    [Differentiable] public static float AcoshF(float x) => MathF.Acosh(x);
    [Differentiable] public static double AcoshD(double x) => Math.Acosh(x);
    [Differentiable] public static float AtanhF(float x) => MathF.Atanh(x);
    [Differentiable] public static double AtanhD(double x) => Math.Atanh(x);
    [Differentiable] public static float ExpF(float x) => MathF.Exp(x);
    [Differentiable] public static double ExpD(double x) => Math.Exp(x);
    [Differentiable] public static float LogF(float x) => MathF.Log(x);
    [Differentiable] public static double LogD(double x) => Math.Log(x);
    [Differentiable] public static float Log2F(float x) => MathF.Log2(x);
    [Differentiable] public static double Log2D(double x) => Math.Log2(x);
    [Differentiable] public static float Log10F(float x) => MathF.Log10(x);
    [Differentiable] public static double Log10D(double x) => Math.Log10(x);
    [Differentiable] public static float SqrtF(float x) => MathF.Sqrt(x);
    [Differentiable] public static double SqrtD(double x) => Math.Sqrt(x);
    [Differentiable] public static float CbrtF(float x) => MathF.Cbrt(x);
    [Differentiable] public static double CbrtD(double x) => Math.Cbrt(x);
    [Differentiable] public static float AbsF(float x) => MathF.Abs(x);
    [Differentiable] public static double AbsD(double x) => Math.Abs(x);
    [Differentiable] public static float FloorF(float x) => x * MathF.Floor(x);
    [Differentiable] public static double FloorD(double x) => x * Math.Floor(x);
    [Differentiable] public static float CeilingF(float x) => x * MathF.Ceiling(x);
    [Differentiable] public static double CeilingD(double x) => x * Math.Ceiling(x);
    [Differentiable] public static float RoundF(float x) => x * MathF.Round(x);
    [Differentiable] public static double RoundD(double x) => x * Math.Round(x);
    [Differentiable] public static float TruncateF(float x) => x * MathF.Truncate(x);
    [Differentiable] public static double TruncateD(double x) => x * Math.Truncate(x);
    [Differentiable] public static float SignF(float x) => x * MathF.Sign(x);
    [Differentiable] public static double SignD(double x) => x * Math.Sign(x);
    [Differentiable] public static float GenericMathF(float x) => float.Exp(x / 4) + float.Sin(x) * float.Sqrt(x * x + 1);
    [Differentiable] public static double GenericMathD(double x) => double.Exp(x / 4) + double.Sin(x) * double.Sqrt(x * x + 1);

    [Differentiable] public static float Atan2F(float y, float x) => MathF.Atan2(y, x);
    [Differentiable] public static double Atan2D(double y, double x) => Math.Atan2(y, x);
    [Differentiable] public static float PowF(float a, float b) => MathF.Pow(a, b);
    [Differentiable] public static double PowD(double a, double b) => Math.Pow(a, b);
    [Differentiable] public static float MinF(float a, float b) => MathF.Min(a, b);
    [Differentiable] public static double MinD(double a, double b) => Math.Min(a, b);
    [Differentiable] public static float MaxF(float a, float b) => MathF.Max(a, b);
    [Differentiable] public static double MaxD(double a, double b) => Math.Max(a, b);
    [Differentiable] public static float HypotF(float a, float b) => float.Hypot(a, b);
    [Differentiable] public static double HypotD(double a, double b) => double.Hypot(a, b);
    [Differentiable] public static float LogBaseF(float a, float b) => MathF.Log(a, b);
    [Differentiable] public static double LogBaseD(double a, double b) => Math.Log(a, b);
    [Differentiable] public static float FmaF(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);
    [Differentiable] public static double FmaD(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);
    [Differentiable] public static float ClampF(float x, float lo, float hi) => Math.Clamp(x, lo, hi);
    [Differentiable] public static double ClampD(double x, double lo, double hi) => Math.Clamp(x, lo, hi);
}
