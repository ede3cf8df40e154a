using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Gradgen.CodeFixes;

/// <summary>
/// The shape every Gradgen fix shares: each offers one or more edits (<see cref="FixOption"/>) of the document that
/// holds the diagnostic, and the same code fixes one diagnostic and, for Fix All, all of a document's diagnostics at
/// once (so that two diagnostics on one declaration make one edit).
/// </summary>
public abstract class DocumentCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider() =>
        FixAllProvider.Create(async (context, document, diagnostics) =>
            diagnostics.IsEmpty || context.CodeActionEquivalenceKey is null
                ? null
                : await FixAsync(document, context.CodeActionEquivalenceKey, diagnostics, context.CancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            var options = await OptionsAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false);
            foreach (var option in options)
            {
                var document = context.Document;
                context.RegisterCodeFix(
                    CodeAction.Create(option.Title, cancellationToken => FixAsync(document, option.Key, ImmutableArray.Create(diagnostic), cancellationToken), option.Key),
                    diagnostic);
            }
        }
    }

    /// <summary>The edits offered for <paramref name="diagnostic"/>: none where there is no obvious one.</summary>
    protected abstract Task<IReadOnlyList<FixOption>> OptionsAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken);

    /// <summary>Applies the edit named <paramref name="key"/> for every one of <paramref name="diagnostics"/> (all in <paramref name="document"/>).</summary>
    protected abstract Task<Document> FixAsync(Document document, string key, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken);
}

/// <summary>One edit a fix offers: the title shown in the light-bulb menu, and the equivalence key Fix All groups by.</summary>
public sealed class FixOption
{
    /// <summary>Creates an option.</summary>
    public FixOption(string title, string key)
    {
        Title = title;
        Key = key;
    }

    /// <summary>The title shown in the IDE.</summary>
    public string Title { get; }

    /// <summary>The equivalence key: the same for the same edit of any diagnostic.</summary>
    public string Key { get; }
}
