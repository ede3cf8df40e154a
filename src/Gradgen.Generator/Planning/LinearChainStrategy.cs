using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;
using Gradgen.Generator.Models;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Planning;

/// <summary>
/// The planner's strategy for the commonest graph: the input through a chain of <c>Linear</c> layers, each
/// followed by at most one of sigmoid, relu and tanh. When every layer is narrow (at most 16 features) such a graph
/// runs with its rows in vector lanes (the runtime's <c>CompiledModel.RunNarrow</c>); otherwise, and for any input that
/// strategy does not take, the general plan runs.
/// </summary>
internal static class LinearChainStrategy
{
    private static readonly (string Name, IrGraph Body)[] Activations =
    {
        ("Sigmoid", ScalarBodies.Build(1, (b, p) => b.Apply(Op.Sigmoid, p[0]), string.Empty)),
        ("Relu", ScalarBodies.Build(1, (b, p) => ScalarBodies.Relu(b, p[0]), string.Empty)),
        ("Tanh", ScalarBodies.Build(1, (b, p) => b.Apply(Op.Tanh, p[0]), string.Empty)),
    };

    /// <summary>The scalar body of the activation named <paramref name="activation"/> ("Sigmoid", "Relu" or "Tanh").</summary>
    public static IrGraph Body(string activation) => Activations.First(a => a.Name == activation).Body;

    /// <summary>The layers, first to last, when <paramref name="graph"/>'s forward is such a chain; else null.</summary>
    public static List<ModelLayer>? Match(TensorGraph graph)
    {
        var nodes = graph.Nodes;
        var layers = new List<ModelLayer>();
        var chain = new HashSet<int>();
        int id = graph.Output;
        while (nodes[id].Op != TensorOp.Input)
        {
            string activation = string.Empty;
            if (nodes[id].Op == TensorOp.Map)
            {
                activation = Activations.FirstOrDefault(a => SameComputation(a.Body, nodes[id].Body!)).Name ?? string.Empty;
                if (activation.Length == 0 || nodes[id].Inputs.Count != 1)
                {
                    return null;
                }

                chain.Add(id);
                id = nodes[id].Inputs[0];
            }

            var linear = nodes[id];
            // With or without its bias (a layer built with bias: false has none; the narrow pass adds none then).
            if (linear.Op != TensorOp.Linear || linear.Inputs.Count is not (2 or 3) || !nodes[linear.Inputs[1]].Text.EndsWith(".Weight", System.StringComparison.Ordinal))
            {
                return null;
            }

            string weight = nodes[linear.Inputs[1]].Text;
            layers.Insert(0, new ModelLayer(linear.Label, activation, weight.Substring(0, weight.Length - ".Weight".Length)));
            chain.Add(id);
            chain.UnionWith(linear.Inputs.Skip(1));
            id = linear.Inputs[0];
        }

        chain.Add(id);

        // Nothing else in forward (no value used twice, no other operation), and no layer applied twice.
        var forward = MapFusion.Reachable(TensorGraphBuilder.FromNodes(graph), graph.Output);
        bool distinct = layers.Select(l => l.Access).Distinct().Count() == layers.Count;
        return forward.SetEquals(chain) && distinct && nodes[id].Rank == 2 ? layers : null;
    }

    /// <summary>Whether two bodies compute the same thing (the comments may differ).</summary>
    private static bool SameComputation(IrGraph a, IrGraph b) => a.Nodes.Equals(b.Nodes) && a.Outputs.Equals(b.Outputs);
}
