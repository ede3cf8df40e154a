using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Gradgen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Tests;

/// <summary>
/// Random differentiable programs, written as C# source, compiled in memory with the generator, loaded and checked
/// against central finite differences. 4 batches of 80: 320 functions per run (a fixed seed per batch, so a failure reproduces).
/// </summary>
public sealed class PropertyTests
{
    private const int FunctionsPerBatch = 80;
    private const int PointsPerFunction = 12;

    // Unary building blocks, each smooth on the whole real line (so random nesting stays inside the domain).
    private static readonly string[] Unary =
    {
        "Math.Sin({0})", "Math.Cos({0})", "Math.Atan({0})", "Math.Tanh({0})", "Math.Exp(Math.Tanh({0}))",
        "Math.Log(1 + {0} * {0})", "Math.Sqrt(1 + {0} * {0})", "Math.Sinh(Math.Tanh({0}))", "Math.Asinh({0})",
        "(-{0})", "Math.Cbrt(1.5 + Math.Sin({0}))", "Math.Asin(0.9 * Math.Tanh({0}))", "Math.Acos(0.9 * Math.Sin({0}))",
        "Math.Atanh(0.9 * Math.Tanh({0}))", "Math.Acosh(2 + {0} * {0})", "Math.Log2(2 + Math.Cos({0}))",
        "Math.Log10(3 + Math.Sin({0}))", "Math.Cosh(Math.Sin({0}))", "Math.Tan(Math.Atan({0}) * 0.5)", "Math.Abs({0})",
        "Math.Pow({0}, 2)", "Math.Pow({0}, 3)", "({0} * 0.5 + 0.25)",
    };

    private static readonly string[] Binary =
    {
        "({0} + {1})", "({0} - {1})", "({0} * {1})", "({0} / (1.5 + Math.Cos({1})))", "Math.Pow(1.5 + Math.Sin({0}), Math.Cos({1}))",
        "Math.Atan2({0}, 2 + {1} * {1})", "Math.Max({0}, {1})", "Math.Min({0}, {1})", "double.Hypot({0}, 1 + {1} * {1})",
        "Math.FusedMultiplyAdd({0}, {1}, 0.5)", "({0} > {1} ? {0} : {1} * 0.5)", "Math.Clamp({0}, -1, {1} * {1} + 1)",
        "(({0} < 0.5 && {1} > -0.5) ? Math.Exp(Math.Sin({0})) : {1})",
    };

    public static TheoryData<int> BatchSeeds => new() { 1, 2, 3, 4 };

    [Theory]
    [MemberData(nameof(BatchSeeds))]
    public void RandomFunctionsCompileAndTheirGradientsMatchFiniteDifferences(int seed)
    {
        var random = new Random(seed);
        var source = new StringBuilder("using System;\nusing Gradgen;\npublic static partial class Random" + seed + "\n{\n");
        var bodies = new List<string>();
        for (int f = 0; f < FunctionsPerBatch; f++)
        {
            string body = RandomBody(random);
            bodies.Add(body);
            source.Append("    [Differentiable] public static double D").Append(f).Append("(double x, double y)").Append(body).Append('\n');
            // Every fourth function also in float, checked against its double twin.
            if (f % 4 == 0)
            {
                source.Append("    [Differentiable] public static float F").Append(f).Append("(float x, float y)").Append(ToFloat(body)).Append('\n');
            }
        }

        source.Append("}\n");
        var output = GeneratorHarness.Run(source.ToString());
        Assert.True(output.Diagnostics.IsEmpty, "generator diagnostics:\n" + string.Join("\n", output.Diagnostics));
        Assert.True(output.CompilationProblems.Count == 0, "the generated code does not compile:\n" + output.Describe() + "\n" + source);

        var type = Load(output.Compilation).GetType("Random" + seed)!;
        var pointRandom = new Random(seed * 7919);
        int checkedPoints = 0;
        for (int f = 0; f < FunctionsPerBatch; f++)
        {
            var reference = type.GetMethod("D" + f, new[] { typeof(double), typeof(double) })!;
            var withGradient = type.GetMethod("D" + f + "WithGradient", new[] { typeof(double), typeof(double), typeof(double).MakeByRefType(), typeof(double).MakeByRefType() })!;
            var floatWithGradient = type.GetMethod("F" + f + "WithGradient", new[] { typeof(float), typeof(float), typeof(float).MakeByRefType(), typeof(float).MakeByRefType() });
            double Evaluate(double[] p) => (double)reference.Invoke(null, new object[] { p[0], p[1] })!;

            for (int n = 0; n < PointsPerFunction; n++)
            {
                var point = new[] { (float)((pointRandom.NextDouble() * 3) - 1.5), (float)((pointRandom.NextDouble() * 3) - 1.5) }.Select(v => (double)v).ToArray();
                double value = Evaluate(point);
                if (!double.IsFinite(value) || Math.Abs(value) > 1e6)
                {
                    continue;
                }

                var numeric = FiniteDifference(Evaluate, point);
                if (!IsSmooth(Evaluate, point, numeric))
                {
                    continue;
                }

                var args = new object[] { point[0], point[1], 0.0, 0.0 };
                double generatedValue = (double)withGradient.Invoke(null, args)!;
                string where = $"D{f}{bodies[f]} at ({point[0].ToString("R", CultureInfo.InvariantCulture)}, {point[1].ToString("R", CultureInfo.InvariantCulture)})";
                Assert.True(Math.Abs(generatedValue - value) <= 1e-12 * Math.Max(1, Math.Abs(value)), $"{where}: value {generatedValue} vs {value}");
                for (int i = 0; i < 2; i++)
                {
                    double analytic = (double)args[2 + i];
                    // 1e-5: the finite difference errs by ~1e-9 relative; nested compositions amplify that by at most 10³.
                    Assert.True(Math.Abs(analytic - numeric[i]) <= 1e-5 * Math.Max(1, Math.Abs(numeric[i])), $"{where}: ∂/∂{(i == 0 ? "x" : "y")} generated {analytic}, finite difference {numeric[i]}");
                }

                if (floatWithGradient is not null)
                {
                    var floatArgs = new object[] { (float)point[0], (float)point[1], 0f, 0f };
                    floatWithGradient.Invoke(null, floatArgs);
                    for (int i = 0; i < 2; i++)
                    {
                        double analytic = (float)floatArgs[2 + i];
                        // Float round-off through a random composition: 2e-3 relative, against errors of O(1) for a wrong rule.
                        Assert.True(Math.Abs(analytic - (double)args[2 + i]) <= 2e-3 * Math.Max(1, Math.Abs((double)args[2 + i])), $"F{f}: float ∂/∂{(i == 0 ? "x" : "y")} {analytic} vs double {args[2 + i]} {where}");
                    }
                }

                checkedPoints++;
            }
        }

        Assert.True(checkedPoints >= FunctionsPerBatch * PointsPerFunction / 2, $"only {checkedPoints} points were checked");
    }

    private static string ToFloat(string body) =>
        System.Text.RegularExpressions.Regex.Replace(
            body.Replace("Math.", "MathF.").Replace("MathF.Clamp", "Math.Clamp").Replace("double.", "float.").Replace("double ", "float "), @"(\d+\.\d+)", "$1f");

    private static string RandomBody(Random random)
    {
        if (random.Next(3) > 0)
        {
            return " => " + RandomExpression(random, 4) + ";";
        }

        // A block with locals, reassignment, a loop and a branch.
        string a = RandomExpression(random, 2);
        string b = RandomExpression(random, 2);
        string c = RandomExpression(random, 2);
        return "\n    {\n" +
               $"        double a = {a};\n" +
               $"        a *= {b};\n" +
               "        for (int k = 1; k <= 2; k++) { a = a + Math.Sin(a * k) / k; }\n" +
               $"        if (a > y) {{ return a - {c}; }}\n" +
               $"        var t = {c};\n" +
               "        return t * a;\n" +
               "    }";
    }

    private static string RandomExpression(Random random, int depth)
    {
        if (depth == 0 || random.Next(5) == 0)
        {
            return random.Next(6) switch
            {
                0 => (random.Next(1, 20) / 4.0).ToString("0.0#", CultureInfo.InvariantCulture),
                1 or 2 or 3 => "x",
                _ => "y",
            };
        }

        if (random.Next(2) == 0)
        {
            return string.Format(CultureInfo.InvariantCulture, Unary[random.Next(Unary.Length)], RandomExpression(random, depth - 1));
        }

        return string.Format(CultureInfo.InvariantCulture, Binary[random.Next(Binary.Length)], RandomExpression(random, depth - 1), RandomExpression(random, depth - 1));
    }

    private static double[] FiniteDifference(Func<double[], double> f, double[] x)
    {
        var gradient = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double h = 1e-6;
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            gradient[i] = (f(plus) - f(minus)) / (plus[i] - minus[i]);
        }

        return gradient;
    }

    /// <summary>No kink, jump or branch switch within reach: a step 400× larger gives the same derivative.</summary>
    private static bool IsSmooth(Func<double[], double> f, double[] x, double[] gradient)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double h = 4e-4;
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            double coarse = (f(plus) - f(minus)) / (2 * h);
            if (!double.IsFinite(coarse) || Math.Abs(coarse - gradient[i]) > 1e-3 * (1 + Math.Abs(gradient[i])))
            {
                return false;
            }
        }

        return true;
    }

    private static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        stream.Position = 0;
        return new AssemblyLoadContext("PropertyTest" + Guid.NewGuid(), isCollectible: true).LoadFromStream(stream);
    }
}
