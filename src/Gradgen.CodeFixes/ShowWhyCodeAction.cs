using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0016 where the reason lies elsewhere than the construct it is reported at: a nested model whose own
/// <c>Forward</c> does not compile, or a helper method that <c>Forward</c> calls. The analyzer gives that place as an
/// additional location, and this action, <b>Show why: go to …</b>, moves the caret there. It changes no text: the
/// document is returned with a navigation annotation on the first token of the cause, which is how a Roslyn code
/// action asks the IDE to navigate after it is applied (the IDE moves the caret to the first token so annotated in a
/// document the action changed).
/// </summary>
/// <remarks>There is nothing to fix in bulk, so this provider offers no Fix All.</remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ShowWhyCodeAction)), Shared]
public sealed class ShowWhyCodeAction : CodeFixProvider
{
    /// <summary>The action's equivalence key.</summary>
    public const string Key = DiagnosticIds.ModelNotCompiled + ".ShowWhy";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ModelNotCompiled);

    /// <inheritdoc/>
    public override FixAllProvider? GetFixAllProvider() => null;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (Cause(diagnostic) is not { SourceTree: { } tree } cause
                || context.Document.Project.Solution.GetDocument(tree) is not { } document)
            {
                continue;
            }

            var root = await tree.GetRootAsync(context.CancellationToken).ConfigureAwait(false);
            var token = root.FindToken(cause.SourceSpan.Start);
            var shown = root.FindNode(cause.SourceSpan, getInnermostNodeForTie: true);
            if (shown is VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax field })
            {
                // A field's location is its name: the title shows its declaration.
                shown = field;
            }

            string title = string.Format(
                CultureInfo.InvariantCulture,
                "Show why: go to '{0}' ({1}, line {2})",
                Shorten(shown.ToString()),
                System.IO.Path.GetFileName(tree.FilePath),
                cause.GetLineSpan().StartLinePosition.Line + 1);
            context.RegisterCodeFix(
                CodeAction.Create(title, cancellationToken => Task.FromResult(Annotated(document, root, token)), Key),
                diagnostic);
        }
    }

    /// <summary>The diagnostic's cause: the additional location whose index its properties name.</summary>
    private static Location? Cause(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(DiagnosticIds.CauseProperty, out string? text)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && index < diagnostic.AdditionalLocations.Count
            ? diagnostic.AdditionalLocations[index]
            : null;

    /// <summary>
    /// The kind of Roslyn's navigation annotation. The type that holds it, <c>NavigationAnnotation</c>, is internal in
    /// Microsoft.CodeAnalysis.Workspaces 4.14, but the IDE looks annotations up by this kind, so an annotation of this
    /// kind is one.
    /// </summary>
    public const string NavigationAnnotationKind = "CodeAction_Navigation";

    private static Solution Annotated(Document document, SyntaxNode root, SyntaxToken token) =>
        document.WithSyntaxRoot(root.ReplaceToken(token, token.WithAdditionalAnnotations(new SyntaxAnnotation(NavigationAnnotationKind)))).Project.Solution;

    private static string Shorten(string code)
    {
        string line = string.Join(" ", code.Split(new[] { '\r', '\n' }, System.StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        return line.Length <= 60 ? line : line.Substring(0, 57) + "...";
    }
}
