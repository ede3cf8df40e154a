using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.CodeFixes;

/// <summary>Finds the code a diagnostic points at.</summary>
internal static class SyntaxLookup
{
    /// <summary>The innermost <typeparamref name="T"/> that holds the diagnostic's span, or null.</summary>
    public static T? Enclosing<T>(SyntaxNode root, Location location)
        where T : SyntaxNode =>
        root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<T>().FirstOrDefault();

    /// <summary>Whether the method carries an attribute spelled <c>Differentiable</c> (by syntax: the fixes need no binding for it).</summary>
    public static bool HasDifferentiableAttribute(MethodDeclarationSyntax method) =>
        method.AttributeLists.SelectMany(l => l.Attributes).Any(a =>
        {
            string name = a.Name is QualifiedNameSyntax qualified ? qualified.Right.Identifier.ValueText
                : a.Name is AliasQualifiedNameSyntax alias ? alias.Name.Identifier.ValueText
                : (a.Name as IdentifierNameSyntax)?.Identifier.ValueText ?? string.Empty;
            return name is "Differentiable" or "DifferentiableAttribute";
        });
}
