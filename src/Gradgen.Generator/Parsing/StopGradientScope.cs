using System.Linq;
using System.Threading;
using Gradgen.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// <c>Grad.StopGradient(e)</c> says that <c>e</c> is a constant to differentiation. Inside it an integer cast does not
/// warn (GG0009), and a call of a method Gradgen has no derivative for is allowed: it becomes an
/// <see cref="Op.OpaqueCall"/> that runs as C#. Such a call can only run in plain C#, so a method that makes one (or
/// calls one that does) is compiled as a span/loop function, whose code is plain C#, not as SIMD and CUDA kernels.
/// </summary>
internal static class StopGradientScope
{
    /// <summary>Whether <paramref name="node"/> is inside the argument of <c>Grad.StopGradient</c>, at any depth of the same body.</summary>
    public static bool Contains(SemanticModel model, SyntaxNode node, CancellationToken cancellationToken)
    {
        foreach (var ancestor in node.Ancestors())
        {
            if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
            {
                return false;
            }

            if (ancestor is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } } && IsStopGradient(model, invocation, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The C# of a call of <paramref name="callee"/> as an <see cref="IrNode.Callee"/> format string, each argument cast to
    /// its parameter's type; null when an opaque call cannot make it: it must be static and not generic, take numbers
    /// by value and return a number.
    /// </summary>
    public static string? OpaqueCallFormat(IMethodSymbol callee)
    {
        if (!callee.IsStatic || callee.IsGenericMethod || callee.ReturnsVoid || !KnownFunctions.IsNumeric(callee.ReturnType)
            || callee.Parameters.Any(p => p.RefKind != RefKind.None || p.IsParams || !KnownFunctions.IsNumeric(p.Type)))
        {
            return null;
        }

        var arguments = callee.Parameters.Select((p, i) => "(" + p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "){" + i + "}");
        string type = callee.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        return type + "." + callee.Name + "(" + string.Join(", ", arguments) + ")";
    }

    /// <summary>Whether <paramref name="declaration"/>'s body calls, inside <c>Grad.StopGradient</c>, a method only an opaque call can make.</summary>
    public static bool HasOpaqueCall(MethodDeclarationSyntax declaration, SemanticModel model, CancellationToken cancellationToken) =>
        declaration.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(invocation => IsOpaqueCall(invocation, model, cancellationToken));

    /// <summary>Whether <paramref name="invocation"/> calls, inside <c>Grad.StopGradient</c>, a method only an opaque call can make.</summary>
    public static bool IsOpaqueCall(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken) =>
        InsideStopGradientCall(invocation)
        && model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol callee
        && !FunctionParser.IsDifferentiable(callee) && !KnownFunctions.TryGet(callee, out _) && !KnownFunctions.IsLogWithBase(callee)
        && invocation.ArgumentList.Arguments.Count == callee.Parameters.Length
        && OpaqueCallFormat(callee) is not null
        && Contains(model, invocation, cancellationToken);

    /// <summary>
    /// The syntax test before <see cref="Contains"/>: inside the arguments of a call of a method named StopGradient (as
    /// <c>Grad.StopGradient(…)</c>, or <c>StopGradient(…)</c> after <c>using static</c>). Binding every call of every
    /// body to find the few inside one was a large part of the parse.
    /// </summary>
    private static bool InsideStopGradientCall(SyntaxNode node)
    {
        foreach (var ancestor in node.Ancestors())
        {
            if (ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
            {
                return false;
            }

            if (ancestor is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } }
                && invocation.Expression is SimpleNameSyntax { Identifier.Text: "StopGradient" } or MemberAccessExpressionSyntax { Name.Identifier.Text: "StopGradient" })
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsStopGradient(SemanticModel model, InvocationExpressionSyntax invocation, CancellationToken cancellationToken) =>
        model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol callee && KnownFunctions.TryGet(callee, out var op) && op == Op.StopGradient;
}
