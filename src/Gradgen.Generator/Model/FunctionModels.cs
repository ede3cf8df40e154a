using Gradgen.Generator.Ir;
using Gradgen.Generator.Planning;

namespace Gradgen.Generator.Model;

/// <summary>A type that encloses the method, outermost first: its keyword (<c>class</c>, <c>record struct</c>, …) and name with type parameters.</summary>
internal sealed record ContainingType(string Keyword, string NameWithTypeParameters);

/// <summary>Where and how the generated members are declared.</summary>
/// <param name="Namespace">The containing namespace, or empty for the global namespace.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="MetadataName">Fully qualified metadata name of the innermost type (the hint name of the file).</param>
/// <param name="Name">The method's name.</param>
/// <param name="Accessibility">The method's accessibility keywords (<c>public</c>, <c>internal</c>, …).</param>
/// <param name="ElementType"><c>float</c> or <c>double</c>.</param>
/// <param name="ParameterNames">The parameters, in order.</param>
/// <param name="SourceText">The body as the user wrote it, for the XML docs.</param>
/// <param name="EmitTensorOverload">The compilation has <c>Gradgen.Tensor</c> and the method has parameters: generate <c>Tensor F(Tensor, …)</c>.</param>
internal sealed record FunctionSignature(
    string Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string MetadataName,
    string Name,
    string Accessibility,
    string ElementType,
    EquatableArray<string> ParameterNames,
    string SourceText,
    bool EmitTensorOverload)
{
    public bool IsFloat => ElementType == "float";
}

/// <summary>The parse step's result for one function: its signature and its lowered body (no Roslyn objects).</summary>
internal sealed record ParsedFunction(FunctionSignature Signature, IrGraph Body);

/// <summary>The differentiate-and-plan step's result: the kernels the emitters print.</summary>
internal sealed record PlannedFunction(FunctionSignature Signature, FunctionKernels Kernels);

/// <summary>All functions of one containing type: they go into one generated file.</summary>
internal sealed record TypeGroup(string MetadataName, EquatableArray<PlannedFunction> Functions);
