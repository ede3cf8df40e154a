namespace Gradgen.CodeFixes.Tests;

/// <summary>The fixes of a [Differentiable] method's declaration: GG0001, GG0002, GG0004 and GG0005.</summary>
public sealed class DeclarationFixTests
{
    [Fact]
    public async Task GG0001_MakesEveryMethodStaticInEveryFile()
    {
        var test = Verify.Test<MakeStaticCodeFix>(
            """
            using Gradgen;

            public partial class A
            {
                [Differentiable] public float {|GG0001:F|}(float x) => x * x;
            }
            """,
            """
            using Gradgen;

            public partial class A
            {
                [Differentiable] public static float F(float x) => x * x;
            }
            """);
        test.TestState.Sources.Add(("B.cs", """
            using Gradgen;

            public partial class B
            {
                [Differentiable]
                internal double {|GG0001:G|}(double x) => x + 1;
            }
            """));
        test.FixedState.Sources.Add(("B.cs", """
            using Gradgen;

            public partial class B
            {
                [Differentiable]
                internal static double G(double x) => x + 1;
            }
            """));
        await test.RunAsync();
    }

    [Fact]
    public async Task GG0002_MakesTheTypePartial() => await Verify.Fix<MakePartialCodeFix>(
        """
        using Gradgen;

        public static class {|GG0002:C|}
        {
            [Differentiable] public static float F(float x) => x * x;
        }
        """,
        """
        using Gradgen;

        public static partial class C
        {
            [Differentiable] public static float F(float x) => x * x;
        }
        """);

    [Fact]
    public async Task GG0002_MakesEveryTypeOnTheWayPartialInOneFix()
    {
        var test = Verify.Test<MakePartialCodeFix>(
            """
            using Gradgen;

            public class {|GG0002:Outer|}
            {
                public class {|GG0002:Middle|}
                {
                    public static class {|GG0002:Inner|}
                    {
                        [Differentiable] public static float F(float x) => x * x;
                    }
                }
            }
            """,
            """
            using Gradgen;

            public partial class Outer
            {
                public partial class Middle
                {
                    public static partial class Inner
                    {
                        [Differentiable] public static float F(float x) => x * x;
                    }
                }
            }
            """);

        // Whichever of the three diagnostics is fixed first, that one fix makes all three types partial.
        test.NumberOfIncrementalIterations = 1;
        test.NumberOfFixAllIterations = 1;
        await test.RunAsync();
    }

    [Fact]
    public async Task GG0004_UsesFloatEverywhere()
    {
        var test = Verify.Test<UniformPrecisionCodeFix>(
            """
            using System;
            using Gradgen;

            public static partial class C
            {
                [Differentiable] public static float F(float x, {|GG0004:double|} y) => x * (float)y;

                [Differentiable] public static {|GG0004:float|} G(double x) => (float)x;
            }
            """,
            """
            using System;
            using Gradgen;

            public static partial class C
            {
                [Differentiable] public static float F(float x, float y) => x * (float)y;

                [Differentiable] public static float G(float x) => (float)x;
            }
            """);
        test.CodeActionEquivalenceKey = "GG0004.float";
        test.CodeActionIndex = 0;
        await test.RunAsync();
    }

    [Fact]
    public async Task GG0004_UsesDoubleEverywhereSpansIncluded()
    {
        var test = Verify.Test<UniformPrecisionCodeFix>(
            """
            using System;
            using Gradgen;

            public static partial class C
            {
                [Differentiable]
                public static {|GG0004:double|} Sum(ReadOnlySpan<float> x, {|GG0004:double|} scale)
                {
                    double s = 0;
                    for (int i = 0; i < x.Length; i++)
                    {
                        s += x[i] * scale;
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
                [Differentiable]
                public static double Sum(ReadOnlySpan<double> x, double scale)
                {
                    double s = 0;
                    for (int i = 0; i < x.Length; i++)
                    {
                        s += x[i] * scale;
                    }

                    return s;
                }
            }
            """);
        test.CodeActionEquivalenceKey = "GG0004.double";
        test.CodeActionIndex = 1;

        // Two diagnostics on one signature: one fix rewrites it.
        test.NumberOfIncrementalIterations = 1;
        test.NumberOfFixAllIterations = 1;
        await test.RunAsync();
    }

    [Fact]
    public async Task GG0005_PassesByValueAndFixesTheCallsInTheFile() => await Verify.Fix<RemoveRefKindCodeFix>(
        """
        using Gradgen;

        public static partial class C
        {
            [Differentiable] public static float F({|GG0005:ref|} float x, {|GG0005:in|} float y) => x * y;

            public static float Use()
            {
                float a = 2, b = 3;
                return F(ref a, in b);
            }
        }
        """,
        """
        using Gradgen;

        public static partial class C
        {
            [Differentiable] public static float F(float x, float y) => x * y;

            public static float Use()
            {
                float a = 2, b = 3;
                return F(a, b);
            }
        }
        """);

    [Fact]
    public async Task GG0005_IsNotOfferedForOut()
    {
        const string source = """
            using Gradgen;

            public static partial class C
            {
                [Differentiable] public static float F(float x, {|GG0005:out|} float y) { y = x; return x; }
            }
            """;
        await Verify.Fix<RemoveRefKindCodeFix>(source, source);
    }
}
