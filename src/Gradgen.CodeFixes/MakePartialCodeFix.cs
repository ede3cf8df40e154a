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
using Microsoft.CodeAnalysis.Editing;

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0002: adds <c>partial</c> to the type, to every type that encloses it, and to the types inside it that lead to a
/// <c>[Differentiable]</c> method, so that one fix leaves the whole chain partial.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(MakePartialCodeFix)), Shared]
public sealed class MakePartialCodeFix : DocumentCodeFixProvider
{
    private static readonly FixOption MakePartial = new("Make the type and its enclosing types partial", DiagnosticIds.TypeMustBePartial);

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.TypeMustBePartial);

    /// <inheritdoc/>
    protected override Task<IReadOnlyList<FixOption>> OptionsAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FixOption>>(new[] { MakePartial });

    /// <inheritdoc/>
    protected override async Task<Document> FixAsync(Document document, string key, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var generator = SyntaxGenerator.GetGenerator(document);
        var types = new HashSet<TypeDeclarationSyntax>();
        foreach (var type in SyntaxLookup.EnclosingAll<TypeDeclarationSyntax>(root!, diagnostics))
        {
            types.UnionWith(type.AncestorsAndSelf().OfType<TypeDeclarationSyntax>());
            var inner = type.DescendantNodes().OfType<MethodDeclarationSyntax>().Where(SyntaxLookup.HasDifferentiableAttribute);
            types.UnionWith(inner.SelectMany(m => m.Ancestors().OfType<TypeDeclarationSyntax>().TakeWhile(t => t != type)));
        }

        types.RemoveWhere(t => t.Modifiers.Any(SyntaxKind.PartialKeyword));
        var fixedRoot = root!.ReplaceNodes(types, (_, type) => generator.WithModifiers(type, generator.GetModifiers(type).WithPartial(true)));
        return document.WithSyntaxRoot(fixedRoot);
    }
}
