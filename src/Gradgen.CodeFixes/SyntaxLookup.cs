using System.Collections.Generic;
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

    /// <summary>The distinct <typeparamref name="T"/> nodes that hold each diagnostic's span.</summary>
    public static List<T> EnclosingAll<T>(SyntaxNode root, IEnumerable<Diagnostic> diagnostics)
        where T : SyntaxNode =>
        diagnostics.Select(d => Enclosing<T>(root, d.Location)).OfType<T>().Distinct().ToList();

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
