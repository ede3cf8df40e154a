using System.Text.RegularExpressions;
using Gradgen.Generator.Tests.Infrastructure;

namespace Gradgen.Generator.Tests;

/// <summary>The text of the code generated for methods over spans: what a reader of the backward sweep sees.</summary>
public sealed class LoopCodeTests
{
    private const string Source = """
        using System;
        using Gradgen;
        public static partial class Searches
        {
            [Differentiable]
            public static double FirstAbove(ReadOnlySpan<double> x, double t)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    if (x[i] > t) return x[i] * x[i] * t;
                    s += Math.Exp(x[i] * t) * Math.Exp(x[i] * t) + Math.Sin(x[i]);
                }

                return s;
            }
        }
        """;

    [Fact]
    public void ABranchWhoseOtherSideHasNothingToUndoGetsNoEmptyElse()
    {
        string code = Generate();

        Assert.Contains("Pop<bool>()", code);
        Assert.DoesNotMatch(new Regex(@"else\s*\{\s*\}"), code);
    }

    [Fact]
    public void ATemporaryOfTheBackwardSweepIsNamedAfterTheFunctionItHolds()
    {
        string code = Generate();

        // exp(x[i]·t) is used twice in ∂(exp·exp): one local, named after exp.
        Assert.Matches(new Regex(@"double exp_v\d+ = "), code);
    }

    private const string RowSource = """
        using System;
        using Gradgen;
        public static partial class Rows
        {
            [Differentiable]
            public static void Scale(ReadOnlySpan<double> x, double a, Span<double> y)
            {
                for (int i = 0; i < x.Length; i++) y[i] = a * x[i];
            }

            // The output between the inputs, and parameter names that the overload's own names would take.
            [Differentiable]
            public static void Middle(ReadOnlySpan<float> outputLength, Span<float> y, float gradgenOutput, int k)
            {
                for (int i = 0; i < y.Length; i++) y[i] = gradgenOutput * outputLength[(i + k) % outputLength.Length];
            }

            [Differentiable]
            public static void Powers(double x, Span<double> y)
            {
                double p = 1;
                for (int i = 0; i < y.Length; i++) { y[i] = p; p *= x; }
            }

            // A T[] parameter takes rows like a span.
            [Differentiable]
            public static double Total(double[] x, double a)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++) s += a * x[i];
                return s;
            }

            [Differentiable]
            public static void Two(ReadOnlySpan<double> x, Span<double> y, Span<double> z)
            {
                for (int i = 0; i < x.Length; i++) { y[i] = x[i]; z[i] = 2 * x[i]; }
            }

            // Several outputs without a span input; an output named as C# forbids a tuple element (Rest).
            [Differentiable]
            public static void Orbit(double r, double theta, Span<double> position, Span<double> Rest)
            {
                position[0] = r * Math.Cos(theta);
                position[1] = r * Math.Sin(theta);
                Rest[0] = r;
            }
        }
        """;

    // Which void methods get a tensor overload, and its signature: one Span output gives
    // Tensor F(inputs…, int? outputLength = null), no span input makes the length required; several outputs give a
    // tuple and a length per output.
    [Fact]
    public void AVoidMethodWithOneOutputGetsATensorOverloadWithAnOptionalOutputLength()
    {
        string code = Generate(RowSource);

        Assert.Contains("static global::Gradgen.Tensor Scale(global::Gradgen.Tensor x, global::Gradgen.Tensor a, int? outputLength = null)", code);
        Assert.Contains("ScaleAccumulateGradient(xData.Slice(", code);
    }

    [Fact]
    public void TheOutputLeavesTheParameterListWhereverItStoodAndTheLengthTakesAFreeName()
    {
        string code = Generate(RowSource);

        Assert.Contains("static global::Gradgen.Tensor Middle(global::Gradgen.Tensor outputLength, global::Gradgen.Tensor gradgenOutput, int k, int? outputLength2 = null)", code);
        Assert.Contains("static global::Gradgen.Tensor Middle(global::Gradgen.Tensor outputLength, global::Gradgen.Tensor gradgenOutput, global::Gradgen.Tensor k, int? outputLength2 = null)", code);
        Assert.Contains("global::Gradgen.DType.Float32", code);
    }

    [Fact]
    public void WithoutASpanInputTheOutputLengthIsRequired()
    {
        Assert.Contains("static global::Gradgen.Tensor Powers(global::Gradgen.Tensor x, int outputLength)", Generate(RowSource));
    }

    // The method itself takes each row copied into one array per chunk; its gradient takes the row as a span.
    [Fact]
    public void AnArrayParameterTakesRowsCopiedIntoAnArrayForTheMethodAndAsSpansForItsGradient()
    {
        string code = Generate(RowSource);

        Assert.Contains("static global::Gradgen.Tensor Total(global::Gradgen.Tensor x, global::Gradgen.Tensor a)", code);
        Assert.Contains("var xRow = new double[xLength];", code);
        Assert.Contains("values[gradgenRow] = Total(xRow, aData[gradgenRow]);", code);
        Assert.Contains("values[gradgenRow] = TotalAccumulateGradient(xData.Slice(gradgenRow * xLength, xLength), aData[gradgenRow], 1d,", code);
    }

    // One ApplyRowwise call: the forward passes a row of every output, the backward a row of every output's gradient.
    [Fact]
    public void AMethodWithTwoOutputsGetsATupleOfTensorsAndALengthPerOutput()
    {
        string code = Generate(RowSource);

        Assert.Contains("static void TwoBackward(", code);
        Assert.Contains("static (global::Gradgen.Tensor y, global::Gradgen.Tensor z) Two(global::Gradgen.Tensor x, int? yLength = null, int? zLength = null)", code);
        Assert.Contains("[new global::Gradgen.RowOutput(\"y\", yLength), new global::Gradgen.RowOutput(\"z\", zLength)]", code);
        Assert.Contains("Two(xData.Slice(gradgenRow * xLength, xLength), yRows.Slice(gradgenRow * yRowLength, yRowLength), zRows.Slice(gradgenRow * zRowLength, zRowLength));", code);
        Assert.Contains("TwoAccumulateGradient(xData.Slice(gradgenRow * xLength, xLength), dyRows.Slice(gradgenRow * yRowLength, yRowLength), dzRows.Slice(gradgenRow * zRowLength, zRowLength), dxData.Slice(", code);
    }

    [Fact]
    public void WithoutASpanInputEveryOutputsLengthIsRequiredAndAForbiddenElementNameLeavesTheTupleUnnamed()
    {
        Assert.Contains("static (global::Gradgen.Tensor, global::Gradgen.Tensor) Orbit(global::Gradgen.Tensor r, global::Gradgen.Tensor theta, int positionLength, int RestLength)", Generate(RowSource));
    }

    private const string KeptSource = """
        using System;
        using Gradgen;
        public static partial class Kept
        {
            private static double Step(double v) => Math.Round(v);

            [Differentiable]
            public static void Held(ReadOnlySpan<double> x, Span<double> y)
            {
                for (int i = 0; i < x.Length; i++) y[i] = x[i] * Grad.StopGradient(Step(x[i]));
            }
        }
        """;

    // A void method whose rows call a method inside Grad.StopGradient: the tensor overload's forward runs the generated
    // forward sweep, which keeps each call's value, and its backward replays them row by row; a method without such a
    // call keeps calling itself (RowSource's Scale).
    [Fact]
    public void AWrappedCallGoesThroughTheKeptValuesAndTheTensorForwardRunsTheForwardSweep()
    {
        string code = Generate(KeptSource);

        Assert.Contains("global::Gradgen.Kernels.StopGradientValues.Replaying ? global::Gradgen.Kernels.StopGradientValues.NextDouble() : global::Gradgen.Kernels.StopGradientValues.Keep((double)global::Kept.Step(", code);
        Assert.Contains("public static void HeldForwardSweep(global::System.ReadOnlySpan<double> x, global::System.Span<double> y)", code);
        Assert.Contains("if (global::Gradgen.Kernels.StopGradientValues.BeginRow(gradgenRow))", code);
        Assert.Contains("global::Gradgen.Kernels.StopGradientValues.BeginRow(gradgenRow);\n", code.Replace("\r\n", "\n"));
        Assert.DoesNotContain("ScaleForwardSweep", Generate(RowSource));
        Assert.DoesNotContain("BeginRow", Generate(RowSource));
    }

    private static string Generate(string source = Source)
    {
        var output = GeneratorHarness.Run(source);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
        return string.Join("\n", output.Sources.Values);
    }
}
