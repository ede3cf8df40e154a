using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Gradgen.CodeFixes;

/// <summary>
/// The shape every Gradgen fix shares: it fixes one GG diagnostic, finds the <typeparamref name="TNode"/> the
/// diagnostic points at (its target), offers one or more edits (<see cref="FixOption"/>) where the target can be fixed,
/// and applies an edit to all of a document's targets in one rewrite of the root. The same code serves one diagnostic
/// and Fix All, so two diagnostics on one declaration make one edit.
/// </summary>
/// <typeparam name="TNode">The syntax the fix edits or starts from.</typeparam>
public abstract class SingleDiagnosticCodeFix<TNode> : CodeFixProvider
    where TNode : SyntaxNode
{
    private readonly ImmutableArray<FixOption> options;

    /// <summary>A fix for <paramref name="diagnosticId"/> that offers <paramref name="options"/>.</summary>
    protected SingleDiagnosticCodeFix(string diagnosticId, params FixOption[] options)
    {
        FixableDiagnosticIds = ImmutableArray.Create(diagnosticId);
        this.options = options.ToImmutableArray();
    }

    /// <inheritdoc/>
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider() =>
        FixAllProvider.Create(async (context, document, diagnostics) =>
            options.FirstOrDefault(o => o.Key == context.CodeActionEquivalenceKey) is { } option
                ? await FixAsync(document, option, diagnostics, context.CancellationToken).ConfigureAwait(false)
                : null);

    /// <inheritdoc/>
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var document = context.Document;
        var source = await ReadAsync(document, context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (Targets(source, new[] { diagnostic }).Count == 0)
            {
                continue;
            }

            foreach (var option in options)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(option.Title, cancellationToken => FixAsync(document, option, ImmutableArray.Create(diagnostic), cancellationToken), option.Key),
                    diagnostic);
            }
        }
    }

    /// <summary>The node <paramref name="diagnostic"/> points at: by default the innermost <typeparamref name="TNode"/> around its span.</summary>
    protected virtual TNode? Target(SyntaxNode root, Diagnostic diagnostic) =>
        SyntaxLookup.Enclosing<TNode>(root, diagnostic.Location);

    /// <summary>Whether the fix has an edit for <paramref name="target"/>; where it has none, nothing is offered.</summary>
    protected virtual bool CanFix(FixDocument document, TNode target) => true;

    /// <summary>
    /// Applies <paramref name="option"/> to every target (distinct nodes, each with the first diagnostic that named it)
    /// and returns the edited root of <paramref name="document"/>.
    /// </summary>
    protected abstract SyntaxNode Fix(FixDocument document, IReadOnlyDictionary<TNode, Diagnostic> targets, FixOption option);

    private async Task<Document> FixAsync(Document document, FixOption option, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var source = await ReadAsync(document, cancellationToken).ConfigureAwait(false);
        var targets = Targets(source, diagnostics);
        return targets.Count == 0 ? document : document.WithSyntaxRoot(Fix(source, targets, option));
    }

    private Dictionary<TNode, Diagnostic> Targets(FixDocument document, IEnumerable<Diagnostic> diagnostics)
    {
        var targets = new Dictionary<TNode, Diagnostic>();
        foreach (var diagnostic in diagnostics)
        {
            if (Target(document.Root, diagnostic) is { } target && !targets.ContainsKey(target) && CanFix(document, target))
            {
                targets.Add(target, diagnostic);
            }
        }

        return targets;
    }

    // The semantic model is read for every fix, including those that edit syntax only: the analyzer that reported
    // the diagnostic has bound the document already, so in the IDE it is at hand.
    private static async Task<FixDocument> ReadAsync(Document document, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        return new FixDocument(document, root!, model!, cancellationToken);
    }
}
