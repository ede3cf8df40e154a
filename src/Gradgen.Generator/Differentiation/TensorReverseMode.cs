using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Ir.Tensors;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Differentiation;

/// <summary>
/// Reverse mode once over a whole model's tensor graph: from the output's gradient back through every node in reverse
/// topological order, each node's contribution from <see cref="TensorRules"/>, contributions to a value used more
/// than once summed by an elementwise add. Only values that depend on the input or a parameter carry gradients.
/// </summary>
internal static class TensorReverseMode
{
    /// <summary>Appends the backward graph; returns the GradOutput node and, per slot, its gradient node (−1 for none).</summary>
    public static (int GradOutput, int[] Gradients) Differentiate(TensorGraphBuilder b, int output, IReadOnlyList<int> slots)
    {
        int forwardCount = b.Count;
        var differentiable = new bool[forwardCount];
        for (int id = 0; id < forwardCount; id++)
        {
            var node = b[id];
            differentiable[id] = node.Op is TensorOp.Input or TensorOp.Parameter
                || (node.Op is not (TensorOp.DropoutMask or TensorOp.DimSize or TensorOp.BatchNormStatistics) && !(node.Op == TensorOp.MaxPool2d && node.Index == 1)
                    && node.Inputs.Any(i => differentiable[i]));
        }

        int seed = b.GradOutput(output);
        var adjoints = new Dictionary<int, int> { [output] = seed };
        for (int id = output; id >= 0; id--)
        {
            if (!adjoints.TryGetValue(id, out int g))
            {
                continue;
            }

            var contributions = TensorRules.Vjp(b, id, g, input => input < forwardCount && differentiable[input]);
            var inputs = b[id].Inputs;
            for (int i = 0; i < inputs.Count; i++)
            {
                int contribution = contributions[i];
                if (contribution < 0)
                {
                    continue;
                }

                int input = inputs[i];
                adjoints[input] = adjoints.TryGetValue(input, out int sum)
                    ? b.Map(ScalarBodies.Add, new[] { sum, contribution }, "Σ ∂/∂(" + b[input].Label + ")")
                    : contribution;
            }
        }

        return (seed, slots.Select(s => adjoints.TryGetValue(s, out int gradient) ? gradient : -1).ToArray());
    }
}
