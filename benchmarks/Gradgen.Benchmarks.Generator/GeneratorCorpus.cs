using System.Globalization;
using System.Text;

namespace Gradgen.Benchmarks.Generator;

/// <summary>
/// The user code the generator benchmark compiles: 100 <c>[Differentiable]</c> functions of realistic size (ten
/// shapes, from a one-line activation to a loop over a span, each in ten variants with different constants) in ten
/// files, 20 model classes in four files, and one file of ordinary code that the "unrelated edit" changes.
/// </summary>
internal static class GeneratorCorpus
{
    public const int FunctionFiles = 10;
    public const int FunctionsPerFile = 10;
    public const int ModelFiles = 4;
    public const int ModelsPerFile = 5;

    /// <summary>The ten function shapes; <c>{k}</c> is the variant's constant, <c>{n}</c> its number.</summary>
    private static readonly string[] FunctionShapes =
    [
        "[Differentiable] public static float Bump{n}(float x) => MathF.Sin(x * {k}f) * MathF.Exp(-(x - {k}f) * (x - {k}f) / 3);",
        """
        [Differentiable]
        public static double Gauss{n}(double x, double mu, double sigma)
        {
            double z = (x - mu) / sigma;
            return Math.Exp(-0.5 * z * z) / (sigma * Math.Sqrt(2 * Math.PI)) + {k} * x;
        }
        """,
        "[Differentiable] public static float Softplus{n}(float x, float beta) => MathF.Log(1 + MathF.Exp(beta * x)) / beta + {k}f * x;",
        "[Differentiable] public static double Rosenbrock{n}(double x, double y) => ({k} - x) * ({k} - x) + 100 * (y - x * x) * (y - x * x);",
        """
        [Differentiable]
        public static float Polar{n}(float r, float theta)
        {
            float x = r * MathF.Cos(theta);
            float y = r * MathF.Sin(theta);
            return MathF.Atan2(y, x + {k}f) + MathF.Sqrt(x * x + y * y + 1);
        }
        """,
        "[Differentiable] public static double Huber{n}(double x, double delta) => Math.Abs(x - {k}) < delta ? 0.5 * (x - {k}) * (x - {k}) : delta * (Math.Abs(x - {k}) - 0.5 * delta);",
        "[Differentiable] public static float Logistic{n}(float x, float w, float b) => 1 / (1 + MathF.Exp(-(w * x + b + {k}f)));",
        "[Differentiable] public static double Smooth{n}(double a, double b, double c) => Math.Tanh(a * b) + Math.Log(1 + c * c) * Math.Cos(a + {k});",
        """
        [Differentiable]
        public static double Series{n}(double x)
        {
            double sum = 0;
            double term = 1;
            for (int i = 1; i <= 6; i++)
            {
                term *= x / (i + {k});
                sum += term;
            }

            return sum;
        }
        """,
        """
        [Differentiable]
        public static double LogSumExp{n}(ReadOnlySpan<double> x)
        {
            double max = x[0];
            for (int i = 1; i < x.Length; i++)
            {
                max = Math.Max(max, x[i]);
            }

            double sum = 0;
            for (int i = 0; i < x.Length; i++)
            {
                sum += Math.Exp({k} * (x[i] - max));
            }

            return max + Math.Log(sum) / {k};
        }
        """,
    ];

    /// <summary>Five model shapes; <c>{n}</c> is the class's number, <c>{h}</c> its hidden size.</summary>
    private static readonly string[] ModelShapes =
    [
        """
        public sealed partial class Mlp{n} : Module
        {
            private readonly Linear l1 = new(16, {h}), l2 = new({h}, {h}), l3 = new({h}, 4);

            public override Tensor Forward(Tensor x) => l3.Forward(Functional.Relu(l2.Forward(Functional.Relu(l1.Forward(x)))));
        }
        """,
        """
        public sealed partial class Residual{n} : Module
        {
            private readonly Linear l1 = new(8, {h}), l2 = new({h}, {h}), l3 = new({h}, 4);

            public override Tensor Forward(Tensor x)
            {
                var h = Functional.Relu(l1.Forward(x));
                return l3.Forward(h + Functional.Relu(l2.Forward(h)));
            }
        }
        """,
        """
        public sealed partial class Gated{n} : Module
        {
            private readonly Linear a = new(6, {h}), b = new(6, {h}), output = new({h}, 3);

            public override Tensor Forward(Tensor x) => output.Forward(a.Forward(x) * Functional.Sigmoid(b.Forward(x)));
        }
        """,
        """
        public sealed partial class Normalized{n} : Module
        {
            private readonly Linear l1 = new(10, {h}), l2 = new({h}, 5);
            private readonly LayerNorm norm = new({h});

            public override Tensor Forward(Tensor x) => Functional.LogSoftmax(l2.Forward(Functional.Tanh(norm.Forward(l1.Forward(x)))), -1);
        }
        """,
        """
        public sealed partial class Tanh{n} : Module
        {
            private readonly Linear l1 = new(12, {h}), l2 = new({h}, 2);

            public override Tensor Forward(Tensor x) => l2.Forward(Functional.Tanh(l1.Forward(x)));
        }
        """,
    ];

    /// <summary>File <paramref name="file"/> of the functions; <paramref name="edit"/> changes one constant of its first function.</summary>
    public static string FunctionFile(int file, int edit = 0)
    {
        var source = new StringBuilder("using System;\nusing Gradgen;\n\nnamespace Bench;\n\npublic static partial class Functions" + file + "\n{\n");
        for (int i = 0; i < FunctionsPerFile; i++)
        {
            int n = (file * FunctionsPerFile) + i;
            double k = 1.25 + (0.5 * i) + (i == 0 ? edit * 0.001 : 0);
            source.Append(Indent(FunctionShapes[i]
                .Replace("{n}", n.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{k}", k.ToString("0.0###", CultureInfo.InvariantCulture), StringComparison.Ordinal))).Append("\n\n");
        }

        return source.Append("}\n").ToString();
    }

    /// <summary>File <paramref name="file"/> of the model classes.</summary>
    public static string ModelFile(int file)
    {
        var source = new StringBuilder("using Gradgen;\nusing Gradgen.Nn;\n\nnamespace Bench;\n\n");
        for (int i = 0; i < ModelsPerFile; i++)
        {
            int n = (file * ModelsPerFile) + i;
            source.Append(ModelShapes[i]
                .Replace("{n}", n.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{h}", (16 + (8 * file)).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)).Append("\n\n");
        }

        return source.ToString();
    }

    /// <summary>Ordinary code with no Gradgen in it; <paramref name="edit"/> changes a method body.</summary>
    public static string UnrelatedFile(int edit) =>
        $"namespace Bench;\n\npublic static class Unrelated\n{{\n    public static int Answer() => {edit};\n}}\n";

    private static string Indent(string code) => "    " + code.Replace("\n", "\n    ", StringComparison.Ordinal).Replace("    \n", "\n", StringComparison.Ordinal);
}
