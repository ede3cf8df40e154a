using System.Collections.Generic;
using System.Composition;
using System.Linq;
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
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LayerInputSizeCodeFix)), Shared]
public sealed class LayerInputSizeCodeFix : SingleDiagnosticCodeFix<ExpressionSyntax>
{
    /// <summary>Creates the fix.</summary>
    public LayerInputSizeCodeFix()
        : base(DiagnosticIds.LayerSizeMismatch, new FixOption("Change the layer's input size to the previous layer's output size", DiagnosticIds.LayerSizeMismatch))
    {
    }

    /// <summary>The input-size argument, at the diagnostic's additional location, when it is in this file and the size is given.</summary>
    protected override ExpressionSyntax? Target(SyntaxNode root, Diagnostic diagnostic)
    {
        var at = diagnostic.AdditionalLocations.FirstOrDefault();
        return at is not null && at.SourceTree?.FilePath == root.SyntaxTree.FilePath && Replacement(diagnostic) is not null
            ? SyntaxLookup.Enclosing<ExpressionSyntax>(root, at)
            : null;
    }

    /// <inheritdoc/>
    protected override SyntaxNode Fix(FixDocument document, IReadOnlyDictionary<ExpressionSyntax, Diagnostic> targets, FixOption option) =>
        document.Root.ReplaceNodes(targets.Keys, (original, _) =>
            SyntaxFactory.ParseExpression(Replacement(targets[original])!).WithTriviaFrom(original));

    private static string? Replacement(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(DiagnosticIds.ReplacementProperty, out string? text) ? text : null;
}
