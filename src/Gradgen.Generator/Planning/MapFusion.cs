using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Planning;

/// <summary>
/// Fuses chains of elementwise maps into one: a map whose only consumer is another map of the same shape is inlined
/// into that consumer's scalar body, so <c>h + Relu(l2(h))</c> is one loop that never stores relu's result. Runs on
/// the forward graph before differentiation, so each fused map's backward is one kernel too (it recomputes the fused
/// intermediates in registers from the map's inputs instead of saving them). Fused nodes are appended; the nodes they
/// replace are left unreachable.
/// </summary>
internal static class MapFusion
{
    /// <summary>The most inputs a fused map takes: its backward kernel takes one more (the gradient), within the runtime's 8.</summary>
    public const int MaxInputs = 7;

    /// <summary>Fuses the graph reachable from <paramref name="output"/>; returns the new output node.</summary>
    public static int Fuse(TensorGraphBuilder b, int output)
    {
        var uses = new int[b.Count];
        var live = Reachable(b, output);
        foreach (int id in live)
        {
            foreach (int input in b[id].Inputs)
            {
                uses[input]++;
            }
        }

        uses[output]++;
        int count = b.Count;
        var replaced = Enumerable.Range(0, count).ToArray();
        foreach (int id in live.OrderBy(i => i))
        {
            var node = b[id];
            var inputs = node.Inputs.Select(i => replaced[i]).ToList();
            if (node.Op != TensorOp.Map)
            {
                replaced[id] = inputs.SequenceEqual(node.Inputs) ? id : b.WithInputs(id, inputs);
                continue;
            }

            // Gather the fused inputs and the bodies to inline: a producer map used only here, of the same shape.
            var fusedInputs = new List<int>();
            var bodyOf = new List<(IrGraph? Body, int[] Inputs, int Node)>();
            bool changed = false;
            for (int i = 0; i < inputs.Count; i++)
            {
                var producer = b[inputs[i]];
                bool fusible = producer.Op == TensorOp.Map && uses[node.Inputs[i]] == 1 && producer.Body!.Outputs.Count == 1
                    && producer.Shape.Equals(node.Shape) && fusedInputs.Union(producer.Inputs).Union(inputs.Skip(i + 1)).Distinct().Count() <= MaxInputs;
                if (fusible)
                {
                    bodyOf.Add((producer.Body, producer.Inputs.AsImmutableArray().ToArray(), inputs[i]));
                    fusedInputs.AddRange(producer.Inputs.Where(p => !fusedInputs.Contains(p)));
                    changed = true;
                }
                else
                {
                    bodyOf.Add((null, new[] { inputs[i] }, inputs[i]));
                    if (!fusedInputs.Contains(inputs[i]))
                    {
                        fusedInputs.Add(inputs[i]);
                    }
                }
            }

            if (!changed)
            {
                replaced[id] = inputs.SequenceEqual(node.Inputs) ? id : b.WithInputs(id, inputs);
                continue;
            }

            var scalar = new GraphBuilder(isFloat: false);
            var parameters = Enumerable.Range(0, fusedInputs.Count).Select(scalar.Parameter).ToArray();
            var operands = bodyOf.Select(part => part.Body is null
                ? parameters[fusedInputs.IndexOf(part.Inputs[0])]
                : ScalarBodies.Inline(scalar, part.Body, part.Inputs.Select(p => parameters[fusedInputs.IndexOf(p)]).ToArray())[0]).ToArray();
            int result = ScalarBodies.Inline(scalar, node.Body!, operands)[node.Index];
            var body = KernelPlanner.Compact(scalar.ToGraph(new[] { result })).Graph;
            replaced[id] = b.Map(body, fusedInputs, node.Label, shapeOf: node.ShapeOf >= 0 ? replaced[node.ShapeOf] : -1);
        }

        return replaced[output];
    }

    /// <summary>The nodes <paramref name="roots"/> depend on.</summary>
    public static HashSet<int> Reachable(TensorGraphBuilder b, params int[] roots)
    {
        var live = new HashSet<int>();
        var stack = new Stack<int>(roots.Where(r => r >= 0));
        while (stack.Count > 0)
        {
            int id = stack.Pop();
            if (live.Add(id))
            {
                foreach (int input in b[id].Inputs)
                {
                    stack.Push(input);
                }

                if (b[id].ShapeOf >= 0)
                {
                    stack.Push(b[id].ShapeOf);
                }
            }
        }

        return live;
    }
}
