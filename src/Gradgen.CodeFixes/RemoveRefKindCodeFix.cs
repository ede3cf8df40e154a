using System.Collections.Generic;
using System.Composition;
using System.Linq;
using System.Threading;
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
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveRefKindCodeFix)), Shared]
public sealed class RemoveRefKindCodeFix : SingleDiagnosticCodeFix<ParameterSyntax>
{
    /// <summary>Creates the fix.</summary>
    public RemoveRefKindCodeFix()
        : base(DiagnosticIds.RefParameter, new FixOption("Pass the parameter by value", DiagnosticIds.RefParameter))
    {
    }

    /// <inheritdoc/>
    protected override bool CanFix(FixDocument document, ParameterSyntax target) =>
        !target.Modifiers.Any(SyntaxKind.OutKeyword) && target.Modifiers.Any(IsRefKind);

    /// <inheritdoc/>
    protected override SyntaxNode Fix(FixDocument document, IReadOnlyDictionary<ParameterSyntax, Diagnostic> targets, FixOption option)
    {
        var model = document.Model;
        var symbols = targets.Keys.Select(p => model.GetDeclaredSymbol(p, document.CancellationToken)).OfType<IParameterSymbol>().ToList();

        var nodes = new List<SyntaxNode>(targets.Keys);
        nodes.AddRange(document.Root.DescendantNodes().OfType<ArgumentSyntax>()
            .Where(a => !a.RefKindKeyword.IsKind(SyntaxKind.None) && !a.RefKindKeyword.IsKind(SyntaxKind.OutKeyword))
            .Where(a => symbols.Any(s => SymbolEqualityComparer.Default.Equals(ParameterOf(a, model, document.CancellationToken), s))));

        return document.Root.ReplaceNodes(nodes, (_, node) => node switch
        {
            ParameterSyntax parameter => parameter
                .WithModifiers(SyntaxFactory.TokenList(parameter.Modifiers.Where(m => !IsRefKind(m))))
                .WithLeadingTrivia(parameter.GetLeadingTrivia()),
            ArgumentSyntax argument => argument.WithRefKindKeyword(default).WithLeadingTrivia(argument.GetLeadingTrivia()),
            _ => node,
        });
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
