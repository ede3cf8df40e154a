using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0009: wraps the integer cast in <c>Grad.StopGradient(…)</c>. The derivative does not change (an integer already
/// has none), but the code now says so, and Gradgen does not warn about a stop-gradient it was asked for.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(ExplicitStopGradientCodeFix)), Shared]
public sealed class ExplicitStopGradientCodeFix : DocumentCodeFixProvider
{
    private static readonly FixOption StopGradient = new("Stop the gradient explicitly (Grad.StopGradient)", DiagnosticIds.IntegerZeroGradient);

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.IntegerZeroGradient);

    /// <inheritdoc/>
    protected override Task<IReadOnlyList<FixOption>> OptionsAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FixOption>>(new[] { StopGradient });

    /// <inheritdoc/>
    protected override async Task<Document> FixAsync(Document document, string key, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var casts = SyntaxLookup.EnclosingAll<CastExpressionSyntax>(root!, diagnostics);
        var fixedRoot = root!.ReplaceNodes(casts, (_, cast) => Wrap(cast));
        return document.WithSyntaxRoot(fixedRoot);
    }

    private static ExpressionSyntax Wrap(ExpressionSyntax expression) =>
        SyntaxFactory.InvocationExpression(
                SyntaxFactory.ParseExpression("global::Gradgen.Grad.StopGradient").WithAdditionalAnnotations(Simplifier.Annotation),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(expression.WithoutTrivia()))))
            .WithTriviaFrom(expression);
}
