using Gradgen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Tests;

/// <summary>
/// Every GG diagnostic: reported with its ID at the exact span of the offending code (marked [|…|]), while the valid
/// function next to it in the same file still generates.
/// </summary>
public sealed partial class DiagnosticsTests
{
    private const string Valid = """

        public static partial class Fine
        {
            [Differentiable] public static float Ok(float x) => x * x;
        }
        """;

    private static void AssertDiagnostic(string id, string markup, DiagnosticSeverity severity = DiagnosticSeverity.Error, string? messageContains = null)
    {
        var (source, span) = Markup.Parse("using System;\nusing Gradgen;\n" + markup + Valid);
        var output = GeneratorHarness.Run(source);

        var diagnostic = Assert.Single(output.Diagnostics, d => d.Id == id);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Equal($"https://github.com/gradgen/gradgen/blob/main/docs/diagnostics/{id}.md", diagnostic.Descriptor.HelpLinkUri);
        if (messageContains is not null)
        {
            Assert.Contains(messageContains, diagnostic.GetMessage(), StringComparison.Ordinal);
        }

        Assert.Contains(output.Sources, s => s.Value.Contains("OkWithGradient", StringComparison.Ordinal));
        Assert.DoesNotContain(output.Compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void GG0001_MethodNotStatic() => AssertDiagnostic("GG0001", """
        public partial class C { [Differentiable] public float [|F|](float x) => x; }
        """, messageContains: "'F'");

    [Fact]
    public void GG0002_ContainingTypeNotPartial() => AssertDiagnostic("GG0002", """
        public static class [|C|] { [Differentiable] public static float F(float x) => x; }
        """, messageContains: "'C'");

    [Fact]
    public void GG0002_EnclosingTypeNotPartial() => AssertDiagnostic("GG0002", """
        public class [|Outer|] { public static partial class Inner { [Differentiable] public static float F(float x) => x; } }
        """, messageContains: "'Outer'");

    [Fact]
    public void GG0003_UnsupportedParameterType() => AssertDiagnostic("GG0003", """
        public static partial class C { [Differentiable] public static float F(float x, [|string|] n) => x; }
        """, messageContains: "'string'");

    [Fact]
    public void GG0003_UnsupportedReturnType() => AssertDiagnostic("GG0003", """
        public static partial class C { [Differentiable] public static [|decimal|] F(float x) => (decimal)x; }
        """, messageContains: "'decimal'");

    [Fact]
    public void GG0003_VoidWithoutAnOutput() => AssertDiagnostic("GG0003", """
        public static partial class C { [Differentiable] public static [|void|] F(ReadOnlySpan<float> x) { } }
        """, messageContains: "no Span<T> output");

    [Fact]
    public void GG0007_ForEachOverSomethingElseThanASpan() => AssertDiagnostic("GG0007", """
        public static partial class C
        {
            [Differentiable]
            public static double F(ReadOnlySpan<double> x)
            {
                double s = 0;
                foreach (var v in [|new[] { 1.0, 2.0 }|]) s += v * x[0];
                return s;
            }
        }
        """, messageContains: "foreach over one of the method's spans or local arrays");

    [Fact]
    public void GG0007_LocalArrayInsideALoop() => AssertDiagnostic("GG0007", """
        public static partial class C
        {
            [Differentiable]
            public static double F(ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++) { Span<double> [|t = stackalloc double[2]|]; t[0] = x[i]; s += t[0]; }
                return s;
            }
        }
        """, messageContains: "inside a loop");

    [Fact]
    public void GG0007_IndexComputedFromAFloatingPointValue() => AssertDiagnostic("GG0007", """
        public static partial class C
        {
            [Differentiable]
            public static double F(ReadOnlySpan<double> x) => x[(int)[|x[0]|]];
        }
        """, messageContains: "An index computed from");

    [Fact]
    public void GG0006_UnknownCallInALoop() => AssertDiagnostic("GG0006", """
        public static partial class C
        {
            static double Helper(double v) => v;

            [Differentiable]
            public static double F(ReadOnlySpan<double> x)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++) { s += [|Helper(x[i])|]; }
                return s;
            }
        }
        """, messageContains: "Helper");

    [Fact]
    public void GG0019_WriteToAnInputArray() => AssertDiagnostic("GG0019", """
        public static partial class C
        {
            [Differentiable]
            public static double F(double[] x)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++) { [|x[i]|] *= 2; s += x[i]; }
                return s;
            }
        }
        """, messageContains: "Writing the input 'x'");

    [Fact]
    public void GG0019_SpanLocalAliasingAnOutput() => AssertDiagnostic("GG0019", """
        public static partial class C
        {
            [Differentiable]
            public static void F(ReadOnlySpan<double> x, Span<double> y)
            {
                Span<double> [|view = y|];
                for (int i = 0; i < x.Length; i++) { view[i] = x[i]; }
            }
        }
        """, messageContains: "'view'");

    [Fact]
    public void GG0020_OutputReadBeforeItIsWritten() => AssertDiagnostic("GG0020", """
        public static partial class C
        {
            [Differentiable]
            public static void F(ReadOnlySpan<double> x, Span<double> y)
            {
                for (int i = 0; i < x.Length; i++) { y[i] = [|y[i]|] + x[i]; }
            }
        }
        """, messageContains: "output 'y'");

    [Fact]
    public void GG0021_CustomDerivativeWithTheWrongSignature() => AssertDiagnostic("GG0021", """
        public static partial class C
        {
            [Differentiable([|Backward = nameof(SquareVjp)|])]
            public static double Square(ReadOnlySpan<double> x, int k) => x[k] * x[k];

            public static void SquareVjp(ReadOnlySpan<double> x, int k, double gradOutput, double[] dx) { }
        }
        """, messageContains: "static void SquareVjp(System.ReadOnlySpan<double>, int, double, System.Span<double>)");

    [Fact]
    public void GG0004_MixedFloatAndDouble() => AssertDiagnostic("GG0004", """
        public static partial class C { [Differentiable] public static float F(float x, [|double|] y) => x; }
        """, messageContains: "'double'");

    [Fact]
    public void GG0005_RefParameter() => AssertDiagnostic("GG0005", """
        public static partial class C { [Differentiable] public static float F([|ref|] float x) => x; }
        """, messageContains: "'x'");

    [Fact]
    public void GG0005_OutParameter() => AssertDiagnostic("GG0005", """
        public static partial class C { [Differentiable] public static float F(float x, [|out|] float y) { y = 0; return x; } }
        """);

    [Fact]
    public void GG0006_UnknownCall() => AssertDiagnostic("GG0006", """
        public static partial class C { [Differentiable] public static float F(float x) => x * [|Console.Read()|]; }
        """, messageContains: "Console.Read");

    [Fact]
    public void GG0006_UserMethodWithoutAttribute() => AssertDiagnostic("GG0006", """
        public static partial class C
        {
            static float Helper(float x) => x;
            [Differentiable] public static float F(float x) => [|Helper(x)|] + 1;
        }
        """, messageContains: "C.Helper");

    [Fact]
    public void GG0007_WhileLoop() => AssertDiagnostic("GG0007", """
        public static partial class C { [Differentiable] public static float F(float x) { [|while|] (x > 1) { x = x / 2; } return x; } }
        """, messageContains: "while loop");

    [Fact]
    public void GG0007_Goto() => AssertDiagnostic("GG0007", """
        public static partial class C { [Differentiable] public static float F(float x) { [|goto|] end; end: return x; } }
        """);

    [Fact]
    public void GG0007_Lambda() => AssertDiagnostic("GG0007", """
        public static partial class C { [Differentiable] public static float F(float x) { Func<float, float> f = [|y => y|]; return x; } }
        """, messageContains: "lambda");

    [Fact]
    public void GG0007_AssignmentToField() => AssertDiagnostic("GG0007", """
        public static partial class C
        {
            static float state;
            [Differentiable] public static float F(float x) { [|state|] = x; return x; }
        }
        """, messageContains: "field 'state'");

    [Fact]
    public void GG0007_ReadOfNonConstantField() => AssertDiagnostic("GG0007", """
        public static partial class C
        {
            static readonly float Scale = 2;
            [Differentiable] public static float F(float x) => x * [|Scale|];
        }
        """, messageContains: "field 'Scale'");

    [Fact]
    public void GG0008_Recursion() => AssertDiagnostic("GG0008", """
        public static partial class C { [Differentiable] public static float F(float x) => x < 1 ? x : [|F(x / 2)|]; }
        """, messageContains: "'F'");

    // Span functions call each other's generated members, so a cycle would recurse at run time; it is refused as a
    // direct call to itself is, at each function's call into the cycle, and the functions outside it still generate.
    [Fact]
    public void GG0008_SpanFunctionsThatCallEachOther()
    {
        var output = GeneratorHarness.Run("using System;\nusing Gradgen;\n" + """
            public static partial class C
            {
                [Differentiable] public static double Ping(ReadOnlySpan<double> x, int n) => n <= 0 ? x[0] : Pong(x, n - 1);
                [Differentiable] public static double Pong(ReadOnlySpan<double> x, int n) => Ping(x, n - 1) * 2;
                [Differentiable] public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) { double s = 0; for (int i = 0; i < a.Length; i++) s += a[i] * b[i]; return s; }
                [Differentiable] public static double Energy(ReadOnlySpan<double> x) => Dot(x, x) / 2;
                [Differentiable] public static double Outer(ReadOnlySpan<double> x) => 3 * Ping(x, 4);
            }
            """ + Valid);
        Assert.DoesNotContain(output.Compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
        Assert.Contains(output.Diagnostics, d => d.Id == "GG0011" && d.GetMessage().Contains("Outer", StringComparison.Ordinal));

        var recursion = output.Diagnostics.Where(d => d.Id == "GG0008").ToList();
        Assert.Equal(2, recursion.Count);
        Assert.Equal(["Ping(x, n - 1)", "Pong(x, n - 1)"], recursion.Select(d => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)).Order());
        Assert.Contains(recursion, d => d.GetMessage().Contains("'Ping' calls itself through 'Pong'", StringComparison.Ordinal));
        Assert.Contains(recursion, d => d.GetMessage().Contains("'Pong' calls itself through 'Ping'", StringComparison.Ordinal));
        Assert.Contains(output.Sources, s => s.Value.Contains("EnergyWithGradient", StringComparison.Ordinal));
        Assert.DoesNotContain(output.Sources, s => s.Value.Contains("PingWithGradient", StringComparison.Ordinal));
    }

    [Fact]
    public void GG0009_IntegerSubexpressionHasZeroGradient() => AssertDiagnostic("GG0009", """
        public static partial class C { [Differentiable] public static float F(float x) => x * [|(int)x|]; }
        """, DiagnosticSeverity.Warning, messageContains: "(int)x");

    [Fact]
    public void GG0010_LoopBoundDependsOnParameter() => AssertDiagnostic("GG0010", """
        public static partial class C { [Differentiable] public static float F(float x) { float s = 0; for (int i = 0; [|i < x|]; i++) { s += x; } return s; } }
        """, messageContains: "i < x");

    [Fact]
    public void GG0010_TooManyIterations() => AssertDiagnostic("GG0010", """
        public static partial class C { [Differentiable] public static float F(float x) { float s = 0; [|for|] (int i = 0; i < 100000; i++) { s += x; } return s; } }
        """, messageContains: "1024");

    [Fact]
    public void GG0011_CalleeCannotBeDifferentiated() => AssertDiagnostic("GG0011", """
        public static partial class C
        {
            [Differentiable] public static float G(float x) { [|while|] (x > 1) { x = x / 2; } return x; }
            [Differentiable] public static float F(float x) => G(x) * 2;
        }
        """.Replace("[|while|]", "while").Replace("G(x) * 2", "[|G(x)|] * 2"), messageContains: "'G'");

    [Fact]
    public void GG0012_GenericMethod() => AssertDiagnostic("GG0012", """
        public static partial class C { [Differentiable] public static float F[|<T>|](float x) => x; }
        """);

    [Fact]
    public void GG0014_OverloadedMethod() => AssertDiagnostic("GG0014", """
        public static partial class C
        {
            [Differentiable] public static float F(float x) => x;
            [Differentiable] public static double [|F|](double x) => x;
        }
        """, messageContains: "'F'");

    [Fact]
    public void GG0015_LayerSizesDoNotMatch() => AssertDiagnostic("GG0015", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear hidden = new(2, 3), output = new(4, 1);
            public override Tensor Forward(Tensor x) => [|output.Forward(hidden.Forward(x).Relu())|];
        }
        """, messageContains: "'output' takes 4 input features, but 'hidden' gives it 3");

    [Fact]
    public void GG0015_LayerSizesDoNotMatchInsideASequential() => AssertDiagnostic("GG0015", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Sequential body = new(new Gradgen.Nn.Linear(2, 3), new Gradgen.Nn.Sigmoid(), [|new Gradgen.Nn.Linear(4, 1)|]);
            public override Tensor Forward(Tensor x) => body.Forward(x);
        }
        """, messageContains: "'body[2]' takes 4 input features, but 'body[0]' gives it 3");

    [Fact]
    public void GG0016_ASequentialElementNotCreatedInPlace() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            static readonly Gradgen.Nn.Linear Shared = new(2, 2);
            readonly Gradgen.Nn.Sequential body = new(new Gradgen.Nn.Linear(2, 2), [|Shared|]);
            public override Tensor Forward(Tensor x) => body.Forward(x);
        }
        """, DiagnosticSeverity.Info, messageContains: "element 1 of the Sequential 'body' is not a module created in place");

    [Fact]
    public void GG0016_ANestedModelThatIsNotCompiledIsNotInlined() => AssertDiagnostic("GG0016", """
        public sealed class Inner : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            public override Tensor Forward(Tensor x) => layer.Forward(x);
        }

        public sealed partial class Outer : Gradgen.Nn.Module
        {
            readonly Inner inner = new();
            readonly Gradgen.Nn.Linear head = new(2, 1);
            public override Tensor Forward(Tensor x) => head.Forward([|inner.Forward(x)|]);
        }
        """, DiagnosticSeverity.Info, messageContains: "the model in 'inner' (Inner) is not a partial class that the generator compiles");

    [Fact]
    public void GG0016_ModelNotCompiledIsInformation() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 3);
            public override Tensor Forward(Tensor x)
            {
                var h = layer.Forward(x);
                [|if (h.Sum().Item<float>() > 0) h = h * 2;|]
                return h;
            }
        }
        """, DiagnosticSeverity.Info, messageContains: "is not a local, an assignment to a local or to the input, a loop of constant count or a return (branches are not static); Call runs Forward eagerly");

    [Fact]
    public void GG0016_AFunctionThatCallsACSharpMethodInsideStopGradientIsNotFused() => AssertDiagnostic("GG0016", """
        public static partial class Held
        {
            private static float Step(float v) { while (v >= 1) v -= 1; return v; }

            [Differentiable] public static float Scaled(float x) => x * Grad.StopGradient(Step(x) + 1);
        }

        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            public override Tensor Forward(Tensor x) => [|Held.Scaled(layer.Forward(x))|];
        }
        """, DiagnosticSeverity.Info, messageContains: "the [Differentiable] function Scaled runs as plain C# on the CPU (it takes an integer, has a custom derivative or calls a method inside Grad.StopGradient), so it cannot be fused into a kernel");

    [Fact]
    public void GG0016_AStopGradientCalledWithoutItsClassNameIsRecognisedToo() => AssertDiagnostic("GG0016", """
        using static Gradgen.Grad;

        public static partial class Held
        {
            private static float Step(float v) { while (v >= 1) v -= 1; return v; }

            [Differentiable] public static float Scaled(float x) => x * StopGradient(Step(x) + 1);
        }

        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            public override Tensor Forward(Tensor x) => [|Held.Scaled(layer.Forward(x))|];
        }
        """, DiagnosticSeverity.Info, messageContains: "the [Differentiable] function Scaled runs as plain C# on the CPU");

    [Fact]
    public void GG0016_NamesALoopOverLayers() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear[] layers = { new(2, 2), new(2, 2) };
            public override Tensor Forward(Tensor x)
            {
                foreach (var layer in [|layers|]) x = layer.Forward(x);
                return x;
            }
        }
        """, DiagnosticSeverity.Info, messageContains: "the loop 'foreach (var layer in layers)' is not over a ModuleList or Sequential field of the model, so its count is not visible; an array's modules are not even registered");

    [Fact]
    public void GG0016_NamesALoopWhoseBoundIsNotConstant() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            int steps = 3;
            public override Tensor Forward(Tensor x)
            {
                for (int i = 0; i < [|steps|]; i++) x = layer.Forward(x);
                return x;
            }
        }
        """, DiagnosticSeverity.Info, messageContains: "the loop's bound 'steps' is not a constant integer, so its count is not static");

    [Fact]
    public void GG0016_NamesALoopThatChangesItsVariable() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            public override Tensor Forward(Tensor x)
            {
                for (int i = 0; i < 4; i++)
                {
                    x = layer.Forward(x);
                    [|i++|];
                }

                return x;
            }
        }
        """, DiagnosticSeverity.Info, messageContains: "'i++' changes the loop variable 'i', so the loop's count is not constant");

    [Fact]
    public void GG0016_NamesALoopLongerThanTheCompilerUnrolls() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            public override Tensor Forward(Tensor x)
            {
                [|for|] (int i = 0; i < 1000; i++) x = x + 0.001f * layer.Forward(x);
                return x;
            }
        }
        """, DiagnosticSeverity.Info, messageContains: "runs more than 256 times, more than the compiler unrolls");

    [Fact]
    public void GG0016_NamesAModuleListFilledByAdd() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.ModuleList<Gradgen.Nn.Linear> layers = new();
            public Net()
            {
                for (int i = 0; i < 3; i++) [|layers.Add(new Gradgen.Nn.Linear(2, 2))|];
            }

            public override Tensor Forward(Tensor x)
            {
                foreach (var layer in layers) x = layer.Forward(x);
                return x;
            }
        }
        """, DiagnosticSeverity.Info, messageContains: "the ModuleList 'layers' is filled by 'layers.Add(new Gradgen.Nn.Linear(2, 2))'");

    [Fact]
    public void GG0016_NamesAModuleListIndexOutsideTheList() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.ModuleList<Gradgen.Nn.Linear> layers = new(new Gradgen.Nn.Linear(2, 2), new Gradgen.Nn.Linear(2, 2));
            public override Tensor Forward(Tensor x)
            {
                for (int i = 0; i <= layers.Count; i++) x = [|layers[i]|].Forward(x);
                return x;
            }
        }
        """, DiagnosticSeverity.Info, messageContains: "'layers[i]' reads element 2 of the ModuleList 'layers', which holds 2");

    [Fact]
    public void GG0016_NamesAWhereWhoseConditionIsNotAComparison() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            public override Tensor Forward(Tensor x)
            {
                return Tensor.Where([|x.Abs()|], layer.Forward(x), x);
            }
        }
        """, DiagnosticSeverity.Info, messageContains: "the condition 'x.Abs()' is not a comparison of tensors and numbers");

    [Fact]
    public void GG0016_NamesAComparisonOutsideWhere() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            public override Tensor Forward(Tensor x)
            {
                var mask = x [|>|] 0;
                return Tensor.Where(mask, layer.Forward(x), x);
            }
        }
        """, DiagnosticSeverity.Info, messageContains: "the comparison 'x > 0' is compiled only as the condition of Tensor.Where");

    [Fact]
    public void GG0016_NamesACallIntoOtherCode() => AssertDiagnostic("GG0016", """
        static class Helpers
        {
            public static Tensor Twice(Tensor t) => t * 2;
        }

        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            public override Tensor Forward(Tensor x) => layer.Forward([|Helpers.Twice(x)|]);
        }
        """, DiagnosticSeverity.Info, messageContains: "calls Helpers.Twice, which is neither a layer, a tensor operation, a [Differentiable] function nor a helper of the model");

    [Fact]
    public void GG0016_AHelperOfTheModelThatDoesNotCompileIsReportedAtItsCall() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            Tensor Block(Tensor h)
            {
                if (h.Sum().Item<float>() > 0) h = h * 2;
                return h;
            }

            public override Tensor Forward(Tensor x) => layer.Forward([|Block(x)|]);
        }
        """, DiagnosticSeverity.Info, messageContains: "the helper Block is not compiled: the statement 'if (h.Sum().Item<float>() > 0)");

    [Fact]
    public void GG0016_AHelperThatCallsItselfIsNotInlined() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(2, 2);
            Tensor Again(Tensor h) => Again(layer.Forward(h));
            public override Tensor Forward(Tensor x) => [|Again(x)|];
        }
        """, DiagnosticSeverity.Info, messageContains: "the helper Again is not compiled: 'Again(layer.Forward(h))' calls Again, which calls itself (recursion is not static)");

    [Fact]
    public void GG0016_AParameterWhoseShapeTheCodeDoesNotShow() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Parameter weight;
            public Net(Tensor initial) => weight = new Gradgen.Nn.Parameter(initial);
            public override Tensor Forward(Tensor x) => x.MatMul([|weight|]);
        }
        """, DiagnosticSeverity.Info, messageContains: "the Parameter 'weight' is not created once, in place, from a tensor whose rank the code shows");

    [Fact]
    public void GG0017_AParameterWhoseConstantShapeCannotFitTheGraph() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear input = new(3, 5);
            readonly Gradgen.Nn.Parameter weight = new(Tensor.Randn(6, 2));
            public override Tensor Forward(Tensor x) => [|input.Forward(x).MatMul(weight)|];
        }
        """, DiagnosticSeverity.Error, messageContains: "[6, 2]");

    [Fact]
    public void AModelWhoseForwardCallsHelpersOfItsOwnClassCompilesWithoutDiagnostics()
    {
        var output = GeneratorHarness.Run("""
            using Gradgen;
            public sealed partial class Net : Gradgen.Nn.Module
            {
                readonly Gradgen.Nn.Linear a = new(3, 4), b = new(4, 4);
                Tensor Block(Tensor h) => h + b.Forward(Gradgen.Nn.Functional.Relu(h));
                static Tensor Half(Tensor t, float factor = 0.5f) => t * factor;
                public override Tensor Forward(Tensor x) => Half(Block(Block(a.Forward(x))));
            }
            """);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
        Assert.Contains(output.Sources, s => s.Value.Contains("\"NetBackward\"", StringComparison.Ordinal));
    }

    [Fact]
    public void GG0016_NamesAShapeThatIsNotConstant() => AssertDiagnostic("GG0016", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear layer = new(4, 4);
            int rows = 2;
            public override Tensor Forward(Tensor x) => layer.Forward(x).Reshape([|rows|], -1);
        }
        """, DiagnosticSeverity.Info, messageContains: "'rows' is not a constant int");

    [Fact]
    public void GG0017_AResidualAddOfTwoWidthsShowsBothShapes() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 8), b = new(4, 6);
            public override Tensor Forward(Tensor x) => [|a.Forward(x) + b.Forward(x)|];
        }
        """, DiagnosticSeverity.Error, messageContains: "In model 'Net', 'a.Forward(x) + b.Forward(x)' combines shapes [B0, 8] and [B0, 6], which do not broadcast: dimension 1 has 8 vs 6");

    [Fact]
    public void GG0017_ALayerFedTheWrongWidthAfterACat() => AssertDiagnostic("GG0017", """
        public sealed partial class Net : Gradgen.Nn.Module
        {
            readonly Gradgen.Nn.Linear a = new(4, 3), b = new(4, 3), head = new(5, 1);
            public override Tensor Forward(Tensor x) => [|head.Forward(Tensor.Cat([a.Forward(x), b.Forward(x)], -1))|];
        }
        """, DiagnosticSeverity.Error, messageContains: "'head' takes 5 input features, but its input has shape [B0, 6]");

    [Fact]
    public void NoDiagnosticsForSupportedCode()
    {
        var output = GeneratorHarness.Run("""
            using System;
            using Gradgen;
            public static partial class C
            {
                const float Scale = 3;
                [Differentiable] public static double Everything(double x, double y)
                {
                    var s = 0.0;
                    for (int i = 1; i <= 3; i++) { s += Math.Pow(x, i) / i; }
                    if (x > y && y > 0) { return s * Scale; }
                    else if (x < -1 || y < -1) return Math.Clamp(x, -1, 1);
                    double t = x > 0 ? Math.Sqrt(x) : -x;
                    t *= Math.Atan2(y, 1 + x * x);
                    return t + Math.Log(x * x + 1, 2) + double.Hypot(x, y) + (x % 2);
                }
            }
            """);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
    }
}
