using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Models;

/// <summary>One linear layer of a compiled model and the activation applied to its output (empty for none).</summary>
/// <param name="Field">The field holding the <c>Linear</c>.</param>
/// <param name="Activation">"Sigmoid", "Relu", "Tanh" or empty.</param>
internal sealed record ModelLayer(string Field, string Activation);

/// <summary>
/// A model class the generator compiles: where it is, its layers in order, the activations' kernels, and the fields
/// (or auto-properties) that may hold modules or parameters, in declaration order, for the generated registration.
/// </summary>
internal sealed record CompiledModelInfo(
    string Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string MetadataName,
    string Name,
    EquatableArray<ModelLayer> Layers,
    EquatableArray<PlannedFunction> Activations,
    EquatableArray<string> RegisteredMembers,
    bool BaseIsModule);

/// <summary>The model step's output: a compiled model, or none, and the diagnostics found on the way.</summary>
internal sealed record ModelParseResult(CompiledModelInfo? Model, EquatableArray<DiagnosticInfo> Diagnostics);
