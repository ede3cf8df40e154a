using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.CodeFixes;

/// <summary>
/// The vector-Jacobian product a custom derivative must have (docs/differentiable.md, "Custom derivatives"): the
/// method's inputs as declared, then <c>T gradOutput</c> (or a <c>ReadOnlySpan&lt;T&gt;</c> per <c>Span&lt;T&gt;</c>
/// output of a <c>void</c> method), then a gradient per <c>float</c>/<c>double</c> input, <c>Span&lt;T&gt;</c> for
/// spans and arrays and <c>ref T</c> for values, which it adds to.
/// </summary>
internal static class CustomDerivativeStub
{
    /// <summary><c>float</c> or <c>double</c>: the element type the method's values have; null when it has none or both.</summary>
    public static string? ElementType(IMethodSymbol method)
    {
        var types = method.Parameters.Select(p => Element(p.Type)).Append(Element(method.ReturnType)).OfType<string>().Distinct().ToList();
        return types.Count == 1 ? types[0] : null;
    }

    /// <summary>A <c>private static void</c> stub named <paramref name="name"/> for <paramref name="method"/>, in fully qualified names.</summary>
    public static MemberDeclarationSyntax Create(IMethodSymbol method, string name, string newLine)
    {
        string t = ElementType(method)!;
        var parameters = new List<string>();
        foreach (var p in method.Parameters)
        {
            if (!IsSpan(p.Type, "Span"))
            {
                parameters.Add(p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + " " + p.Name);
            }
        }

        if (method.ReturnsVoid)
        {
            parameters.AddRange(method.Parameters.Where(p => IsSpan(p.Type, "Span")).Select(p => $"global::System.ReadOnlySpan<{t}> grad{Capitalize(p.Name)}"));
        }
        else
        {
            parameters.Add($"{t} gradOutput");
        }

        var gradients = new List<string>();
        foreach (var p in method.Parameters)
        {
            if (IsSpan(p.Type, "ReadOnlySpan") || p.Type is IArrayTypeSymbol)
            {
                parameters.Add($"global::System.Span<{t}> d{p.Name}");
                gradients.Add("d" + p.Name);
            }
            else if (Element(p.Type) is not null && !IsSpan(p.Type, "Span"))
            {
                parameters.Add($"ref {t} d{p.Name}");
                gradients.Add("d" + p.Name);
            }
        }

        string what = gradients.Count == 0 ? "nothing" : string.Join(", ", gradients);
        string text = $"private static void {name}({string.Join(", ", parameters)}) =>{newLine}"
            + $"    throw new global::System.NotImplementedException(\"The derivative of {method.Name}: add the gradients to {what}.\");{newLine}";
        return SyntaxFactory.ParseMemberDeclaration(text)!
            .WithLeadingTrivia(SyntaxFactory.ParseLeadingTrivia(
                $"{newLine}/// <summary>The vector-Jacobian product of <see cref=\"{method.Name}\"/>: Gradgen calls it instead of differentiating the body.</summary>{newLine}"));
    }

    private static string? Element(ITypeSymbol type) => type switch
    {
        { SpecialType: SpecialType.System_Single } => "float",
        { SpecialType: SpecialType.System_Double } => "double",
        IArrayTypeSymbol array => Element(array.ElementType),
        INamedTypeSymbol { IsGenericType: true } named when IsSpan(named, "Span") || IsSpan(named, "ReadOnlySpan") => Element(named.TypeArguments[0]),
        _ => null,
    };

    private static bool IsSpan(ITypeSymbol type, string name) =>
        type is INamedTypeSymbol { IsGenericType: true } named && named.Name == name && named.ContainingNamespace.ToDisplayString() == "System";

    private static string Capitalize(string name) => char.ToUpperInvariant(name[0]) + name.Substring(1);
}
