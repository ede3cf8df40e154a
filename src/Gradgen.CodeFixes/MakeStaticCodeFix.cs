using System.Collections.Generic;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Gradgen.CodeFixes;

/// <summary>GG0001: makes the <c>[Differentiable]</c> method <c>static</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeStaticCodeFix)), Shared]
public sealed class MakeStaticCodeFix : SingleDiagnosticCodeFix<MethodDeclarationSyntax>
{
    /// <summary>Creates the fix.</summary>
    public MakeStaticCodeFix()
        : base(DiagnosticIds.MethodMustBeStatic, new FixOption("Make the method static", DiagnosticIds.MethodMustBeStatic))
    {
    }

    /// <inheritdoc/>
    protected override SyntaxNode Fix(FixDocument document, IReadOnlyDictionary<MethodDeclarationSyntax, Diagnostic> targets, FixOption option)
    {
        var generator = SyntaxGenerator.GetGenerator(document.Document);
        return document.Root.ReplaceNodes(targets.Keys, (_, method) => generator.WithModifiers(method, generator.GetModifiers(method).WithIsStatic(true)));
    }
}
