using System.Runtime.Intrinsics;
using Gradgen.Kernels;
using Xunit.Abstractions;

namespace Gradgen.Runtime.Tests.Kernels;

/// <summary>
/// Every float in each function's range through <see cref="Simd512{T}"/> (or <see cref="Simd256{T}"/> without
/// AVX-512), against <see cref="Math"/> in double: the measurements in docs/vector-math.md. Minutes of CPU each, so
/// they run only with <c>GRADGEN_EXHAUSTIVE=1</c> (optionally <c>GRADGEN_EXHAUSTIVE_STRIDE=n</c> to test every n-th
/// float); otherwise they return at once.
/// </summary>
public sealed class ExhaustiveAccuracyTests(ITestOutputHelper output)
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("GRADGEN_EXHAUSTIVE") == "1";
    private static readonly uint Stride = uint.TryParse(Environment.GetEnvironmentVariable("GRADGEN_EXHAUSTIVE_STRIDE"), out uint s) && s > 0 ? s : 1;

    public static TheoryData<string> Functions => new(
        "Exp", "Log", "Log2", "Log10", "Sin", "Cos", "Tan", "SinLarge", "CosLarge", "TanLarge",
        "Sinh", "Cosh", "Tanh", "Asinh", "Acosh", "Atanh", "Cbrt");

    [Theory]
    [MemberData(nameof(Functions))]
    public void Every_float(string function)
    {
        if (!Enabled)
        {
            return;
        }

        (Fn fn, Func<double, double> reference, float from, float to, bool bothSigns, double bound) = function switch
        {
            "Exp" => (Fn.Exp, (Func<double, double>)Math.Exp, 0f, 104f, true, 2.0),
            "Log" => (Fn.Log, Math.Log, float.Epsilon, float.MaxValue, false, 2),
            "Log2" => (Fn.Log2, Math.Log2, float.Epsilon, float.MaxValue, false, 2),
            "Log10" => (Fn.Log10, Math.Log10, float.Epsilon, float.MaxValue, false, 2),
            "Sin" => (Fn.Sin, Math.Sin, 0f, 262144f, true, 2),
            "Cos" => (Fn.Cos, Math.Cos, 0f, 262144f, true, 2),
            "Tan" => (Fn.Tan, Math.Tan, 0f, 262144f, true, 4),
            "SinLarge" => (Fn.Sin, Math.Sin, 262144f, float.MaxValue, true, 2),
            "CosLarge" => (Fn.Cos, Math.Cos, 262144f, float.MaxValue, true, 2),
            "TanLarge" => (Fn.Tan, Math.Tan, 262144f, float.MaxValue, true, 4),
            "Sinh" => (Fn.Sinh, Math.Sinh, 0f, 90f, true, 4),
            "Cosh" => (Fn.Cosh, Math.Cosh, 0f, 90f, false, 4),
            "Tanh" => (Fn.Tanh, Math.Tanh, 0f, 10f, true, 4),
            "Asinh" => (Fn.Asinh, Math.Asinh, 0f, float.MaxValue, true, 4),
            "Acosh" => (Fn.Acosh, Math.Acosh, 1f, float.MaxValue, false, 4),
            "Atanh" => (Fn.Atanh, Math.Atanh, 0f, 1f, true, 4),
            "Cbrt" => (Fn.Cbrt, Math.Cbrt, 0f, float.MaxValue, true, 1),
            _ => throw new ArgumentOutOfRangeException(nameof(function)),
        };

        Width width = Vector512.IsHardwareAccelerated ? Width.V512 : Width.V256;
        const int Block = 1 << 16;
        var x = new float[Block];
        double worst = 0;
        float worstAt = 0;
        long count = 0;
        foreach (uint sign in bothSigns ? new[] { 0u, 0x8000_0000u } : [0u])
        {
            ulong bits = BitConverter.SingleToUInt32Bits(from);
            ulong last = BitConverter.SingleToUInt32Bits(to);
            while (bits <= last)
            {
                int n = 0;
                for (; n < Block && bits <= last; n++, bits += Stride)
                {
                    x[n] = BitConverter.UInt32BitsToSingle((uint)bits | sign);
                }

                float[] block = n == Block ? x : x[..n];
                float[] y = Harness.Map(width, fn, block);
                for (int i = 0; i < n; i++)
                {
                    double error = Ulp.OfFloat(y[i], reference(block[i]));
                    if (!(error <= worst))
                    {
                        worst = error;
                        worstAt = block[i];
                    }
                }

                count += n;
            }
        }

        output.WriteLine($"{function}: {count:N0} floats in [{from:R}, {to:R}]{(bothSigns ? " and their negatives" : "")} at {width}, stride {Stride}: max {worst:F3} ulp at x = {worstAt:R}");
        Assert.True(worst <= bound, $"{function}: {worst} ulp at x = {worstAt:R}");
    }
}
