using Basic.Reference.Assemblies;
using Gradgen.Generator.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Gradgen.CodeFixes.Tests;

/// <summary>
/// GG0016's "Show why": where a model is not compiled because of code elsewhere (a nested model's own Forward, a
/// helper in another class that Forward calls, the construct in an inlined helper of the model, a layer's field, the
/// constructor parameter or member a loop's count is read from, including the loop that fills a ModuleList by Add), the
/// action navigates there and changes no text. The IDE navigates to the token that
/// carries the navigation annotation in a document the action returns, so that is what these tests read.
/// </summary>
public sealed class ShowWhyTests
{
    private const string Inner = """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Inner : Module
        {
            private readonly Linear layer = new(4, 4);

            public override Tensor Forward(Tensor x)
            {
                var h = layer.Forward(x);
                if (h.Sum().Item<float>() > 0) h = h * 2;
                return h;
            }
        }
        """;

    private const string Outer = """
        using Gradgen;
        using Gradgen.Nn;

        public sealed partial class Outer : Module
        {
            private readonly Inner inner = new();

            public override Tensor Forward(Tensor x) => inner.Forward(x).Relu();
        }
        """;

    [Fact]
    public async Task ANestedModelsReasonIsItsOwnConstructInItsOwnFile()
    {
        var (solution, diagnostics) = await Analyze(("Inner.cs", Inner), ("Outer.cs", Outer));
        var outer = Assert.Single(diagnostics, d => d.GetMessage().StartsWith("Model 'Outer'", StringComparison.Ordinal));
        Assert.Equal("inner.Forward(x)", Text(outer.Location));

        var (title, navigation) = await ShowWhy(solution, outer);
        Assert.Equal("Show why: go to 'if (h.Sum().Item<float>() > 0) h = h * 2;' (Inner.cs, line 11)", title);
        Assert.Equal(("Inner.cs", "if"), navigation);
    }

    [Fact]
    public async Task AHelperInAnotherClassIsShownAtItsDeclaration()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly Linear layer = new(4, 4);

                public override Tensor Forward(Tensor x) => Helpers.Twice(layer.Forward(x));
            }

            public static class Helpers
            {
                public static Tensor Twice(Tensor t) => t * 2;
            }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("Helpers.Twice(layer.Forward(x))", Text(diagnostic.Location));

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'public static Tensor Twice(Tensor t) => t * 2;' (Net.cs, line 13)", title);
        Assert.Equal(("Net.cs", "Twice"), navigation);
    }

    [Fact]
    public async Task AHelperOfTheModelIsInlinedAndShowsTheConstructInItsBodyThatDoesNotCompile()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly Linear layer = new(4, 4);

                public override Tensor Forward(Tensor x) => Block(layer.Forward(x));

                private static Tensor Block(Tensor h)
                {
                    if (h.Sum().Item<float>() > 0) h = h * 2;
                    return h;
                }
            }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("Block(layer.Forward(x))", Text(diagnostic.Location));

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'if (h.Sum().Item<float>() > 0) h = h * 2;' (Net.cs, line 12)", title);
        Assert.Equal(("Net.cs", "if"), navigation);
    }

    [Fact]
    public async Task ALayerWhoseCreationIsNotVisibleIsShownAtItsField()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly LayerNorm norm;

                public Net(bool wide) => norm = wide ? new LayerNorm(8) : new LayerNorm(4);

                public override Tensor Forward(Tensor x) => norm.Forward(x);
            }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("norm.Forward(x)", Text(diagnostic.Location));
        Assert.Contains("is not created once, in place", diagnostic.GetMessage(), StringComparison.Ordinal);

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'private readonly LayerNorm norm;' (Net.cs, line 6)", title);
        Assert.Equal(("Net.cs", "norm"), navigation);
    }

    [Fact]
    public async Task ALoopBoundReadFromAFieldThatAConstructorParameterSetsIsShownAtTheParameter()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly int depth;

                public Net(int layers)
                {
                    depth = layers;
                }

                public override Tensor Forward(Tensor x)
                {
                    for (int i = 0; i < depth; i++) x = x.Relu();
                    return x;
                }
            }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("depth", Text(diagnostic.Location));
        Assert.Contains("the loop's bound 'depth' is not a constant integer", diagnostic.GetMessage(), StringComparison.Ordinal);

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'int layers' (Net.cs, line 8)", title);
        Assert.Equal(("Net.cs", "layers"), navigation);
    }

    [Fact]
    public async Task ALoopBoundReadFromAPrimaryConstructorParameterThroughAFieldIsShownAtTheParameter()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net(int layers) : Module
            {
                private readonly int depth = layers;

                public override Tensor Forward(Tensor x)
                {
                    for (int i = 0; i < this.depth; i++) x = x.Tanh();
                    return x;
                }
            }
            """));
        var diagnostic = Assert.Single(diagnostics);

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'int layers' (Net.cs, line 4)", title);
        Assert.Equal(("Net.cs", "layers"), navigation);
    }

    [Fact]
    public async Task ALoopBoundReadFromAPropertyWithNoParameterBehindItIsShownAtTheProperty()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                public int Depth { get; set; } = 3;

                public override Tensor Forward(Tensor x)
                {
                    for (int i = 0; i < Depth; i++) x = x.Relu();
                    return x;
                }
            }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("Depth", Text(diagnostic.Location));

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'public int Depth { get; set; } = 3;' (Net.cs, line 6)", title);
        Assert.Equal(("Net.cs", "Depth"), navigation);
    }

    [Fact]
    public async Task ALoopOverAnArrayOfLayersIsShownAtTheArraysField()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly Linear[] layers = [new Linear(4, 4), new Linear(4, 4)];

                public override Tensor Forward(Tensor x)
                {
                    foreach (var layer in layers) x = layer.Forward(x).Relu();
                    return x;
                }
            }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("layers", Text(diagnostic.Location));
        Assert.Contains("not even registered as children", diagnostic.GetMessage(), StringComparison.Ordinal);

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'private readonly Linear[] layers = [new Linear(4, 4), new...' (Net.cs, line 6)", title);
        Assert.Equal(("Net.cs", "layers"), navigation);
    }

    [Fact]
    public async Task AModuleListFilledInALoopOverAConstructorParameterIsShownAtTheParameter()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly ModuleList<Linear> layers = new();

                public Net(int depth)
                {
                    for (int i = 0; i < depth; i++) layers.Add(new Linear(4, 4));
                }

                public override Tensor Forward(Tensor x)
                {
                    foreach (var layer in layers) x = layer.Forward(x).Relu();
                    return x;
                }
            }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("layers.Add(new Linear(4, 4))", Text(diagnostic.Location));

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'int depth' (Net.cs, line 8)", title);
        Assert.Equal(("Net.cs", "depth"), navigation);
    }

    [Fact]
    public async Task AModuleListFilledOverAParameterArraysWidthsIsShownAtTheArray()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly ModuleList<Linear> layers = new();

                public Net(params int[] widths)
                {
                    for (int i = 0; i + 1 < widths.Length; i++) layers.Add(new Linear(widths[i], widths[i + 1]));
                }

                public override Tensor Forward(Tensor x)
                {
                    foreach (var layer in layers) x = layer.Forward(x).Relu();
                    return x;
                }
            }
            """));
        var diagnostic = Assert.Single(diagnostics);

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'params int[] widths' (Net.cs, line 8)", title);
        Assert.Equal(("Net.cs", "widths"), navigation);
    }

    [Fact]
    public async Task AModuleListFilledInALoopOverAFieldSetByTheConstructorIsShownAtTheParameterBehindIt()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net(int blocks) : Module
            {
                private readonly int count = blocks;
                private readonly ModuleList<Linear> layers = new();

                public void Grow()
                {
                    for (int i = 0; i < this.count; i++) layers.Add(new Linear(4, 4));
                }

                public override Tensor Forward(Tensor x)
                {
                    foreach (var layer in layers) x = layer.Forward(x);
                    return x;
                }
            }
            """));
        var diagnostic = Assert.Single(diagnostics);

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'int blocks' (Net.cs, line 4)", title);
        Assert.Equal(("Net.cs", "blocks"), navigation);
    }

    [Fact]
    public async Task AModuleListFilledInALoopWithAConstantCountOffersTheRewriteNotShowWhy()
    {
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly ModuleList<Linear> layers = new();

                public Net()
                {
                    for (int i = 0; i < 3; i++) layers.Add(new Linear(4, 4));
                }

                public override Tensor Forward(Tensor x)
                {
                    foreach (var layer in layers) x = layer.Forward(x);
                    return x;
                }
            }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("layers.Add(new Linear(4, 4))", Text(diagnostic.Location));
        Assert.Empty(await Actions(solution, diagnostic));
    }

    [Fact]
    public async Task ALoopBoundThatIsAFieldSetFromTwoPlacesIsShownAtTheField()
    {
        // Two sources: no one parameter is the reason, the field is.
        var (solution, diagnostics) = await Analyze(("Net.cs", """
            using Gradgen;
            using Gradgen.Nn;

            public sealed partial class Net : Module
            {
                private readonly int depth;

                public Net(int layers) => depth = layers;

                public Net() => depth = 2;

                public override Tensor Forward(Tensor x)
                {
                    for (int i = depth; i > 0; i--) x = x.Relu();
                    return x;
                }
            }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Contains("the loop's start 'depth'", diagnostic.GetMessage(), StringComparison.Ordinal);

        var (title, navigation) = await ShowWhy(solution, diagnostic);
        Assert.Equal("Show why: go to 'private readonly int depth;' (Net.cs, line 6)", title);
        Assert.Equal(("Net.cs", "depth"), navigation);
    }

    [Fact]
    public async Task AReasonAtTheConstructItselfOffersNoNavigation()
    {
        var (solution, diagnostics) = await Analyze(("Inner.cs", Inner));
        var diagnostic = Assert.Single(diagnostics);
        Assert.StartsWith("if (h.Sum()", Text(diagnostic.Location), StringComparison.Ordinal);
        Assert.Empty(await Actions(solution, diagnostic));
    }

    private static async Task<(Solution Solution, IReadOnlyList<Diagnostic> Diagnostics)> Analyze(params (string Name, string Text)[] files)
    {
        var workspace = new AdhocWorkspace();
        var project = workspace.AddProject("Consumer", LanguageNames.CSharp)
            .WithCompilationOptions(new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary))
            .AddMetadataReferences(Net100.References.All)
            .AddMetadataReference(MetadataReference.CreateFromFile(typeof(DifferentiableAttribute).Assembly.Location));
        foreach (var (name, text) in files)
        {
            project = project.AddDocument(name, text, filePath: name).Project;
        }

        var compilation = (await project.GetCompilationAsync())!;
        var diagnostics = await compilation.WithAnalyzers([new GradgenAnalyzer()]).GetAnalyzerDiagnosticsAsync();
        return (project.Solution, diagnostics.Where(d => d.Id == "GG0016").ToList());
    }

    private static async Task<List<CodeAction>> Actions(Solution solution, Diagnostic diagnostic)
    {
        var document = solution.GetDocument(diagnostic.Location.SourceTree)!;
        var actions = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
        await new ShowWhyCodeAction().RegisterCodeFixesAsync(context);
        return actions;
    }

    /// <summary>The action's title, and the file and token the IDE navigates to once it is applied.</summary>
    private static async Task<(string Title, (string File, string Token) Navigation)> ShowWhy(Solution solution, Diagnostic diagnostic)
    {
        var action = Assert.Single(await Actions(solution, diagnostic));
        Assert.Equal(ShowWhyCodeAction.Key, action.EquivalenceKey);
        var apply = Assert.Single((await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>());
        var changed = apply.ChangedSolution.GetChanges(solution).GetProjectChanges().SelectMany(p => p.GetChangedDocuments()).ToList();
        var documentId = Assert.Single(changed);
        var before = await solution.GetDocument(documentId)!.GetTextAsync();
        var after = apply.ChangedSolution.GetDocument(documentId)!;
        Assert.Equal(before.ToString(), (await after.GetTextAsync()).ToString());

        var root = (await after.GetSyntaxRootAsync())!;
        var token = Assert.Single(root.GetAnnotatedTokens(ShowWhyCodeAction.NavigationAnnotationKind));
        return (action.Title, (after.Name, token.Text));
    }

    private static string Text(Location location) => location.SourceTree!.GetText().ToString(location.SourceSpan);
}
