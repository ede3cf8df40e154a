using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Differentiation;

/// <summary>
/// Reverse-mode differentiation over the IR: walks the nodes from the output back in reverse topological order,
/// applies each primitive's vector-Jacobian product from <see cref="PrimitiveRules"/>, and sums the contributions of
/// values used more than once. The adjoint nodes go into the same <see cref="GraphBuilder"/>, so they share and
/// simplify against the forward values.
/// </summary>
internal static class ReverseModeDifferentiator
{
    /// <summary>
    /// Appends to <paramref name="builder"/> the gradient of node <paramref name="output"/> with respect to each
    /// parameter, seeded with node <paramref name="seed"/> (the constant 1 for a gradient, the incoming gradient for a
    /// vector-Jacobian product). Returns one node per parameter (the constant 0 for a parameter that does not matter).
    /// </summary>
    public static int[] Differentiate(GraphBuilder builder, int output, int seed, IReadOnlyList<string> parameterNames)
    {
        var adjoints = new Dictionary<int, int> { [output] = seed };
        for (int id = output; id >= 0; id--)
        {
            if (!adjoints.TryGetValue(id, out int g))
            {
                continue;
            }

            var node = builder[id];
            var rule = PrimitiveRules.Get(node.Op);
            if (rule.Vjp is null)
            {
                continue;
            }

            var operands = node.Args.AsImmutableArray().ToArray();
            var contributions = rule.Vjp(builder, operands, id, g);
            for (int i = 0; i < operands.Length; i++)
            {
                int contribution = contributions[i];
                if (contribution < 0 || builder.IsConstant(contribution, 0))
                {
                    continue;
                }

                string operand = builder.LabelOf(operands[i]);
                if (operand.Length > 0)
                {
                    builder.Label(contribution, "∂/∂(" + operand + ")");
                }

                adjoints[operands[i]] = adjoints.TryGetValue(operands[i], out int sum)
                    ? builder.Add(sum, contribution)
                    : contribution;
            }
        }

        var gradients = new int[parameterNames.Count];
        for (int p = 0; p < gradients.Length; p++)
        {
            gradients[p] = adjoints.TryGetValue(builder.Parameter(p), out int gradient) ? builder.Label(gradient, "∂/∂" + parameterNames[p]) : builder.Constant(0);
        }

        return gradients;
    }
}
