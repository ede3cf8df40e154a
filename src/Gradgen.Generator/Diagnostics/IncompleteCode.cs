using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Diagnostics;

/// <summary>
/// Code an IDE shows on every keystroke is often incomplete (a <c>Forward</c> that lost its <c>=&gt;</c>, a call
/// half typed). The compiler already reports its errors; the generator adds nothing for it — no source from a
/// declaration with syntax errors, and no GG0013 "internal error" for a failure that the code's own errors explain.
/// </summary>
internal static class IncompleteCode
{
    /// <summary>Whether <paramref name="node"/> holds a syntax error (cheap: the tree's own flag first).</summary>
    public static bool HasSyntaxErrors(SyntaxNode node) =>
        node.ContainsDiagnostics && node.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>
    /// Whether <paramref name="node"/> holds a syntax or binding error: asked only after the generator failed on it,
    /// since binding a whole declaration's diagnostics is not free.
    /// </summary>
    public static bool HasErrors(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken) =>
        HasSyntaxErrors(node) || model.GetDiagnostics(node.Span, cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error);
}
