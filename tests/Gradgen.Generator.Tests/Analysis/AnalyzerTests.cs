using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using Gradgen.Generator.Analysis;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace Gradgen.Generator.Tests.Analysis;

/// <summary>
/// The GG diagnostics come from <see cref="GradgenAnalyzer"/>, so the compiler's suppressions apply to them:
/// <c>#pragma warning disable</c> and <c>[SuppressMessage]</c> (checked in a real workspace with the analyzer testing
/// package) and <c>.editorconfig</c> severities (applied as the compiler applies them; the package build in
/// Gradgen.Package.Tests checks them in a real build). The generator reports nothing; a crash is still GG0013.
/// </summary>
public sealed class AnalyzerTests
{
    private const string ZeroGradient = """
        using Gradgen;

        public static partial class C
        {
            [Differentiable] public static float F(float x) => x * {|GG0009:(int)x|};
        }
        """;

    private static readonly string PlainZeroGradient = ZeroGradient.Replace("{|GG0009:(int)x|}", "(int)x", StringComparison.Ordinal);

    private static CSharpAnalyzerTest<GradgenAnalyzer, DefaultVerifier> Test(string source)
    {
        var test = new CSharpAnalyzerTest<GradgenAnalyzer, DefaultVerifier>
        {
            TestCode = source,

            // The .NET 10 reference assemblies and the runtime come from the test's own packages: nothing is downloaded.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(Net100.References.All);
        test.TestState.AdditionalReferences.Add(typeof(DifferentiableAttribute).Assembly);
        return test;
    }

    [Fact]
    public void TheAnalyzerSupportsEveryDescriptorInIdOrder()
    {
        var ids = new GradgenAnalyzer().SupportedDiagnostics.Select(d => d.Id).ToList();
        Assert.Equal(Enumerable.Range(1, 21).Select(i => $"GG{i:D4}"), ids);
        Assert.Equal(Descriptors.All.Select(d => d.Id), ids);
    }

    [Fact]
    public async Task AWarningIsReportedOnceAtItsSpan() => await Test(ZeroGradient).RunAsync();

    [Fact]
    public async Task PragmaWarningDisableSuppressesIt()
    {
        await Test("""
            using Gradgen;

            public static partial class C
            {
            #pragma warning disable GG0009 // the integer part is meant to be constant here
                [Differentiable] public static float F(float x) => x * (int)x;
            #pragma warning restore GG0009
            }
            """).RunAsync();
    }

    [Fact]
    public async Task SuppressMessageSuppressesIt()
    {
        await Test("""
            using System.Diagnostics.CodeAnalysis;
            using Gradgen;

            public static partial class C
            {
                [SuppressMessage("Gradgen", "GG0009:Integer value has zero gradient", Justification = "meant")]
                [Differentiable] public static float F(float x) => x * (int)x;
            }
            """).RunAsync();
    }

    [Fact]
    public void EditorConfigSeverityNoneTurnsItOff()
    {
        var compilation = EditorConfig.Apply(GeneratorHarness.Compile(PlainZeroGradient), "root = true\n\n[*.cs]\ndotnet_diagnostic.GG0009.severity = none\n");
        Assert.Empty(GeneratorHarness.Analyze(compilation));
    }

    [Fact]
    public void EditorConfigSeverityErrorMakesItAnError()
    {
        var compilation = EditorConfig.Apply(GeneratorHarness.Compile(PlainZeroGradient), "root = true\n\n[*.cs]\ndotnet_diagnostic.GG0009.severity = error\n");
        var diagnostic = Assert.Single(GeneratorHarness.Analyze(compilation));
        Assert.Equal("GG0009", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
    }

    [Fact]
    public void EditorConfigSeverityForAnotherIdLeavesItAWarning()
    {
        var compilation = EditorConfig.Apply(GeneratorHarness.Compile(PlainZeroGradient), "root = true\n\n[*.cs]\ndotnet_diagnostic.GG0006.severity = none\n");
        Assert.Equal(DiagnosticSeverity.Warning, Assert.Single(GeneratorHarness.Analyze(compilation)).Severity);
    }

    [Fact]
    public async Task ACallInsideStopGradientIsAcceptedAndTheSameCallOutsideIsGG0006()
    {
        await Test("""
            using System;
            using Gradgen;

            public static partial class C
            {
                private static float Noise(float v, int seed) => (float)new Random(seed).NextDouble() * v;

                [Differentiable] public static float F(float x) => x * Grad.StopGradient(Noise(x * 2, (int)x) + 1);

                [Differentiable] public static float G(float x) => x * {|GG0006:Noise(x, 1)|};
            }
            """).RunAsync();
    }

    [Fact]
    public async Task AnIntegerCastInsideStopGradientDoesNotWarn()
    {
        await Test("""
            using Gradgen;

            public static partial class C
            {
                [Differentiable] public static float F(float x) => x * Grad.StopGradient((int)x) + Grad.StopGradient(((int)x));
            }
            """).RunAsync();
    }

    [Fact]
    public async Task AnErrorIsReportedAtItsSpan()
    {
        await Test("""
            using Gradgen;

            public partial class C
            {
                [Differentiable] public float {|GG0001:F|}(float x) => x;
            }
            """).RunAsync();
    }

    [Fact]
    public void TheGeneratorReportsNothingAndEmitsNothingForAMethodWithErrors()
    {
        // The harness fails if the generator reports a diagnostic; the analyzer reports the error once.
        var output = GeneratorHarness.Run("""
            using Gradgen;

            public static partial class C
            {
                [Differentiable] public static float Bad(float x) => System.Console.Read() * x;
                [Differentiable] public static float Good(float x) => x * x;
            }
            """);
        Assert.Single(output.Diagnostics, d => d.Id == "GG0006");
        Assert.DoesNotContain(output.Sources.Values, s => s.Contains("BadWithGradient", StringComparison.Ordinal));
        Assert.Contains(output.Sources.Values, s => s.Contains("GoodWithGradient", StringComparison.Ordinal));
    }

    [Fact]
    public void GeneratedMembersAreNotCollisions()
    {
        // The analyzer sees the generated files too (as in the compiler): FWithGradient there is no GG0018.
        var output = GeneratorHarness.Run("""
            using Gradgen;

            public static partial class C
            {
                [Differentiable] public static float F(float x) => x * x;
            }

            public sealed partial class Net : Gradgen.Nn.Module
            {
                private readonly Gradgen.Nn.Linear layer = new(2, 1);

                public override Tensor Forward(Tensor x) => layer.Forward(x);
            }
            """);
        Assert.Contains(output.Sources.Values, s => s.Contains("FWithGradient", StringComparison.Ordinal));
        Assert.Empty(output.Diagnostics);
    }

    [Fact]
    public void ACrashOfTheFunctionParserIsGG0013()
    {
        var diagnostics = AnalyzeWithFault("FunctionParserCrashesHere", """
            using Gradgen;

            public static partial class C
            {
                [Differentiable] public static float [|FunctionParserCrashesHere|](float x) => x * x;
            }
            """);
        var crash = Assert.Single(diagnostics.Diagnostics);
        Assert.Equal("GG0013", crash.Id);
        Assert.Equal(diagnostics.Span, crash.Location.SourceSpan);
        Assert.Contains("a fault injected by a test", crash.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ACrashOfTheModelParserIsGG0013()
    {
        var diagnostics = AnalyzeWithFault("ModelParserCrashesHere", """
            using Gradgen;

            public sealed partial class [|ModelParserCrashesHere|] : Gradgen.Nn.Module
            {
                private readonly Gradgen.Nn.Linear layer = new(2, 1);

                public override Tensor Forward(Tensor x) => layer.Forward(x);
            }
            """);
        var crash = Assert.Single(diagnostics.Diagnostics);
        Assert.Equal("GG0013", crash.Id);
        Assert.Equal(diagnostics.Span, crash.Location.SourceSpan);
    }

    [Fact]
    public void TheAnalyzerReusesTheGeneratorsParseOfAnUnchangedDeclaration()
    {
        // As in a build or the IDE, the generator parses first; the analyzer then sees the same syntax trees plus the
        // generated ones, and reads the generator's parse instead of binding the body again. A fault injected into the
        // parser after the generator ran is therefore not met: the diagnostics are the generator's parse's (GG0009).
        const string Source = """
            using Gradgen;

            public static partial class C
            {
                [Differentiable] public static float ParsedOnce(float x) => x * (int)x;
            }
            """;
        var compilation = GeneratorHarness.Compile(Source);
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var withGenerated, out _);
        FaultInjection.FailOn = "ParsedOnce";
        try
        {
            Assert.Equal("GG0009", Assert.Single(GeneratorHarness.Analyze(withGenerated)).Id);

            // A new compilation of the same text has new trees: it is parsed again, and meets the fault.
            Assert.Equal("GG0013", Assert.Single(GeneratorHarness.Analyze(GeneratorHarness.Compile(Source))).Id);
        }
        finally
        {
            FaultInjection.FailOn = null;
        }
    }

    private static (ImmutableArray<Diagnostic> Diagnostics, Microsoft.CodeAnalysis.Text.TextSpan Span) AnalyzeWithFault(string name, string markup)
    {
        var (source, span) = Markup.Parse(markup);
        FaultInjection.FailOn = name;
        try
        {
            return (GeneratorHarness.Analyze(GeneratorHarness.Compile(source)), span);
        }
        finally
        {
            FaultInjection.FailOn = null;
        }
    }
}
