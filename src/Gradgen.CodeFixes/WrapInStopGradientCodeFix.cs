using System.Collections.Generic;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.CodeFixes;

/// <summary>
/// GG0006: wraps the call in <c>Grad.StopGradient(…)</c>, so that it runs as C# and its value is a constant to the
/// gradient. Offered where Gradgen accepts such a call (Gradgen.Generator's StopGradientScope.OpaqueCallFormat): a
/// static, non-generic method taking every argument as a number by value and returning a number, where the call's
/// value is used as a <c>float</c> or <c>double</c> (so wrapping it keeps the code's types).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(WrapInStopGradientCodeFix)), Shared]
public sealed class WrapInStopGradientCodeFix : SingleDiagnosticCodeFix<InvocationExpressionSyntax>
{
    /// <summary>Creates the fix.</summary>
    public WrapInStopGradientCodeFix()
        : base(DiagnosticIds.UnknownCall, new FixOption("Wrap in Grad.StopGradient (no gradient through the call)", DiagnosticIds.UnknownCall + ".stopGradient"))
    {
    }

    /// <inheritdoc/>
    protected override bool CanFix(FixDocument document, InvocationExpressionSyntax target)
    {
        var type = document.Model.GetTypeInfo(target, document.CancellationToken).ConvertedType;
        return document.Model.GetSymbolInfo(target, document.CancellationToken).Symbol is IMethodSymbol method
            && method.IsStatic && !method.IsGenericMethod && IsNumber(method.ReturnType)
            && method.Parameters.Length == target.ArgumentList.Arguments.Count
            && method.Parameters.All(p => p.RefKind == RefKind.None && !p.IsParams && IsNumber(p.Type))
            && type?.SpecialType is SpecialType.System_Single or SpecialType.System_Double;
    }

    /// <inheritdoc/>
    protected override SyntaxNode Fix(FixDocument document, IReadOnlyDictionary<InvocationExpressionSyntax, Diagnostic> targets, FixOption option) =>
        document.Root.ReplaceNodes(targets.Keys, (_, invocation) => StopGradientSyntax.Wrap(invocation));

    private static bool IsNumber(ITypeSymbol type) => type.SpecialType is SpecialType.System_Single or SpecialType.System_Double
        or SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_SByte
        or SpecialType.System_Byte or SpecialType.System_UInt16 or SpecialType.System_UInt32 or SpecialType.System_UInt64;
}
