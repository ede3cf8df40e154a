using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Gradgen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Tests;

/// <summary>
/// Random loop programs over a span: counted, while, do … while and foreach loops, nested loops, if/else, break, continue and
/// early return, compound assignments, running maxima and minima (Math.Max/Min and if forms), reads at computed indices
/// and local arrays, written as C# source, compiled in memory with the
/// generator, loaded and checked against central finite differences along random directions. 4 batches of 80: 320
/// programs per run, each batch from a fixed seed so a failure reproduces, and the program is printed.
/// </summary>
public sealed class LoopPropertyTests
{
    private const int ProgramsPerBatch = 80;
    private const int PointsPerProgram = 6;

    private static readonly string[] Unary =
    {
        "Math.Sin({0})", "Math.Tanh({0})", "Math.Atan({0})", "Math.Exp(Math.Tanh({0}))", "Math.Log(1 + {0} * {0})",
        "Math.Sqrt(1 + {0} * {0})", "(-{0})", "({0} * 0.5 + 0.25)", "Math.Cos({0})",
    };

    private static readonly string[] Binary =
    {
        "({0} + {1})", "({0} - {1})", "({0} * {1})", "({0} / (1.5 + Math.Cos({1})))", "Math.Max({0}, {1})",
        "Math.Atan2({0}, 2 + {1} * {1})", "({0} > {1} ? {0} : {1} * 0.5)",
    };

    public static TheoryData<int> BatchSeeds => new() { 11, 12, 13, 14 };

    [Theory]
    [MemberData(nameof(BatchSeeds))]
    public void RandomLoopProgramsCompileAndTheirGradientsMatchFiniteDifferences(int seed)
    {
        var random = new Random(seed);
        var source = new StringBuilder("using System;\nusing Gradgen;\npublic static partial class Loops" + seed + "\n{\n");
        var programs = new List<string>();
        for (int f = 0; f < ProgramsPerBatch; f++)
        {
            string program = RandomProgram(random, "P" + f);
            programs.Add(program);
            source.Append(program);
            // A plain wrapper, because reflection cannot pass spans: the value and the gradients into arrays.
            source.Append($"    public static double G{f}(double[] x, double a, int n, double[] dx, double[] da) {{ double v = P{f}WithGradient(x, a, n, dx, out double d); da[0] = d; return v; }}\n");
        }

        source.Append("}\n");
        var output = GeneratorHarness.Run(source.ToString());
        Assert.True(output.Diagnostics.IsEmpty, "generator diagnostics:\n" + string.Join("\n", output.Diagnostics) + "\n" + source);
        Assert.True(output.CompilationProblems.Count == 0, "the generated code does not compile:\n" + output.Describe() + "\n" + source);

        var type = Load(output.Compilation).GetType("Loops" + seed)!;
        var pointRandom = new Random(seed * 7919);
        int checkedPoints = 0;
        for (int f = 0; f < ProgramsPerBatch; f++)
        {
            // Not the Tensor overload the generator adds (a program with a double[] parameter gets one too).
            var reference = type.GetMethods().Single(m => m.Name == "P" + f && m.ReturnType.Name != "Tensor");
            var withGradient = type.GetMethod("G" + f)!;
            for (int point = 0; point < PointsPerProgram; point++)
            {
                int length = pointRandom.Next(0, 10);
                int n = pointRandom.Next(0, 4);
                var inputs = new double[length + 1];
                for (int i = 0; i < inputs.Length; i++)
                {
                    inputs[i] = (pointRandom.NextDouble() * 2) - 1;
                }

                double Evaluate(double[] p) => (double)reference.Invoke(null, new object[] { p[..length], p[length], n })!;
                double value = Evaluate(inputs);
                if (!double.IsFinite(value) || Math.Abs(value) > 1e6)
                {
                    continue;
                }

                var dx = new double[length];
                var da = new double[1];
                double generated = (double)withGradient.Invoke(null, new object[] { inputs[..length], inputs[length], n, dx, da })!;
                string where = $"{programs[f]}at x = [{string.Join(", ", inputs[..length].Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}], a = {inputs[length].ToString("R", CultureInfo.InvariantCulture)}, n = {n}";
                Assert.True(Math.Abs(generated - value) <= 1e-12 * Math.Max(1, Math.Abs(value)), $"value {generated} vs {value}\n{where}");
                var gradient = dx.Append(da[0]).ToArray();
                if (!IsSmooth(Evaluate, inputs))
                {
                    continue;
                }

                var numeric = FiniteDifference(Evaluate, inputs);
                for (int i = 0; i < inputs.Length; i++)
                {
                    // 1e-5: the finite difference errs by ~1e-9 relative; loops of compositions amplify that by at most 10⁴.
                    Assert.True(Math.Abs(gradient[i] - numeric[i]) <= 1e-5 * Math.Max(1, Math.Abs(numeric[i])), $"∂/∂input[{i}] generated {gradient[i]}, finite difference {numeric[i]}\n{where}");
                }

                checkedPoints++;
            }
        }

        Assert.True(checkedPoints >= ProgramsPerBatch * PointsPerProgram / 2, $"only {checkedPoints} points were checked");
    }

    /// <summary>
    /// <c>double P(double[] x, double a, int n)</c>: two accumulators, a running extremum m, a local array, one loop over
    /// x (for, while, do … while or foreach) with random statements, and a second loop over the local array.
    /// </summary>
    private static string RandomProgram(Random random, string name)
    {
        var body = new StringBuilder();
        body.Append($"    [Differentiable]\n    public static double {name}(double[] x, double a, int n)\n    {{\n");
        body.Append("        double s = a;\n        double t = 0.5;\n        double m = a * 0.25;\n        Span<double> buffer = stackalloc double[x.Length];\n");
        string indent = "            ";
        int loop = random.Next(6);
        switch (loop)
        {
            case 0:
                body.Append("        int i = 0;\n        while (i < x.Length)\n        {\n");
                break;
            case 1:
                // The body of a do loop runs once before the condition: only for a non-empty x.
                body.Append("        int i = 0;\n        if (x.Length > 0)\n        {\n            do\n            {\n");
                indent = "                ";
                break;
            case 2:
                body.Append("        int i = 0;\n        foreach (double v in x)\n        {\n");
                break;
            default:
                body.Append("        for (int i = 0; i < x.Length; i++)\n        {\n");
                break;
        }

        // while and do advance i at the end of the body, which continue would skip; foreach's i counts the iterations
        // that got that far, so there it may.
        bool allowExit = loop is not (0 or 1);
        int statements = random.Next(1, 5);
        for (int k = 0; k < statements; k++)
        {
            body.Append(RandomStatement(random, indent, allowExit, depth: 0));
        }

        if (random.Next(2) == 0)
        {
            body.Append(RunningExtremum(random, indent));
        }

        body.Append(indent + "buffer[i] = " + RandomExpression(random, 2, loop == 2 ? "v" : "x[i]") + ";\n");
        body.Append(loop switch
        {
            0 or 2 => indent + "i++;\n        }\n",
            1 => indent + "i++;\n            }\n            while (i < x.Length);\n        }\n",
            _ => "        }\n",
        });
        body.Append("        for (int k = 0; k < buffer.Length; k++)\n        {\n            t += " + RandomExpression(random, 2, "buffer[k]", "k") + ";\n        }\n");
        body.Append("        return s + t + m;\n    }\n");
        return body.ToString();
    }

    /// <summary>A running maximum or minimum of a candidate that does not read m, in one of the forms the generator recognises.</summary>
    private static string RunningExtremum(Random random, string indent)
    {
        string e = RandomExpression(random, 1, "x[i]");
        return random.Next(6) switch
        {
            0 => $"{indent}m = Math.Max(m, {e});\n",
            1 => $"{indent}m = Math.Min({e}, m);\n",
            2 => $"{indent}if ({e} > m) m = {e};\n",
            3 => $"{indent}if (m <= {e})\n{indent}{{\n{indent}    m = {e};\n{indent}}}\n",
            4 => $"{indent}if ({e} < m) m = {e};\n",
            _ => $"{indent}if (m >= {e}) {{ m = {e}; }}\n",
        };
    }

    private static string RandomStatement(Random random, string indent, bool allowExit, int depth)
    {
        string target = random.Next(2) == 0 ? "s" : "t";
        switch (random.Next(depth >= 1 ? 4 : 7))
        {
            case 0:
                return $"{indent}{target} = Math.Tanh({RandomExpression(random, 3, "x[i]")});\n";
            case 1:
                return $"{indent}{target} += {RandomExpression(random, 2, "x[i]")};\n";
            case 2:
                return $"{indent}{target} *= Math.Tanh({RandomExpression(random, 2, "x[i]")});\n";
            case 3:
                return $"{indent}{target} += x[(i + {random.Next(1, 4)}) % x.Length] * {RandomExpression(random, 1, "x[i]")};\n";
            case 4:
                return $"{indent}if ({RandomExpression(random, 1, "x[i]")} > {RandomExpression(random, 1, "s")})\n{indent}{{\n"
                    + RandomStatement(random, indent + "    ", allowExit, depth + 1)
                    + $"{indent}}}\n{indent}else\n{indent}{{\n"
                    + RandomStatement(random, indent + "    ", allowExit, depth + 1)
                    + $"{indent}}}\n";
            case 5 when allowExit:
                return $"{indent}if (x[i] > {(random.NextDouble() * 1.6 - 0.6).ToString("0.00", CultureInfo.InvariantCulture)}) {random.Next(3) switch { 0 => "break", 1 => "continue", _ => "return s * t" }};\n";
            default:
                return $"{indent}for (int j = 0; j < n; j++)\n{indent}{{\n{indent}    {target} = Math.Sin({target} * 0.5 + x[i] * j);\n{indent}}}\n";
        }
    }

    private static string RandomExpression(Random random, int depth, string element, string counter = "i")
    {
        if (depth == 0 || random.Next(4) == 0)
        {
            return random.Next(7) switch
            {
                0 => (random.Next(1, 20) / 4.0).ToString("0.0#", CultureInfo.InvariantCulture),
                1 or 2 => element,
                3 => "s",
                4 => "t",
                5 => "a",
                _ => "(double)" + counter + " / (1 + x.Length)",
            };
        }

        if (random.Next(2) == 0)
        {
            return string.Format(CultureInfo.InvariantCulture, Unary[random.Next(Unary.Length)], RandomExpression(random, depth - 1, element, counter));
        }

        return string.Format(CultureInfo.InvariantCulture, Binary[random.Next(Binary.Length)], RandomExpression(random, depth - 1, element, counter), RandomExpression(random, depth - 1, element, counter));
    }

    private static double[] FiniteDifference(Func<double[], double> f, double[] x)
    {
        var gradient = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            const double h = 1e-6;
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            gradient[i] = (f(plus) - f(minus)) / (plus[i] - minus[i]);
        }

        return gradient;
    }

    /// <summary>No kink, jump or branch switch within reach: steps of 4e-4 and 1e-6 give the same derivative.</summary>
    private static bool IsSmooth(Func<double[], double> f, double[] x)
    {
        var fine = FiniteDifference(f, x);
        for (int i = 0; i < x.Length; i++)
        {
            const double h = 4e-4;
            var plus = (double[])x.Clone();
            var minus = (double[])x.Clone();
            plus[i] += h;
            minus[i] -= h;
            double coarse = (f(plus) - f(minus)) / (2 * h);
            if (!double.IsFinite(coarse) || Math.Abs(coarse - fine[i]) > 1e-3 * (1 + Math.Abs(fine[i])))
            {
                return false;
            }
        }

        return true;
    }

    private static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        stream.Position = 0;
        return new AssemblyLoadContext("LoopProperty" + Guid.NewGuid(), isCollectible: true).LoadFromStream(stream);
    }
}
