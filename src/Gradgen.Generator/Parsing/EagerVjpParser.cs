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
/// backward, parameters whose count or types do not fit its <see cref="EagerVjpGraphs.Signature"/>, a body already
/// written) gets no body, so the compiler reports the missing implementation of the partial method at the declaration
/// (CS8795).
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
            || EagerVjpGraphs.Signature(op) is not { } signature
            || method.Parameters.Length != signature.Length
            || !method.Parameters.Select((p, i) => p.RefKind == RefKind.None && Fits(p.Type, signature[i])).All(fits => fits))
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

    /// <summary>Whether a parameter's type is what the operation's signature has at its place.</summary>
    private static bool Fits(ITypeSymbol type, EagerVjpParameter kind) => kind switch
    {
        EagerVjpParameter.Tensor => IsTensor(type),
        EagerVjpParameter.Shape or EagerVjpParameter.Ints => type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Int32 },
        _ => type.SpecialType == SpecialType.System_Int32,
    };
}
