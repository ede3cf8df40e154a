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
/// The planner's narrow strategy for a graph that is a chain of <c>Linear</c> layers (with or without biases), each followed by at
/// most one of sigmoid, relu and tanh (<see cref="Planning.LinearChainStrategy"/>): the layers in order, and each
/// activation's kernels (rows in vector lanes, the activation inlined). Any other input runs the general plan.
/// </summary>
internal sealed record LinearChain(
    EquatableArray<ModelLayer> Layers,
    EquatableArray<PlannedFunction> Activations);

/// <summary>The model step's output: a compiled graph (<see cref="Graph"/>) or none, and the diagnostics found on the way.</summary>
internal sealed record ModelParseResult(GraphModelInfo? Graph, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// A model class compiled through the tensor graph: one differentiated graph per input rank it was built for (only
/// rank 2 when every operation acts on the last dim, <see cref="RowWise"/>: then any leading dims are flattened into
/// rows), the run-time checks that must hold for the graph to apply (Sequential contents, nested types, absent biases),
/// the members for the generated registration and nesting, and, for a chain of Linear layers, the strategies tried
/// before the general plan (<see cref="Chain"/>).
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
    bool BaseIsModule)
{
    /// <summary>The layers and kernels of the narrow and device strategies, when the graph is a chain of Linear layers; else null.</summary>
    public LinearChain? Chain { get; init; }
}
