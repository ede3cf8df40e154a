using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Gradgen.CodeFixes;

/// <summary>GG0001: makes the <c>[Differentiable]</c> method <c>static</c>.</summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(MakeStaticCodeFix)), Shared]
public sealed class MakeStaticCodeFix : DocumentCodeFixProvider
{
    private static readonly FixOption MakeStatic = new("Make the method static", DiagnosticIds.MethodMustBeStatic);

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.MethodMustBeStatic);

    /// <inheritdoc/>
    protected override Task<IReadOnlyList<FixOption>> OptionsAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FixOption>>(new[] { MakeStatic });

    /// <inheritdoc/>
    protected override async Task<Document> FixAsync(Document document, string key, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var generator = SyntaxGenerator.GetGenerator(document);
        var methods = SyntaxLookup.EnclosingAll<MethodDeclarationSyntax>(root!, diagnostics);
        var fixedRoot = root!.ReplaceNodes(methods, (_, method) => generator.WithModifiers(method, generator.GetModifiers(method).WithIsStatic(true)));
        return document.WithSyntaxRoot(fixedRoot);
    }
}
