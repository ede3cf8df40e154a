using System.Collections.Generic;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0006: gives the called method a derivative by hand, <c>[Differentiable(Backward = nameof(FVjp))]</c>, and adds
/// a stub <c>FVjp</c> with the signature Gradgen expects (see docs/differentiable.md, "Custom derivatives") whose body
/// throws until it is written. Offered for a static, non-generic method over <c>float</c> or <c>double</c> values,
/// spans and arrays that is declared in the same file and is not <c>[Differentiable]</c> yet.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CustomDerivativeStubCodeFix)), Shared]
public sealed class CustomDerivativeStubCodeFix : SingleDiagnosticCodeFix<InvocationExpressionSyntax>
{
    /// <summary>Creates the fix.</summary>
    public CustomDerivativeStubCodeFix()
        : base(DiagnosticIds.UnknownCall, new FixOption("Add a custom derivative to the called method", DiagnosticIds.UnknownCall + ".stub"))
    {
    }

    /// <inheritdoc/>
    protected override bool CanFix(FixDocument document, InvocationExpressionSyntax target) => Callee(document, target) is not null;

    /// <inheritdoc/>
    protected override SyntaxNode Fix(FixDocument document, IReadOnlyDictionary<InvocationExpressionSyntax, Diagnostic> targets, FixOption option)
    {
        var callees = new Dictionary<MethodDeclarationSyntax, IMethodSymbol>();
        foreach (var invocation in targets.Keys)
        {
            var callee = Callee(document, invocation)!.Value;
            callees[callee.Declaration] = callee.Symbol;
        }

        var fixedRoot = document.Root.TrackNodes(callees.Keys);
        foreach (var pair in callees)
        {
            var declaration = fixedRoot.GetCurrentNode(pair.Key)!;
            string vjp = UniqueName(pair.Value.ContainingType, pair.Value.Name + "Vjp");
            var stub = CustomDerivativeStub.Create(pair.Value, vjp, NewLine(declaration))
                .WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);
            var attributed = declaration.AddAttributeLists(Attribute(vjp)).WithAdditionalAnnotations(Formatter.Annotation);
            fixedRoot = fixedRoot.ReplaceNode(declaration, new SyntaxNode[] { attributed, stub });
        }

        return fixedRoot;
    }

    /// <summary>The method a GG0006 call names, when the fix can give it a custom derivative.</summary>
    private static (MethodDeclarationSyntax Declaration, IMethodSymbol Symbol)? Callee(FixDocument document, InvocationExpressionSyntax invocation)
    {
        if (document.Model.GetSymbolInfo(invocation, document.CancellationToken).Symbol is not IMethodSymbol method
            || !method.IsStatic || method.IsGenericMethod || CustomDerivativeStub.ElementType(method) is null)
        {
            return null;
        }

        var declaration = method.DeclaringSyntaxReferences
            .Where(r => r.SyntaxTree == document.Root.SyntaxTree)
            .Select(r => r.GetSyntax(document.CancellationToken))
            .OfType<MethodDeclarationSyntax>()
            .FirstOrDefault();
        if (declaration is null || SyntaxLookup.HasDifferentiableAttribute(declaration) || (declaration.Body is null && declaration.ExpressionBody is null))
        {
            return null;
        }

        return (declaration, method);
    }

    /// <summary>The file's line break, as the declaration ends with it.</summary>
    private static string NewLine(SyntaxNode declaration) =>
        declaration.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { } end && end.IsKind(SyntaxKind.EndOfLineTrivia)
            ? end.ToString()
            : "\n";

    private static AttributeListSyntax Attribute(string vjp) =>
        SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
            (AttributeSyntax)SyntaxFactory.ParseCompilationUnit($"[global::Gradgen.Differentiable(Backward = nameof({vjp}))] class C {{ }}")
                .DescendantNodes().OfType<AttributeSyntax>().Single()
                .WithAdditionalAnnotations(Simplifier.Annotation)));

    private static string UniqueName(INamedTypeSymbol type, string name)
    {
        string candidate = name;
        for (int i = 2; type.GetMembers(candidate).Length > 0; i++)
        {
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}
