using System.Runtime.Intrinsics;
using Gradgen.Benchmarks.Bump;

namespace Gradgen.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -- verify [N]</c>: every implementation's largest absolute error against float64 on
/// linspace(0, 10, N) (default 1,000,000), and a TorchSharp smoke test (it loads the patched libLibTorchSharp.so).
/// </summary>
static class Verify
{
    delegate void Kernel(ReadOnlySpan<float> x, Span<float> value, Span<float> dx);

    public static int Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        float[] x = BumpMath.Linspace(0, 10, n);
        var value = new float[n];
        var dx = new float[n];
        Console.WriteLine($"max |error| vs float64 on linspace(0, 10, {n}):");
        Console.WriteLine($"{"implementation",-28} {"value",10} {"derivative",12}");

        var kernels = new (string Name, Kernel Kernel)[]
        {
            (nameof(BumpKernels.ScalarMathF), BumpKernels.ScalarMathF),
            (nameof(BumpKernels.FusedVector256Bcl), BumpKernels.FusedVector256Bcl),
            (nameof(BumpKernels.FusedVector512Polynomial), BumpKernels.FusedVector512Polynomial),
            ("GeneratedBumpWithGradient", Curves.BumpWithGradient),
        };
        foreach ((string name, Kernel kernel) in kernels)
        {
            kernel(x, value, dx);
            Report(name, x, value, dx);
        }

        // Every vector tail: lengths 0..64 against the scalar loop's inputs.
        for (int len = 0; len <= 64; len++)
        {
            float[] xs = BumpMath.Linspace(0, 10, Math.Max(len, 1))[..len];
            foreach ((string name, Kernel kernel) in kernels)
            {
                var v = new float[len];
                var d = new float[len];
                kernel(xs, v, d);
                (double ev, double ed) = BumpMath.MaxAbsError(xs, v, d);
                if (ev > 1e-4 || ed > 1e-3)
                {
                    Console.Error.WriteLine($"{name} is wrong at length {len}: {ev:g3} {ed:g3}");
                    return 1;
                }
            }
        }

        ReportPrimitives();

        using (var torch = new TorchBump(n, threads: 1))
        {
            torch.Run(value, dx);
            Report($"TorchSharpAutograd", torch.X(), value, dx);
        }

        return 0;
    }

    /// <summary>
    /// The primitives alone, against float64 on the same float argument (so without the rounding of 2π·x that
    /// dominates the errors above): sin/cos on [0, 20π] (Bump's range), exp on [−8.4, 0], in absolute error for sin/cos
    /// and relative error for exp.
    /// </summary>
    static void ReportPrimitives()
    {
        const int count = 1 << 22;
        double sinPoly = 0, cosPoly = 0, expPoly = 0, sinBcl = 0, cosBcl = 0, expBcl = 0;
        Span<float> a = stackalloc float[16], b = stackalloc float[16];
        for (int i = 0; i < count; i += 16)
        {
            for (int k = 0; k < 16; k++)
            {
                a[k] = (float)((i + k) * (20 * Math.PI / count));
                b[k] = (float)((i + k) * (-8.4 / count));
            }

            var av = Vector512.Create<float>(a);
            var bv = Vector512.Create<float>(b);
            PolynomialMath.SinCos(av, out var s, out var c);
            var e = PolynomialMath.Exp(bv);
            var (s256, c256) = Vector256.SinCos(av.GetLower());
            var e256 = Vector256.Exp(bv.GetLower());
            for (int k = 0; k < 16; k++)
            {
                sinPoly = Math.Max(sinPoly, Math.Abs(s[k] - Math.Sin(a[k])));
                cosPoly = Math.Max(cosPoly, Math.Abs(c[k] - Math.Cos(a[k])));
                expPoly = Math.Max(expPoly, Math.Abs(e[k] / Math.Exp(b[k]) - 1));
                if (k < 8)
                {
                    sinBcl = Math.Max(sinBcl, Math.Abs(s256[k] - Math.Sin(a[k])));
                    cosBcl = Math.Max(cosBcl, Math.Abs(c256[k] - Math.Cos(a[k])));
                    expBcl = Math.Max(expBcl, Math.Abs(e256[k] / Math.Exp(b[k]) - 1));
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"primitives vs float64 on the same float argument ({count} points each):");
        Console.WriteLine($"{"",-28} {"sin abs",10} {"cos abs",10} {"exp rel",10}");
        Console.WriteLine($"{"PolynomialMath (Vector512)",-28} {sinPoly,10:0.00e+0} {cosPoly,10:0.00e+0} {expPoly,10:0.00e+0}");
        Console.WriteLine($"{"BCL Vector256",-28} {sinBcl,10:0.00e+0} {cosBcl,10:0.00e+0} {expBcl,10:0.00e+0}");
        Console.WriteLine($"(float rounding: half an ulp of 1 is {Math.Pow(2, -24):0.00e+0})");
        Console.WriteLine();
    }

    static void Report(string name, float[] x, float[] value, float[] dx)
    {
        (double ev, double ed) = BumpMath.MaxAbsError(x, value, dx);
        Console.WriteLine($"{name,-28} {ev,10:0.00e+0} {ed,12:0.00e+0}");
    }
}
