using System;
using System.Collections.Immutable;
using System.Linq;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Gradgen.Generator.Analysis;

/// <summary>
/// Reports every GG diagnostic. The generator only emits code; diagnostics come from here, so that
/// <c>#pragma warning disable</c>, <c>[SuppressMessage]</c> and <c>.editorconfig</c> severities apply to them (the
/// compiler honours none of them fully for a generator's diagnostics), and the IDE shows them as the user types. It
/// runs the generator's own parsers, so the rules cannot drift apart.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GradgenAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = Descriptors.All.ToImmutableArray();

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();

        // One action per file: a diagnostic anywhere in the file (a GG0002 on an enclosing type, a GG0015 on a field's
        // initializer) is then local to it, which is what the IDE shows as you type and offers fixes for.
        context.RegisterSemanticModelAction(AnalyzeFile);
    }

    private static void AnalyzeFile(SemanticModelAnalysisContext context)
    {
        var root = context.SemanticModel.SyntaxTree.GetRoot(context.CancellationToken);
        var declarations = root.DescendantNodes(static node => node is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax);
        foreach (var declaration in declarations)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            switch (declaration)
            {
                case MethodDeclarationSyntax method:
                    AnalyzeMethod(context, method);
                    break;
                case ClassDeclarationSyntax type when ModelParser.IsCandidate(type):
                    Run(context, type.Identifier, type.Identifier.Text, () => ParseCache.GetOrParse(type, context.SemanticModel, () => ModelParser.Parse(type, context.SemanticModel, context.CancellationToken), context.CancellationToken)?.Diagnostics ?? EquatableArray<DiagnosticInfo>.Empty);
                    break;
            }
        }
    }

    /// <summary>A method whose own declaration carries <c>[Differentiable]</c>: what the generator's attribute search finds.</summary>
    private static void AnalyzeMethod(SemanticModelAnalysisContext context, MethodDeclarationSyntax syntax)
    {
        if (syntax.AttributeLists.Count == 0
            || context.SemanticModel.GetDeclaredSymbol(syntax, context.CancellationToken) is not IMethodSymbol method
            || !HasDifferentiableAttribute(method, syntax))
        {
            return;
        }

        // The generator has usually parsed this declaration already, in this process and against the same syntax trees
        // (the compilation the analyzer sees adds only the generated files): its parse, diagnostics included, is reused.
        Run(context, syntax.Identifier, method.Name, () => ParseCache.GetOrParse(syntax, context.SemanticModel, () => FunctionParser.Parse(method, syntax, context.SemanticModel, context.CancellationToken), context.CancellationToken).Diagnostics);
    }

    /// <summary>
    /// Runs a parser and reports what it found. The parsers turn their own failures into GG0013; this catches what
    /// escapes them, so that a crash is still a GG0013 at the declaration and never only the compiler's AD0001.
    /// </summary>
    private static void Run(SemanticModelAnalysisContext context, SyntaxToken identifier, string name, Func<EquatableArray<DiagnosticInfo>> parse)
    {
        EquatableArray<DiagnosticInfo> diagnostics;
        try
        {
            diagnostics = parse();
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception exception)
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.InternalError, identifier.GetLocation(), name, exception.GetType().Name + ": " + exception.Message));
            return;
        }

        foreach (var diagnostic in diagnostics)
        {
            var replaceAt = diagnostic.ReplaceAt is { } at ? SourceLocation(at, context.SemanticModel) : null;
            var cause = diagnostic.Cause is { } why ? SourceLocation(why, context.SemanticModel) : null;
            context.ReportDiagnostic(diagnostic.ToDiagnostic(SourceLocation(diagnostic.Location, context.SemanticModel), replaceAt, cause));
        }
    }

    /// <summary>
    /// The diagnostic's location in the compilation's own tree, so that the compiler can apply <c>#pragma</c> and
    /// <c>[SuppressMessage]</c> there (a location by file path alone is outside every tree).
    /// </summary>
    private static Location SourceLocation(LocationInfo location, SemanticModel model)
    {
        var tree = model.SyntaxTree.FilePath == location.FilePath
            ? model.SyntaxTree
            : model.Compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == location.FilePath);
        return tree is null ? location.ToLocation() : Location.Create(tree, location.Span);
    }

    private static bool HasDifferentiableAttribute(IMethodSymbol method, MethodDeclarationSyntax syntax) =>
        method.GetAttributes().Any(a =>
            a.AttributeClass?.ToDisplayString() == FunctionParser.AttributeMetadataName
            && a.ApplicationSyntaxReference is { } reference
            && reference.SyntaxTree == syntax.SyntaxTree
            && syntax.Span.Contains(reference.Span));
}
