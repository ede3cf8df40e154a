namespace Gradgen.CodeFixes.Tests;

/// <summary>The fixes inside a [Differentiable] body and a model: GG0006, GG0009 and GG0015.</summary>
public sealed class BodyFixTests
{
    [Fact]
    public async Task GG0006_AddsACustomDerivativeStubThatGradgenAccepts()
    {
        var test = Verify.Test<CustomDerivativeStubCodeFix>(
            """
            using System;
            using Gradgen;

            public static partial class C
            {
                public static double Smooth(double v) => v > 30 ? v : Math.Log(1 + Math.Exp(v));

                [Differentiable] public static double F(double x) => {|GG0006:Smooth(x)|} * x;

                [Differentiable] public static double G(double x) => {|GG0006:Smooth(x * x)|};
            }
            """,
            """
            using System;
            using Gradgen;

            public static partial class C
            {
                [Differentiable(Backward = nameof(SmoothVjp))]
                public static double Smooth(double v) => v > 30 ? v : Math.Log(1 + Math.Exp(v));

                /// <summary>The vector-Jacobian product of <see cref="Smooth"/>: Gradgen calls it instead of differentiating the body.</summary>
                private static void SmoothVjp(double v, double gradOutput, ref double dv) =>
                    throw new NotImplementedException("The derivative of Smooth: add the gradients to dv.");

                [Differentiable] public static double F(double x) => Smooth(x) * x;

                [Differentiable] public static double G(double x) => Smooth(x * x);
            }
            """);

        // Both calls name one method: the first fix gives it its derivative, and both diagnostics are gone.
        test.NumberOfIncrementalIterations = 1;
        test.NumberOfFixAllIterations = 1;
        await test.RunAsync();
    }

    [Fact]
    public async Task GG0006_StubForACallInALoopGivesNoGradientToAnInteger() => await Verify.Fix<CustomDerivativeStubCodeFix>(
        """
        using System;
        using Gradgen;

        public static partial class C
        {
            public static float Clip(float v, int k) => v > k ? k : v;

            [Differentiable]
            public static float F(ReadOnlySpan<float> x)
            {
                float s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    s += {|GG0006:Clip(x[i], 3)|};
                }

                return s;
            }
        }
        """,
        """
        using System;
        using Gradgen;

        public static partial class C
        {
            [Differentiable(Backward = nameof(ClipVjp))]
            public static float Clip(float v, int k) => v > k ? k : v;

            /// <summary>The vector-Jacobian product of <see cref="Clip"/>: Gradgen calls it instead of differentiating the body.</summary>
            private static void ClipVjp(float v, int k, float gradOutput, ref float dv) =>
                throw new NotImplementedException("The derivative of Clip: add the gradients to dv.");

            [Differentiable]
            public static float F(ReadOnlySpan<float> x)
            {
                float s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    s += Clip(x[i], 3);
                }

                return s;
            }
        }
        """);

    /// <summary>Helpers Gradgen has no derivative for: a loop, and an integer result.</summary>
    private const string Helpers = """
            private static double Fraction(double v)
            {
                while (v >= 1) v -= 1;
                return v;
            }

            private static int Bucket(float v, int buckets) => Math.Clamp((int)(v * buckets), 0, buckets - 1);
        """;

    [Fact]
    public async Task GG0006_WrapsTheCallInStopGradientWhichGradgenAccepts() => await Verify.Fix<WrapInStopGradientCodeFix>(
        $$"""
        using System;
        using Gradgen;

        public static partial class C
        {
        {{Helpers}}

            [Differentiable] public static double F(double x, double y) => x * y * ({|GG0006:Fraction(x * y)|} + 1);

            [Differentiable]
            public static float G(float x)
            {
                float r = x * x;
                return r * {|GG0006:Bucket(r, 4)|} + x;
            }
        }
        """,
        $$"""
        using System;
        using Gradgen;

        public static partial class C
        {
        {{Helpers}}

            [Differentiable] public static double F(double x, double y) => x * y * (Grad.StopGradient(Fraction(x * y)) + 1);

            [Differentiable]
            public static float G(float x)
            {
                float r = x * x;
                return r * Grad.StopGradient(Bucket(r, 4)) + x;
            }
        }
        """);

    [Fact]
    public async Task GG0006_WrapIsNotOfferedForAGenericMethod()
    {
        const string source = """
            using Gradgen;

            public static partial class C
            {
                private static T Same<T>(T v) => v;

                [Differentiable] public static double F(double x) => x * {|GG0006:Same(x)|};
            }
            """;
        await Verify.Fix<WrapInStopGradientCodeFix>(source, source);
    }

    [Fact]
    public async Task GG0009_WrapsTheCastInStopGradientAndTheWarningGoes() => await Verify.Fix<ExplicitStopGradientCodeFix>(
        """
        using Gradgen;

        public static partial class C
        {
            [Differentiable] public static float F(float x) => x * {|GG0009:(int)x|} + {|GG0009:(long)(x * 2)|};
        }
        """,
        """
        using Gradgen;

        public static partial class C
        {
            [Differentiable] public static float F(float x) => x * Grad.StopGradient((int)x) + Grad.StopGradient((long)(x * 2));
        }
        """);

    [Fact]
    public async Task GG0009_QualifiesStopGradientWithoutAUsing() => await Verify.Fix<ExplicitStopGradientCodeFix>(
        """
        public static partial class C
        {
            [Gradgen.Differentiable] public static double F(double x) => x * {|GG0009:(int)x|};
        }
        """,
        """
        public static partial class C
        {
            [Gradgen.Differentiable] public static double F(double x) => x * Gradgen.Grad.StopGradient((int)x);
        }
        """);

    [Fact]
    public async Task GG0015_ChangesTheSecondLayersInputSize() => await Verify.Fix<LayerInputSizeCodeFix>(
        """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Net : Module
        {
            private readonly Linear hidden = new(2, 3), output = new(4, 1);

            public override Tensor Forward(Tensor x) => {|GG0015:output.Forward(hidden.Forward(x).Relu())|};
        }
        """,
        """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Net : Module
        {
            private readonly Linear hidden = new(2, 3), output = new(3, 1);

            public override Tensor Forward(Tensor x) => output.Forward(hidden.Forward(x).Relu());
        }
        """);

    [Fact]
    public async Task GG0015_ChangesANamedInFeaturesInsideASequential() => await Verify.Fix<LayerInputSizeCodeFix>(
        """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Net : Module
        {
            private readonly Sequential body = new(new Linear(2, 5), new Sigmoid(), {|GG0015:new Linear(outFeatures: 1, inFeatures: 4)|});

            public override Tensor Forward(Tensor x) => body.Forward(x);
        }
        """,
        """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Net : Module
        {
            private readonly Sequential body = new(new Linear(2, 5), new Sigmoid(), new Linear(outFeatures: 1, inFeatures: 5));

            public override Tensor Forward(Tensor x) => body.Forward(x);
        }
        """);
}
