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
/// GG0005: passes a <c>ref</c>, <c>in</c> or <c>ref readonly</c> parameter by value, and drops the <c>ref</c> or
/// <c>in</c> from the matching argument of the calls in the same file. Not offered for <c>out</c>: an output cannot
/// become an input without rewriting the method.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(RemoveRefKindCodeFix)), Shared]
public sealed class RemoveRefKindCodeFix : DocumentCodeFixProvider
{
    private static readonly FixOption PassByValue = new("Pass the parameter by value", DiagnosticIds.RefParameter);

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.RefParameter);

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<FixOption>> OptionsAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var parameter = SyntaxLookup.Enclosing<ParameterSyntax>(root!, diagnostic.Location);
        bool legal = parameter is not null && !parameter.Modifiers.Any(SyntaxKind.OutKeyword) && parameter.Modifiers.Any(IsRefKind);
        return legal ? new[] { PassByValue } : System.Array.Empty<FixOption>();
    }

    /// <inheritdoc/>
    protected override async Task<Document> FixAsync(Document document, string key, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var parameters = SyntaxLookup.EnclosingAll<ParameterSyntax>(root!, diagnostics)
            .Where(p => !p.Modifiers.Any(SyntaxKind.OutKeyword))
            .ToList();
        var symbols = parameters.Select(p => model!.GetDeclaredSymbol(p, cancellationToken)).OfType<IParameterSymbol>().ToList();

        var nodes = new List<SyntaxNode>(parameters);
        nodes.AddRange(root!.DescendantNodes().OfType<ArgumentSyntax>()
            .Where(a => !a.RefKindKeyword.IsKind(SyntaxKind.None) && !a.RefKindKeyword.IsKind(SyntaxKind.OutKeyword))
            .Where(a => symbols.Any(s => SymbolEqualityComparer.Default.Equals(ParameterOf(a, model!, cancellationToken), s))));

        var fixedRoot = root.ReplaceNodes(nodes, (_, node) => node switch
        {
            ParameterSyntax parameter => parameter
                .WithModifiers(SyntaxFactory.TokenList(parameter.Modifiers.Where(m => !IsRefKind(m))))
                .WithLeadingTrivia(parameter.GetLeadingTrivia()),
            ArgumentSyntax argument => argument.WithRefKindKeyword(default).WithLeadingTrivia(argument.GetLeadingTrivia()),
            _ => node,
        });
        return document.WithSyntaxRoot(fixedRoot);
    }

    private static bool IsRefKind(SyntaxToken modifier) =>
        modifier.IsKind(SyntaxKind.RefKeyword) || modifier.IsKind(SyntaxKind.InKeyword) || modifier.IsKind(SyntaxKind.ReadOnlyKeyword);

    /// <summary>The parameter an argument binds to (by name, or by position).</summary>
    private static IParameterSymbol? ParameterOf(ArgumentSyntax argument, SemanticModel model, CancellationToken cancellationToken)
    {
        if (argument.Parent is not ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } list
            || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method)
        {
            return null;
        }

        if (argument.NameColon is { } name)
        {
            return method.Parameters.FirstOrDefault(p => p.Name == name.Name.Identifier.ValueText);
        }

        int index = list.Arguments.IndexOf(argument);
        return index < method.Parameters.Length ? method.Parameters[index] : null;
    }
}
