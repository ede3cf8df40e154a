using System.Collections.Generic;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0009: wraps the integer cast in <c>Grad.StopGradient(…)</c>. The derivative does not change (an integer already
/// has none), but the code now says so, and Gradgen does not warn about a stop-gradient it was asked for.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ExplicitStopGradientCodeFix)), Shared]
public sealed class ExplicitStopGradientCodeFix : SingleDiagnosticCodeFix<CastExpressionSyntax>
{
    /// <summary>Creates the fix.</summary>
    public ExplicitStopGradientCodeFix()
        : base(DiagnosticIds.IntegerZeroGradient, new FixOption("Stop the gradient explicitly (Grad.StopGradient)", DiagnosticIds.IntegerZeroGradient))
    {
    }

    /// <inheritdoc/>
    protected override SyntaxNode Fix(FixDocument document, IReadOnlyDictionary<CastExpressionSyntax, Diagnostic> targets, FixOption option) =>
        document.Root.ReplaceNodes(targets.Keys, (_, cast) => StopGradientSyntax.Wrap(cast));
}
