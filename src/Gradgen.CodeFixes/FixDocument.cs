using System.Threading;
using Microsoft.CodeAnalysis;

namespace Gradgen.CodeFixes;

/// <summary>The document a fix edits, read once: its syntax root and semantic model.</summary>
public sealed class FixDocument
{
    /// <summary>Creates the view of <paramref name="document"/> a fix works from.</summary>
    public FixDocument(Document document, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        Document = document;
        Root = root;
        Model = model;
        CancellationToken = cancellationToken;
    }

    /// <summary>The document (for its <see cref="Microsoft.CodeAnalysis.Editing.SyntaxGenerator"/>).</summary>
    public Document Document { get; }

    /// <summary>The document's syntax root, which the fix returns edited.</summary>
    public SyntaxNode Root { get; }

    /// <summary>The document's semantic model.</summary>
    public SemanticModel Model { get; }

    /// <summary>Cancels the fix.</summary>
    public CancellationToken CancellationToken { get; }
}
