using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Models;

/// <summary>One linear layer of a compiled model and the activation applied to its output (empty for none).</summary>
/// <param name="Field">The layer as the user wrote it, for comments: a field (<c>hidden</c>) or a Sequential's element (<c>body[0]</c>).</param>
/// <param name="Activation">"Sigmoid", "Relu", "Tanh" or empty.</param>
/// <param name="Access">The C# expression that reads the <c>Linear</c> in the generated code.</param>
internal sealed record ModelLayer(string Field, string Activation, string Access);

/// <summary>
/// A model class the generator compiles: where it is, its layers in order, the activations' kernels (each applied as
/// a matrix-product epilogue) with their derivatives in terms of the activation's output (z is never stored), the run-time
/// checks that must hold for the chain to apply (Sequential contents, nested model types), and the fields (or
/// auto-properties) that may hold modules or parameters, in declaration order, for the generated registration.
/// </summary>
internal sealed record CompiledModelInfo(
    string Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string MetadataName,
    string Name,
    EquatableArray<ModelLayer> Layers,
    EquatableArray<string> Guards,
    EquatableArray<PlannedFunction> Activations,
    EquatableArray<PlannedFunction> Derivatives,
    EquatableArray<string> RegisteredMembers,
    bool BaseIsModule);

/// <summary>The model step's output: a compiled Linear chain, a compiled graph (<see cref="Graph"/>), or none, and the diagnostics found on the way.</summary>
internal sealed record ModelParseResult(CompiledModelInfo? Model, EquatableArray<DiagnosticInfo> Diagnostics)
{
    /// <summary>The model compiled through the tensor graph, when it is not a Linear chain.</summary>
    public GraphModelInfo? Graph { get; init; }
}

/// <summary>
/// A model class compiled through the tensor graph: one differentiated graph per input rank it was built for (only
/// rank 2 when every operation acts on the last dim, <see cref="RowWise"/>: then any leading dims are flattened into
/// rows), the run-time checks that must hold for the graph to apply (Sequential contents, nested types, absent biases),
/// and the members for the generated registration and nesting.
/// </summary>
internal sealed record GraphModelInfo(
    string Namespace,
    EquatableArray<ContainingType> ContainingTypes,
    string MetadataName,
    string Name,
    EquatableArray<Ir.Tensors.TensorGraph> Graphs,
    bool RowWise,
    EquatableArray<string> Guards,
    EquatableArray<string> RegisteredMembers,
    bool BaseIsModule);
