using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0006: gives the called method a derivative by hand, <c>[Differentiable(Backward = nameof(FVjp))]</c>, and adds
/// a stub <c>FVjp</c> with the signature Gradgen expects (see docs/differentiable.md, "Custom derivatives") whose body
/// throws until it is written. Offered for a static, non-generic method over <c>float</c> or <c>double</c> values,
/// spans and arrays that is declared in the same file and is not <c>[Differentiable]</c> yet.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(CustomDerivativeStubCodeFix)), Shared]
public sealed class CustomDerivativeStubCodeFix : DocumentCodeFixProvider
{
    private static readonly FixOption AddStub = new("Add a custom derivative to the called method", DiagnosticIds.UnknownCall + ".stub");

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UnknownCall);

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<FixOption>> OptionsAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        return Callee(root!, model!, diagnostic, cancellationToken) is not null ? new[] { AddStub } : System.Array.Empty<FixOption>();
    }

    /// <inheritdoc/>
    protected override async Task<Document> FixAsync(Document document, string key, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var callees = new Dictionary<MethodDeclarationSyntax, IMethodSymbol>();
        foreach (var diagnostic in diagnostics)
        {
            if (Callee(root!, model!, diagnostic, cancellationToken) is { } callee)
            {
                callees[callee.Declaration] = callee.Symbol;
            }
        }

        var fixedRoot = root!.TrackNodes(callees.Keys);
        foreach (var pair in callees)
        {
            var declaration = fixedRoot.GetCurrentNode(pair.Key)!;
            string vjp = UniqueName(pair.Value.ContainingType, pair.Value.Name + "Vjp");
            var stub = CustomDerivativeStub.Create(pair.Value, vjp, NewLine(declaration))
                .WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);
            var attributed = declaration.AddAttributeLists(Attribute(vjp)).WithAdditionalAnnotations(Formatter.Annotation);
            fixedRoot = fixedRoot.ReplaceNode(declaration, new SyntaxNode[] { attributed, stub });
        }

        return document.WithSyntaxRoot(fixedRoot);
    }

    /// <summary>The method a GG0006 call names, when the fix can give it a custom derivative.</summary>
    private static (MethodDeclarationSyntax Declaration, IMethodSymbol Symbol)? Callee(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var invocation = SyntaxLookup.Enclosing<InvocationExpressionSyntax>(root, diagnostic.Location);
        if (invocation is null || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method
            || !method.IsStatic || method.IsGenericMethod || CustomDerivativeStub.ElementType(method) is null)
        {
            return null;
        }

        var declaration = method.DeclaringSyntaxReferences
            .Where(r => r.SyntaxTree == root.SyntaxTree)
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<MethodDeclarationSyntax>()
            .FirstOrDefault();
        if (declaration is null || SyntaxLookup.HasDifferentiableAttribute(declaration) || (declaration.Body is null && declaration.ExpressionBody is null))
        {
            return null;
        }

        return (declaration, method);
    }

    /// <summary>The file's line break, as the declaration ends with it.</summary>
    private static string NewLine(SyntaxNode declaration) =>
        declaration.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { } end && end.IsKind(SyntaxKind.EndOfLineTrivia)
            ? end.ToString()
            : "\n";

    private static AttributeListSyntax Attribute(string vjp) =>
        SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
            (AttributeSyntax)SyntaxFactory.ParseCompilationUnit($"[global::Gradgen.Differentiable(Backward = nameof({vjp}))] class C {{ }}")
                .DescendantNodes().OfType<AttributeSyntax>().Single()
                .WithAdditionalAnnotations(Simplifier.Annotation)));

    private static string UniqueName(INamedTypeSymbol type, string name)
    {
        string candidate = name;
        for (int i = 2; type.GetMembers(candidate).Length > 0; i++)
        {
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
