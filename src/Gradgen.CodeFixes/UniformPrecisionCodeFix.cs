using System.Collections.Generic;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0004: rewrites the signature (return type and parameter types, spans and arrays included) to <c>float</c>
/// everywhere or to <c>double</c> everywhere. The body is left as written.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UniformPrecisionCodeFix)), Shared]
public sealed class UniformPrecisionCodeFix : SingleDiagnosticCodeFix<MethodDeclarationSyntax>
{
    private static readonly FixOption UseFloat = new("Use float everywhere in the signature", DiagnosticIds.MixedPrecision + ".float");
    private static readonly FixOption UseDouble = new("Use double everywhere in the signature", DiagnosticIds.MixedPrecision + ".double");

    /// <summary>Creates the fix.</summary>
    public UniformPrecisionCodeFix()
        : base(DiagnosticIds.MixedPrecision, UseFloat, UseDouble)
    {
    }

    /// <inheritdoc/>
    protected override SyntaxNode Fix(FixDocument document, IReadOnlyDictionary<MethodDeclarationSyntax, Diagnostic> targets, FixOption option)
    {
        var (from, to) = option == UseFloat
            ? (SyntaxKind.DoubleKeyword, SyntaxKind.FloatKeyword)
            : (SyntaxKind.FloatKeyword, SyntaxKind.DoubleKeyword);
        var types = new List<PredefinedTypeSyntax>();
        foreach (var method in targets.Keys)
        {
            var signature = new SyntaxNode[] { method.ReturnType }.Concat(method.ParameterList.Parameters.Select(p => p.Type).OfType<TypeSyntax>());
            types.AddRange(signature.SelectMany(t => t.DescendantNodesAndSelf()).OfType<PredefinedTypeSyntax>().Where(t => t.Keyword.IsKind(from)));
        }

        return document.Root.ReplaceNodes(types, (original, _) =>
            original.WithKeyword(SyntaxFactory.Token(original.Keyword.LeadingTrivia, to, original.Keyword.TrailingTrivia)));
    }
}
