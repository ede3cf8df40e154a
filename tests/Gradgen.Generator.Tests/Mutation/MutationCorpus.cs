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
}
