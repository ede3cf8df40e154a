using System.Linq;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// Reads the runtime's <c>[EagerVjp("Op")]</c> declarations. The attribute is internal to Gradgen.Runtime and
/// recognised only there: it is how the runtime's eager operations get their backward from the rule table, not a
/// feature for users. A declaration the generator cannot serve (another assembly, an operation without an eager
/// backward, a parameter count that does not fit, a body already written) gets no body, so the compiler reports the
/// missing implementation of the partial method at the declaration (CS8795).
/// </summary>
internal static class EagerVjpParser
{
    public const string AttributeMetadataName = "Gradgen.EagerVjpAttribute";

    private const string RuntimeAssembly = "Gradgen.Runtime";

    /// <summary>The declaration's function, or null.</summary>
    public static EagerVjpFunction? Parse(GeneratorAttributeSyntaxContext context)
    {
        if (context.SemanticModel.Compilation.AssemblyName != RuntimeAssembly
            || context.TargetSymbol is not IMethodSymbol { IsStatic: true, IsPartialDefinition: true, PartialImplementationPart: null } method
            || context.TargetNode is not MethodDeclarationSyntax
            || context.Attributes.FirstOrDefault() is not { ConstructorArguments.Length: 1 } attribute
            || attribute.ConstructorArguments[0].Value is not string op
            || !IsTensor(method.ReturnType)
            || !method.Parameters.All(p => IsTensor(p.Type) && p.RefKind == RefKind.None)
            || EagerVjpGraphs.InputCount(op) is var inputs && inputs < 0 || method.Parameters.Length != inputs + 2)
        {
            return null;
        }

        var type = method.ContainingType;
        return new EagerVjpFunction(
            type.ContainingNamespace.IsGlobalNamespace ? string.Empty : type.ContainingNamespace.ToDisplayString(),
            FunctionParser.ContainingTypes(type),
            FunctionParser.MetadataName(type),
            new EagerVjpMethod(method.Name, FunctionParser.Accessibility(method), op, method.Parameters.Select(p => p.Name).ToEquatableArray()));
    }

    private static bool IsTensor(ITypeSymbol type) => type.ToDisplayString() == "Gradgen.Tensor";
}
