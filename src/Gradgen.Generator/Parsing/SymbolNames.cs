using Microsoft.CodeAnalysis;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// Name tests of well-known types, part by part. <c>ToDisplayString()</c> builds a string on each call, and these tests
/// run for every call and attribute in every parsed body.
/// </summary>
internal static class SymbolNames
{
    /// <summary>Whether <paramref name="type"/> is the top-level (not nested) type <paramref name="name"/> of <paramref name="namespace"/> (dotted, not empty).</summary>
    public static bool Is(ITypeSymbol? type, string @namespace, string name)
    {
        if (type is null || type.Name != name || type.ContainingType is not null)
        {
            return false;
        }

        // Compare the namespaces from the innermost outwards: "Gradgen.Nn" is Nn inside Gradgen inside the global one.
        int end = @namespace.Length;
        for (var current = type.ContainingNamespace; current is { IsGlobalNamespace: false }; current = current.ContainingNamespace)
        {
            if (end <= 0)
            {
                return false;
            }

            int start = @namespace.LastIndexOf('.', end - 1) + 1;
            if (end - start != current.Name.Length || string.CompareOrdinal(@namespace, start, current.Name, 0, end - start) != 0)
            {
                return false;
            }

            end = start - 1;
        }

        return end == -1;
    }

    /// <summary>Whether <paramref name="attribute"/> is <c>[Differentiable]</c> (<c>Gradgen.DifferentiableAttribute</c>).</summary>
    public static bool IsDifferentiableAttribute(AttributeData attribute) =>
        Is(attribute.AttributeClass, "Gradgen", "DifferentiableAttribute");
}
