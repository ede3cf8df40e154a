namespace Gradgen.Generator.Tests.Mutation;

/// <summary>Valid sources the mutation runs start from: functions, models of each strategy, and the constructs that once broke the generator.</summary>
internal static class MutationCorpus
{
    public const string Models = """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Net : Module
        {
            private readonly Linear hidden = new(3, 8), output = new(8, 2);

            public override Tensor Forward(Tensor x) => output.Forward(Functional.Tanh(hidden.Forward(x)));
        }

        public sealed partial class Graph : Module
        {
            private readonly Linear a = new(4, 4);

            public override Tensor Forward(Tensor x)
            {
                var h = a.Forward(x);
                return h * Functional.Sigmoid(h) + x;
            }
        }
        """;

    public const string Functions = """
        using System;
        using Gradgen;

        public static partial class Maths
        {
            [Differentiable] public static double F(double x, double y) => Math.Sin(x * y) + Math.Exp(-x) / (1 + y * y);

            [Differentiable] public static float G(float a, float b)
            {
                var t = MathF.Tanh(a) * b;
                for (int i = 0; i < 3; i++) t = t * 0.5f + a;
                return t > 0 ? t : a * 0.5f;
            }
        }
        """;

    public const string Nested = """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Inner : Module
        {
            private readonly Linear l = new(2, 2);

            public override Tensor Forward(Tensor x) => Functional.Relu(l.Forward(x));
        }

        public sealed partial class Outer : Module
        {
            private readonly Inner inner = new();
            private readonly Sequential head = new(new Linear(2, 3), new Tanh(), new Linear(3, 1));

            public override Tensor Forward(Tensor x) => head.Forward(inner.Forward(x));
        }
        """;

    public const string Keywords = """
        using System;
        using Gradgen;

        public static partial class Keywords
        {
            [Differentiable] public static double K(double @class, double @int) => Math.Atan(@class) * @int;
        }
        """;

    public static readonly string[] All = [Models, Functions, Nested, Keywords];

    /// <summary>Sources whose sizes would make the generator's work explode if it were not bounded: each is a case of its own.</summary>
    public static readonly string[] Pathological =
    [
        """
        using Gradgen;
        using Gradgen.Nn;
        public sealed partial class Ping : Module
        {
            private readonly Linear l = new(2, 2);
            private readonly Pong other = new();
            public override Tensor Forward(Tensor x) => other.Forward(l.Forward(x));
        }

        public sealed partial class Pong : Module
        {
            private readonly Ping other = new();
            public override Tensor Forward(Tensor x) => other.Forward(x);
        }
        """,
        """
        using Gradgen;
        public static partial class Loops
        {
            [Differentiable] public static double L(double x)
            {
                double s = 0;
                for (int i = 0; i < 1000; i++) for (int j = 0; j < 1000; j++) for (int k = 0; k < 1000; k++) s += x * 0.5;
                return s;
            }
        }
        """,
        """
        using Gradgen;
        public static partial class Chain
        {
            [Differentiable] public static double A(double x) => B(x) * B(x) + B(x);
            [Differentiable] public static double B(double x) => C(x) * C(x) + C(x);
            [Differentiable] public static double C(double x) => D(x) * D(x) + D(x);
            [Differentiable] public static double D(double x) => E(x) * E(x) + E(x);
            [Differentiable] public static double E(double x) => G(x) * G(x) + G(x);
            [Differentiable] public static double G(double x) => H(x) * H(x) + H(x);
            [Differentiable] public static double H(double x) => I(x) * I(x) + I(x);
            [Differentiable] public static double I(double x) => J(x) * J(x) + J(x);
            [Differentiable] public static double J(double x) => K(x) * K(x) + K(x);
            [Differentiable] public static double K(double x) => System.Math.Sin(x) * System.Math.Cos(x) + x;
        }
        """,
        """
        using Gradgen;
        using Gradgen.Nn;
        public sealed partial class Huge : Module
        {
            private readonly Linear a = new(1000000, 1000000), b = new(1000000, 3);
            public override Tensor Forward(Tensor x) => b.Forward(Functional.Relu(a.Forward(x)));
        }
        """,
        """
        using Gradgen;
        using Gradgen.Nn;
        public sealed partial class Deep : Module
        {
            private readonly Sequential body = new(
        """ + string.Join(",\n", Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? "new Linear(8, 8)" : "new Tanh()")) + """
            );
            public override Tensor Forward(Tensor x)
            {
                var h = body.Forward(x);
        """ + string.Concat(Enumerable.Range(0, 100).Select(_ => "        h = h * Functional.Sigmoid(h) + h;\n")) + """
                return h;
            }
        }
        """,
    ];
}
