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

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0004: rewrites the signature (return type and parameter types, spans and arrays included) to <c>float</c>
/// everywhere or to <c>double</c> everywhere. The body is left as written.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(UniformPrecisionCodeFix)), Shared]
public sealed class UniformPrecisionCodeFix : DocumentCodeFixProvider
{
    internal static readonly FixOption UseFloat = new("Use float everywhere in the signature", DiagnosticIds.MixedPrecision + ".float");
    internal static readonly FixOption UseDouble = new("Use double everywhere in the signature", DiagnosticIds.MixedPrecision + ".double");

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.MixedPrecision);

    /// <inheritdoc/>
    protected override Task<IReadOnlyList<FixOption>> OptionsAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FixOption>>(new[] { UseFloat, UseDouble });

    /// <inheritdoc/>
    protected override async Task<Document> FixAsync(Document document, string key, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var (from, to) = key == UseFloat.Key
            ? (SyntaxKind.DoubleKeyword, SyntaxKind.FloatKeyword)
            : (SyntaxKind.FloatKeyword, SyntaxKind.DoubleKeyword);
        var types = new List<PredefinedTypeSyntax>();
        foreach (var method in SyntaxLookup.EnclosingAll<MethodDeclarationSyntax>(root!, diagnostics))
        {
            var signature = new SyntaxNode[] { method.ReturnType }.Concat(method.ParameterList.Parameters.Select(p => p.Type).OfType<TypeSyntax>());
            types.AddRange(signature.SelectMany(t => t.DescendantNodesAndSelf()).OfType<PredefinedTypeSyntax>().Where(t => t.Keyword.IsKind(from)));
        }

        var fixedRoot = root!.ReplaceNodes(types, (original, _) =>
            original.WithKeyword(SyntaxFactory.Token(original.Keyword.LeadingTrivia, to, original.Keyword.TrailingTrivia)));
        return document.WithSyntaxRoot(fixedRoot);
    }
}
