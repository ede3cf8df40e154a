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
/// GG0015: sets the second layer's input size (the <c>inFeatures</c> argument of its <c>new Linear(…)</c>) to the
/// first layer's output size. The analyzer names that argument as the diagnostic's additional location and the size
/// in its properties; the fix is offered when the argument is in the same file.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(LayerInputSizeCodeFix)), Shared]
public sealed class LayerInputSizeCodeFix : DocumentCodeFixProvider
{
    private static readonly FixOption MatchSize = new("Change the layer's input size to the previous layer's output size", DiagnosticIds.LayerSizeMismatch);

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.LayerSizeMismatch);

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<FixOption>> OptionsAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var tree = await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false);
        return Replacement(diagnostic, tree!) is not null ? new[] { MatchSize } : System.Array.Empty<FixOption>();
    }

    /// <inheritdoc/>
    protected override async Task<Document> FixAsync(Document document, string key, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var edits = new Dictionary<ExpressionSyntax, string>();
        foreach (var diagnostic in diagnostics)
        {
            if (Replacement(diagnostic, root!.SyntaxTree) is { } replacement
                && SyntaxLookup.Enclosing<ExpressionSyntax>(root, replacement.At) is { } argument)
            {
                edits[argument] = replacement.Text;
            }
        }

        var fixedRoot = root!.ReplaceNodes(edits.Keys, (original, _) =>
            SyntaxFactory.ParseExpression(edits[original]).WithTriviaFrom(original));
        return document.WithSyntaxRoot(fixedRoot);
    }

    private static (Location At, string Text)? Replacement(Diagnostic diagnostic, SyntaxTree tree)
    {
        var at = diagnostic.AdditionalLocations.FirstOrDefault();
        return at is not null && at.SourceTree?.FilePath == tree.FilePath && diagnostic.Properties.TryGetValue(DiagnosticIds.ReplacementProperty, out string? text) && text is not null
            ? (at, text)
            : null;
    }
}
