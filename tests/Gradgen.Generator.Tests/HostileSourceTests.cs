using Gradgen.Generator.Tests.Infrastructure;
using Gradgen.Generator.Tests.Mutation;
using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Tests;

/// <summary>
/// Source an IDE or a careless edit hands the generator: models that contain each other, file-local classes, code
/// with tokens missing. The generator never throws, never reports GG0013 (internal error), and whenever it reports
/// no error of its own on code that compiles, its output compiles. (Random mutants of many more: MutationTests.)
/// </summary>
public sealed class HostileSourceTests
{
    private const string Models = MutationCorpus.Models;

    private static void AssertWellBehaved(GeneratorOutput output, string what, bool inputCompiles)
    {
        Assert.DoesNotContain(output.Diagnostics, d => d.Id == "GG0013");
        bool generatorError = output.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        if (inputCompiles && !generatorError)
        {
            Assert.True(output.CompilationProblems.Count == 0, $"{what}: the generated code does not compile:\n{output.Describe()}");
        }
    }

    [Fact]
    public void ModelsHoldingEachOtherAreNotInlinedForever()
    {
        const string source = """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class A : Module
            {
                private readonly Linear l = new(2, 2);
                public B? Other { get; set; }

                public override Tensor Forward(Tensor x) => Other!.Forward(l.Forward(x));
            }

            public sealed partial class B : Module
            {
                private readonly A other = new();

                public override Tensor Forward(Tensor x) => other.Forward(x);
            }

            public sealed partial class Self : Module
            {
                private readonly Self? inner = null;

                public override Tensor Forward(Tensor x) => inner!.Forward(x);
            }
            """;
        var output = GeneratorHarness.Run(source);
        AssertWellBehaved(output, "mutually nested models", inputCompiles: true);
        Assert.Contains(output.Diagnostics, d => d.Id == "GG0016" && d.GetMessage().Contains("contains, through its own fields", StringComparison.Ordinal));
    }

    [Fact]
    public void FileLocalClassesAreLeftAloneWithoutAnException()
    {
        const string source = """
            using System;
            using Gradgen;
            using Gradgen.Nn;

            file static partial class Local
            {
                [Differentiable] public static double F(double x) => Math.Sin(x) * x;
            }

            file sealed partial class LocalNet : Module
            {
                private readonly Linear l = new(2, 3);

                public override Tensor Forward(Tensor x) => Functional.Relu(l.Forward(x));
            }
            """;
        // Generated code cannot extend a file-local class (its partial declarations must share its file): the model
        // is not compiled (GG0016, Call runs Forward), the function gets no generated members, and nothing throws.
        var output = GeneratorHarness.Run(source);
        Assert.All(output.Sources.Keys, name => Assert.DoesNotContain('<', name));
        Assert.Contains(output.Diagnostics, d => d.Id == "GG0016" && d.GetMessage().Contains("file-local", StringComparison.Ordinal));
        AssertWellBehaved(output, "file-local classes", inputCompiles: true);
    }

    [Theory]
    [InlineData("public override Tensor Forward(Tensor x) output.Forward(Functional.Tanh(hidden.Forward(x)));", "=>")]
    [InlineData("public override Tensor Forward(Tensor x) => output.Forward(Functional.Tanh(hidden.Forward(x))", ";")]
    [InlineData("public override Tensor Forward(Tensor x) => output.Forward(Functional.Tanh(hidden.Forward(", "a call")]
    [InlineData("public override Tensor Forward(Tensor x) =>", "the body")]
    [InlineData("public override Tensor Forward(Tensor) => output.Forward(x);", "a parameter name")]
    public void AnIncompleteForwardGivesTheCompilersErrorsAndNoInternalError(string forward, string missing)
    {
        string source = Models.Replace("public override Tensor Forward(Tensor x) => output.Forward(Functional.Tanh(hidden.Forward(x)));", forward, StringComparison.Ordinal);
        Assert.NotEqual(Models, source);
        var output = GeneratorHarness.Run(source);
        AssertWellBehaved(output, "Forward without " + missing, inputCompiles: false);
    }

    [Fact]
    public void ParametersNamedLikeKeywordsAreEscapedInTheGeneratedCode()
    {
        const string source = """
            using System;
            using Gradgen;

            public static partial class Keywords
            {
                [Differentiable] public static double F(double @class, double @int, double dclass) => Math.Sin(@class) * @int + dclass * dclass;
            }

            public static class Use
            {
                public static double G() => Keywords.FWithGradient(1, 2, 3, out var a, out var b, out var c) + a + b + c;
            }
            """;
        var output = GeneratorHarness.Run(source);
        Assert.DoesNotContain(output.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        AssertWellBehaved(output, "keyword parameters", inputCompiles: true);
    }

    [Fact]
    public void TemporariesAreNamedAfterLocalsAndFunctionsButNeverLikeAParameter()
    {
        // Math.Exp(x) is node 2 (after the two parameters), whose temporary would be exp_t2: the parameter's name.
        const string source = """
            using System;
            using Gradgen;

            public static partial class Names
            {
                [Differentiable] public static double F(double x, double exp_t2) => Math.Exp(x) * exp_t2;

                [Differentiable]
                public static double G(double x)
                {
                    double radius = Math.Sqrt(x * x + 1);
                    return radius * Math.Sin(x);
                }
            }
            """;
        var output = GeneratorHarness.Run(source);
        AssertWellBehaved(output, "a parameter named like a temporary", inputCompiles: true);
        string generated = string.Join("\n", output.Sources.Values);
        Assert.Contains("TVec t2 = TSimd.Exp(x);", generated, StringComparison.Ordinal);
        Assert.Matches(@"TVec radius_t\d+ = TSimd\.Sqrt\(", generated);
        Assert.Matches(@"TVec sin_t\d+ = TSimd\.Sin\(x\);", generated);
    }

    [Theory]
    [InlineData("public static double FWithGradient(double x) => x;", "FWithGradient")]
    [InlineData("public static double FBackward(double x) => x;", "FBackward")]
    [InlineData("public const string FCudaSource = \"\";", "FCudaSource")]
    public void AUserMemberNamedLikeAGeneratedOneIsReportedAtTheMember(string member, string name)
    {
        string source = $$"""
            using System;
            using Gradgen;

            public static partial class Clash
            {
                [Differentiable] public static double F(double x) => Math.Sin(x);

                {{member}}
            }
            """;
        var output = AssertCollisionReportedAt(source, name);
        Assert.Empty(output.Sources);
    }

    [Theory]
    [InlineData("protected override void DiscoverMembers() { }", "DiscoverMembers")]
    [InlineData("protected override Tensor? CallCompiled(Tensor input) => null;", "CallCompiled")]
    [InlineData("internal bool GradgenCanCompile() => false;", "GradgenCanCompile")]
    [InlineData("public const string NetGraphCudaSource = \"\";", "NetGraphCudaSource")]
    public void AModelMemberNamedLikeAGeneratedOneIsReportedAtTheMember(string member, string name)
    {
        string source = $$"""
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly Linear hidden = new(2, 3), output = new(3, 1);

                public override Tensor Forward(Tensor x) => output.Forward(Functional.Sigmoid(hidden.Forward(x)));

                {{member}}
            }
            """;
        var output = AssertCollisionReportedAt(source, name);
        Assert.Empty(output.CompilationProblems);
    }

    private static GeneratorOutput AssertCollisionReportedAt(string source, string name)
    {
        var output = GeneratorHarness.Run(source);
        var collision = Assert.Single(output.Diagnostics, d => d.Id == "GG0018");
        Assert.Equal(name, source.Substring(collision.Location.SourceSpan.Start, collision.Location.SourceSpan.Length));
        return output;
    }
}
