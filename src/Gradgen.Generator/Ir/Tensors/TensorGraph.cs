namespace Gradgen.Generator.Ir.Tensors;

/// <summary>
/// A model's Forward as a tensor graph: the nodes in topological order, the output, and the slots of the compiled
/// node (slot 0 the input, then each distinct parameter). After differentiation <see cref="Gradients"/> holds, per
/// slot, the node of its gradient (−1 where it has none), computed from the <see cref="TensorOp"/> GradOutput leaf.
/// </summary>
/// <param name="Nodes">Every node, forward first.</param>
/// <param name="Output">The forward result.</param>
/// <param name="Slots">The node of each slot: the Input node, then Parameter nodes.</param>
/// <param name="Gradients">Per slot, the node of its gradient, or −1; empty before differentiation.</param>
/// <param name="GradOutput">The node of the incoming gradient, or −1 before differentiation.</param>
/// <param name="InputRank">The input's rank this graph was built for.</param>
internal sealed record TensorGraph(
    EquatableArray<TensorNode> Nodes,
    int Output,
    EquatableArray<int> Slots,
    EquatableArray<int> Gradients,
    int GradOutput,
    int InputRank);
