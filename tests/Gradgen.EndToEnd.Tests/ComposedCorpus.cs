using Gradgen;

namespace Gradgen.EndToEnd.Tests;

/// <summary>Functions that exercise the parser: locals, reassignment, branches, nested calls, loops, several parameters.</summary>
public static partial class ComposedCorpus
{
    const float Width = 3;

    /// <summary>The tutorial's Gaussian-windowed sine.</summary>
    [Differentiable] public static float BumpF(float x) => MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / Width);
    [Differentiable] public static double BumpD(double x) => Math.Sin(2 * Math.PI * x) * Math.Exp(-(x - 5) * (x - 5) / Width);

    [Differentiable]
    public static double Locals(double x, double y)
    {
        var a = x * y;
        double b = Math.Exp(-a * a);
        a = a + b;
        a *= Math.Sin(y);
        a -= x / (1 + y * y);
        a /= 2;
        return a * b;
    }

    [Differentiable]
    public static float LocalsF(float x, float y)
    {
        var a = x * y;
        float b = MathF.Exp(-a * a);
        a = a + b;
        a *= MathF.Sin(y);
        a -= x / (1 + y * y);
        a /= 2;
        return a * b;
    }

    [Differentiable]
    public static double Branches(double x, double y)
    {
        if (x > 1 && y > 0)
        {
            return Math.Log(x) * y;
        }
        else if (x < -1 || y < -2)
        {
            var t = x * x;
            return t - y;
        }

        double z = y >= 0 ? Math.Sqrt(y + 1) : Math.Exp(y);
        if (!(x == 0))
        {
            z *= x;
        }

        return z + Math.Cos(x * y);
    }

    [Differentiable]
    public static float BranchesF(float x, float y)
    {
        if (x > 1 && y > 0)
        {
            return MathF.Log(x) * y;
        }
        else if (x < -1 || y < -2)
        {
            var t = x * x;
            return t - y;
        }

        float z = y >= 0 ? MathF.Sqrt(y + 1) : MathF.Exp(y);
        if (!(x == 0))
        {
            z *= x;
        }

        return z + MathF.Cos(x * y);
    }

    [Differentiable] public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Differentiable] public static double Nested(double x, double y) => Sigmoid(x * y) * Polynomial(x) + Sigmoid(Sigmoid(y));

    [Differentiable]
    public static double Polynomial(double x)
    {
        double sum = 0;
        double power = 1;
        for (int k = 0; k < 6; k++)
        {
            sum += power / (k + 1);
            power *= x;
        }

        return sum;
    }

    [Differentiable]
    public static double ThreeParameters(double a, double b, double c) => Math.Pow(a * a + 1, b) * Math.Tanh(c) + a * b * c % 3;

    [Differentiable]
    public static float ThreeParametersF(float a, float b, float c) => MathF.Pow(a * a + 1, b) * MathF.Tanh(c) + a * b * c % 3;

    [Differentiable]
    public static double Unused(double x, double y) => x * x;

    [Differentiable]
    public static double Constant(double x) => 4;

    [Differentiable]
    public static double IntegerDivision(double x)
    {
        int n = 7;
        return x * (n / 2);
    }

    /// <summary>Forty data-dependent ifs in an unrolled loop: each if costs one pass (their assignments merge by select).</summary>
    [Differentiable]
    public static double ManyIfs(double x)
    {
        double s = x;
        for (int k = 0; k < 40; k++)
        {
            if (s > k * 0.05)
            {
                s = s * 0.9 + Math.Sin(s) * 0.01;
            }
            else
            {
                s += 0.05;
            }
        }

        return s;
    }

    /// <summary>Equality of booleans, which SIMD code must compute as logic, not as numbers.</summary>
    [Differentiable]
    public static float SameSignF(float x, float y) => ((x > 0) == (y > 0)) ^ (x > 2) ? x * y : x + y;

    [Differentiable]
    public static double SameSign(double x, double y) => ((x > 0) == (y > 0)) ^ (x > 2) ? x * y : x + y;
}
