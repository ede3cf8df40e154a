using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;

namespace Gradgen.Generator.Planning;

/// <summary>
/// Turns a function's forward graph into its three fused kernels: differentiates it (seeded with 1 for the gradient,
/// with the incoming gradient for the vector-Jacobian product) and keeps, for each kernel, only the nodes its outputs
/// need. Everything a kernel computes stays in registers for one element, so no value is saved between kernels:
/// backward recomputes the forward values it needs, which costs less than a round trip through memory.
/// </summary>
internal static class KernelPlanner
{
    public static FunctionKernels Plan(IrGraph forward, IReadOnlyList<string> parameterNames, bool isFloat)
    {
        int output = forward.Outputs[0];

        var withGradient = GraphBuilder.FromGraph(forward, isFloat);
        var gradients = ReverseModeDifferentiator.Differentiate(withGradient, output, withGradient.Constant(1), parameterNames);

        var backward = GraphBuilder.FromGraph(forward, isFloat);
        var products = ReverseModeDifferentiator.Differentiate(backward, output, backward.GradOutput(), parameterNames);

        return new FunctionKernels(
            Compact(forward),
            Compact(withGradient.ToGraph(new[] { output }.Concat(gradients))),
            Compact(backward.ToGraph(products)));
    }

    /// <summary>Drops dead nodes and renumbers the live ones, keeping their order.</summary>
    public static KernelBody Compact(IrGraph graph)
    {
        var live = new bool[graph.Nodes.Count];
        var stack = new Stack<int>(graph.Outputs);
        while (stack.Count > 0)
        {
            int id = stack.Pop();
            if (live[id])
            {
                continue;
            }

            live[id] = true;
            foreach (int arg in graph.Nodes[id].Args)
            {
                stack.Push(arg);
            }
        }

        var newIndex = new int[graph.Nodes.Count];
        var nodes = new List<IrNode>();
        var labels = new List<string>();
        var names = new List<string>();
        for (int id = 0; id < graph.Nodes.Count; id++)
        {
            if (!live[id])
            {
                continue;
            }

            var node = graph.Nodes[id];
            newIndex[id] = nodes.Count;
            nodes.Add(node with { Args = node.Args.Select(a => newIndex[a]).ToEquatableArray() });
            labels.Add(graph.Labels[id]);
            names.Add(graph.Names[id]);
        }

        return new KernelBody(new IrGraph(nodes.ToEquatableArray(), graph.Outputs.Select(o => newIndex[o]).ToEquatableArray(), labels.ToEquatableArray(), names.ToEquatableArray()));
    }
}
