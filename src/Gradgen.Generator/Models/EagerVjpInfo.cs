using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Models;

/// <summary>
/// One of the runtime's eager backward functions, declared <c>[EagerVjp("Op")] static partial Tensor F(…)</c>: the
/// generator writes its body from the rule's one-op graph (<see cref="Differentiation.EagerVjpGraphs"/>).
/// </summary>
/// <param name="Name">The method's name.</param>
/// <param name="Accessibility">Its accessibility keywords.</param>
/// <param name="Op">The tensor operation it differentiates (a <see cref="Ir.Tensors.TensorOp"/> name).</param>
/// <param name="ParameterNames">The operation's inputs, then its result, then the incoming gradient.</param>
internal sealed record EagerVjpMethod(string Name, string Accessibility, string Op, EquatableArray<string> ParameterNames);

/// <summary>The eager backward functions of one type, written into one file.</summary>
/// <param name="Namespace">The containing namespace, or empty.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="MetadataName">The innermost type's metadata name (the hint name of the file).</param>
/// <param name="Methods">The functions, by name.</param>
internal sealed record EagerVjpType(string Namespace, EquatableArray<ContainingType> ContainingTypes, string MetadataName, EquatableArray<EagerVjpMethod> Methods);

/// <summary>One declaration as the parser read it, before the functions are grouped by type.</summary>
/// <param name="Namespace">The containing namespace, or empty.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="MetadataName">The innermost type's metadata name.</param>
/// <param name="Method">The function.</param>
internal sealed record EagerVjpFunction(string Namespace, EquatableArray<ContainingType> ContainingTypes, string MetadataName, EagerVjpMethod Method);
