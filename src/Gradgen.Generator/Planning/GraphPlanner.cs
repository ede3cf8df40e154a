using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;

namespace Gradgen.Generator.Planning;

/// <summary>
/// One step of a planned graph: the node(s) it computes (several for one elementwise kernel with several outputs, or
/// for one run-time call that gives several results), the kernel it runs (an index into the kernel list the planner
/// fills, or −1 for a non-elementwise node), for a backward step the slots whose gradients need it (empty: always run),
/// and the same per node (<see cref="NodeSlots"/>, parallel to <see cref="Nodes"/>). <see cref="Product"/> is the matrix
/// product whose result only this step's kernel reads, folded into it as the product's epilogue (−1 for none).
/// </summary>
internal sealed record PlannedStep(EquatableArray<int> Nodes, int Kernel, EquatableArray<int> Slots, EquatableArray<EquatableArray<int>> NodeSlots, int Product = -1)
{
    /// <summary>Every node the step computes: <see cref="Nodes"/>, and the folded product first when there is one.</summary>
    public IEnumerable<int> Computed => Product >= 0 ? Nodes.Prepend(Product) : Nodes;

    /// <summary>Which input of the step's kernel the folded <see cref="Product"/> is.</summary>
    public int ProductInput(TensorGraph graph) => graph.Nodes[Nodes[0]].Inputs.AsImmutableArray().IndexOf(Product);
}

/// <summary>A differentiated graph planned for emission: forward steps, backward steps, and the elementwise kernels they run.</summary>
internal sealed record GraphPlan(TensorGraph Graph, EquatableArray<PlannedStep> Forward, EquatableArray<PlannedStep> Backward);

/// <summary>
/// Plans a differentiated model graph: what forward computes (what the output needs), what backward computes (what the
/// gradients need, beyond what forward kept), which elementwise nodes are one kernel (the gradients of one map's inputs
/// share its inputs and come out of one loop), and which slots' gradients each backward step serves, so that a slot no
/// one asked for costs nothing. Forward values the backward reads are kept by the backward closure; the intermediates
/// of a fused map are recomputed in registers by its backward kernel, never stored.
/// </summary>
internal static class GraphPlanner
{
    /// <summary>
    /// Plans <paramref name="graph"/>; <paramref name="kernels"/> collects the distinct kernel bodies (shared across
    /// graphs). With <paramref name="fuseProducts"/>, a kernel that reads a matrix product nothing else reads runs as
    /// that product's epilogue (see <see cref="ProductEpilogues"/>).
    /// </summary>
    public static GraphPlan Plan(TensorGraph graph, List<IrGraph> kernels, bool fuseProducts = false)
    {
        var nodes = graph.Nodes;
        var builder = TensorGraphBuilder.FromNodes(graph);
        var forward = MapFusion.Reachable(builder, graph.Output);
        var backward = MapFusion.Reachable(builder, graph.Gradients.Where(g => g >= 0).ToArray());
        backward.ExceptWith(forward);

        // A result the backward reads from a call the forward makes anyway (max pooling's indices) comes from that call.
        forward.UnionWith(backward.Where(id => IsMultiResult(nodes[id].Op) && forward.Any(f => AreResultsOfOneCall(nodes[f], nodes[id]))).ToList());
        backward.ExceptWith(forward);

        // Which slots each backward node serves: the union over the gradients that depend on it.
        var slots = new Dictionary<int, SortedSet<int>>();
        for (int s = 0; s < graph.Gradients.Count; s++)
        {
            if (graph.Gradients[s] < 0)
            {
                continue;
            }

            foreach (int id in MapFusion.Reachable(builder, graph.Gradients[s]))
            {
                if (!slots.TryGetValue(id, out var set))
                {
                    slots[id] = set = new SortedSet<int>();
                }

                set.Add(s);
            }
        }

        var allSlots = Enumerable.Range(0, graph.Gradients.Count).Where(s => graph.Gradients[s] >= 0).ToList();
        var readers = fuseProducts ? Readers(graph, forward.Concat(backward)) : null;
        Dictionary<int, int> EpiloguesOf(HashSet<int> members) => readers is null ? new Dictionary<int, int>() : ProductEpilogues(graph, members, readers);
        return new GraphPlan(graph, Steps(graph, forward, kernels, _ => EquatableArray<int>.Empty, EpiloguesOf(forward)), Steps(graph, backward, kernels, ids =>
        {
            var served = ids.SelectMany(id => slots[id]).Distinct().OrderBy(s => s).ToList();
            return served.Count == allSlots.Count ? EquatableArray<int>.Empty : served.ToEquatableArray();
        }, EpiloguesOf(backward)));
    }

    /// <summary>How many of <paramref name="live"/> read each value (as an input or for its shape).</summary>
    /// <remarks>Only the values the plan computes count: fusing maps leaves dead nodes behind that still name their inputs.</remarks>
    private static Dictionary<int, int> Readers(TensorGraph graph, IEnumerable<int> live)
    {
        var readers = new Dictionary<int, int>();
        foreach (var node in live.Select(id => graph.Nodes[id]))
        {
            foreach (int input in node.Inputs.Append(node.ShapeOf).Where(i => i >= 0).Distinct())
            {
                readers[input] = readers.TryGetValue(input, out int count) ? count + 1 : 1;
            }
        }

        return readers;
    }

    /// <summary>
    /// The kernels of <paramref name="members"/> that run as the epilogue of the product feeding them, by kernel node.
    /// Forward: a Linear's x·Wᵀ + b followed by a kernel of it alone (an activation, a scale) or of it and one other
    /// value of its shape (a residual add); a convolution likewise (its activation, a residual add after it). Backward:
    /// the product that carries a layer's gradient into the activation below it (G·W, W a matrix) followed by that
    /// activation's derivative g·act′(u), or by any kernel of it and one other value of its shape (a sum of gradients).
    /// The product's result is then never stored: each element goes through the kernel as the product writes it. It
    /// must be read by that kernel alone (not the output, nor a gradient the model returns, nor a value the backward
    /// reads), and the kernel must have no other output.
    /// </summary>
    private static Dictionary<int, int> ProductEpilogues(TensorGraph graph, HashSet<int> members, Dictionary<int, int> readers)
    {
        var nodes = graph.Nodes;
        var fused = new Dictionary<int, int>();
        foreach (int id in members)
        {
            var node = nodes[id];
            if (node.Op != TensorOp.Map || node.Inputs.Count is not (1 or 2) || node.ShapeOf >= 0 || node.Inputs.Distinct().Count() != node.Inputs.Count
                || members.Any(other => other != id && IsOutputOfSameKernel(nodes[other], node)))
            {
                continue;
            }

            foreach (int product in node.Inputs)
            {
                var p = nodes[product];
                bool isProduct = p.Op is TensorOp.Linear or TensorOp.Conv2d
                    || (p.Op == TensorOp.MatMul && !p.Flag && nodes[p.Inputs[1]].Rank == 2 && node.Inputs.Count == 2);
                if (isProduct && members.Contains(product) && readers[product] == 1 && product != graph.Output && !graph.Gradients.Contains(product)
                    && node.Inputs.All(i => nodes[i].Shape.Equals(p.Shape)) && node.Shape.Equals(p.Shape))
                {
                    fused[id] = product;
                    break;
                }
            }
        }

        return fused;
    }

    private static bool IsOutputOfSameKernel(TensorNode a, TensorNode b) =>
        a.Op == TensorOp.Map && b.Op == TensorOp.Map && a.Body!.Equals(b.Body) && a.Inputs.Equals(b.Inputs) && a.ShapeOf == b.ShapeOf;

    private static EquatableArray<PlannedStep> Steps(TensorGraph graph, HashSet<int> members, List<IrGraph> kernels, System.Func<IReadOnlyList<int>, EquatableArray<int>> slotsOf, Dictionary<int, int> epilogues)
    {
        var steps = new List<PlannedStep>();
        var done = new HashSet<int>(epilogues.Values);
        foreach (int id in members.OrderBy(i => i))
        {
            if (done.Contains(id))
            {
                continue;
            }

            var node = graph.Nodes[id];
            if (IsMultiResult(node.Op))
            {
                // Every result of the same call that this part of the graph needs: one call.
                var results = members.Where(other => AreResultsOfOneCall(node, graph.Nodes[other])).OrderBy(other => graph.Nodes[other].Index).ToList();
                done.UnionWith(results);
                steps.Add(new PlannedStep(results.ToEquatableArray(), -1, slotsOf(results), results.Select(r => slotsOf(new[] { r })).ToEquatableArray()));
                continue;
            }

            if (node.Op != TensorOp.Map)
            {
                done.Add(id);
                steps.Add(new PlannedStep(new[] { id }.ToEquatableArray(), -1, slotsOf(new[] { id }), new[] { slotsOf(new[] { id }) }.ToEquatableArray()));
                continue;
            }

            // Every output of the same body over the same inputs that this part of the graph needs: one kernel.
            var group = members.Where(other => IsOutputOfSameKernel(graph.Nodes[other], node))
                .OrderBy(other => graph.Nodes[other].Index).ToList();
            done.UnionWith(group);
            var body = KernelPlanner.Compact(node.Body!.Graph(group.Select(g => graph.Nodes[g].Index))).Graph;
            int kernel = kernels.IndexOf(body);
            if (kernel < 0)
            {
                kernels.Add(body);
                kernel = kernels.Count - 1;
            }

            steps.Add(new PlannedStep(group.ToEquatableArray(), kernel, slotsOf(group), group.Select(g => slotsOf(new[] { g })).ToEquatableArray(),
                epilogues.TryGetValue(id, out int product) ? product : -1));
        }

        return steps.ToEquatableArray();
    }

    /// <summary>Operations whose run-time call gives several results, told apart by <see cref="TensorNode.Index"/>.</summary>
    private static bool IsMultiResult(TensorOp op) => op is TensorOp.MaxPool2d or TensorOp.Conv2dGradient or TensorOp.BatchNormGradient;

    private static bool AreResultsOfOneCall(TensorNode a, TensorNode b) =>
        a.Op == b.Op && a.Inputs.Equals(b.Inputs) && a.Text == b.Text;

    /// <summary>The same body with only the outputs at <paramref name="indices"/>.</summary>
    private static IrGraph Graph(this IrGraph body, IEnumerable<int> indices) =>
        body with { Outputs = indices.Select(i => body.Outputs[i]).ToEquatableArray() };
}
