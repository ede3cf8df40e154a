namespace Gradgen.Generator.Ir;

/// <summary>
/// A straight-line graph of primitives: nodes in topological order, the indices of its outputs, and for each node an
/// optional label (the C# source it came from, or the derivative it computes) that emitters print as a comment, and an
/// optional name (the source local that holds it) that emitters build the name of its temporary from.
/// </summary>
internal sealed record IrGraph(EquatableArray<IrNode> Nodes, EquatableArray<int> Outputs, EquatableArray<string> Labels, EquatableArray<string> Names);
