using System.Collections.Generic;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0002: adds <c>partial</c> to the type, to every type that encloses it, and to the types inside it that lead to a
/// <c>[Differentiable]</c> method, so that one fix leaves the whole chain partial.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix)), Shared]
public sealed class MakePartialCodeFix : SingleDiagnosticCodeFix<TypeDeclarationSyntax>
{
    /// <summary>Creates the fix.</summary>
    public MakePartialCodeFix()
        : base(DiagnosticIds.TypeMustBePartial, new FixOption("Make the type and its enclosing types partial", DiagnosticIds.TypeMustBePartial))
    {
    }

    /// <inheritdoc/>
    protected override SyntaxNode Fix(FixDocument document, IReadOnlyDictionary<TypeDeclarationSyntax, Diagnostic> targets, FixOption option)
    {
        var types = new HashSet<TypeDeclarationSyntax>();
        foreach (var type in targets.Keys)
        {
            types.UnionWith(type.AncestorsAndSelf().OfType<TypeDeclarationSyntax>());
            var inner = type.DescendantNodes().OfType<MethodDeclarationSyntax>().Where(SyntaxLookup.HasDifferentiableAttribute);
            types.UnionWith(inner.SelectMany(m => m.Ancestors().OfType<TypeDeclarationSyntax>().TakeWhile(t => t != type)));
        }

        types.RemoveWhere(t => t.Modifiers.Any(SyntaxKind.PartialKeyword));
        var generator = SyntaxGenerator.GetGenerator(document.Document);
        return document.Root.ReplaceNodes(types, (_, type) => generator.WithModifiers(type, generator.GetModifiers(type).WithPartial(true)));
    }
}
