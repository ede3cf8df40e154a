using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Differentiation;

/// <summary>
/// A running maximum or minimum, <c>m = Max(m, e)</c> (or <c>Min</c>, either argument order), run once per iteration of a
/// loop in which nothing else reads or writes <c>m</c>, and where <c>e</c> does not read <c>m</c>.
/// </summary>
/// <remarks>
/// The backward sweep of such a statement needs the old value of <c>m</c> only for Max's own derivative, and that
/// derivative needs only how the old value compares with <c>e</c>. After the last iteration that raised <c>m</c>
/// (<c>e &gt; m</c>; for Min, lowered it) the old value is the final one; at that iteration any value below
/// <c>e</c> compares the same (the gradient goes to <c>e</c>), and before it the incoming gradient of <c>m</c> is zero.
/// So the forward sweep keeps the number of that iteration instead of taping every old value, and the backward sweep
/// uses the final value, or −∞ (Min: +∞) from that iteration down. This holds for every input without NaN; where
/// <c>e</c> is NaN the value is NaN and the gradient differs from the taped form's (see docs/differentiable.md).
/// </remarks>
/// <param name="Statement">The statement <c>m = Max(m, e)</c>.</param>
/// <param name="IsMax">Max (true) or Min (false).</param>
/// <param name="Operand">The index of the operand <c>m</c> in the statement's expression.</param>
/// <param name="Candidate">The graph node of <c>e</c>.</param>
internal sealed record RunningExtremum(AssignScalar Statement, bool IsMax, int Operand, int Candidate);

/// <summary>Finds the <see cref="RunningExtremum"/> statements of a loop.</summary>
internal static class RunningExtrema
{
    /// <summary>The running maxima and minima among the top-level statements of <paramref name="loop"/>'s body.</summary>
    public static IReadOnlyList<RunningExtremum> In(LoopStatementWhile loop)
    {
        var found = new List<RunningExtremum>();
        foreach (var statement in loop.Body.OfType<AssignScalar>())
        {
            if (Match(statement) is { } extremum && MentionCount(loop, statement.Target) == 1)
            {
                found.Add(extremum);
            }
        }

        return found;
    }

    private static RunningExtremum? Match(AssignScalar statement)
    {
        var graph = statement.Value.Graph;
        var root = graph.Nodes[graph.Outputs[0]];
        if (root.Op is not (Op.Max or Op.Min))
        {
            return null;
        }

        for (int side = 0; side < 2; side++)
        {
            var node = graph.Nodes[root.Args[side]];
            if (node.Op == Op.Parameter && IsTarget(statement, (int)node.Value)
                && !Reads(graph, root.Args[1 - side], k => IsTarget(statement, k)))
            {
                return new RunningExtremum(statement, root.Op == Op.Max, (int)node.Value, root.Args[1 - side]);
            }
        }

        return null;
    }

    private static bool IsTarget(AssignScalar statement, int operand) =>
        statement.Value.Operands[operand] is { Kind: OperandKind.Scalar } o && o.Name == statement.Target;

    /// <summary>Whether the sub-graph under <paramref name="node"/> has a parameter that satisfies <paramref name="operand"/>.</summary>
    internal static bool Reads(IrGraph graph, int node, System.Func<int, bool> operand)
    {
        var n = graph.Nodes[node];
        return n.Op == Op.Parameter ? operand((int)n.Value) : n.Args.Any(a => Reads(graph, a, operand));
    }

    /// <summary>How many statements of the loop (its condition counted as one) read or write <paramref name="variable"/>.</summary>
    private static int MentionCount(LoopStatementWhile loop, string variable)
    {
        int count = Mentions(loop.Condition, variable) ? 1 : 0;
        foreach (var statement in loop.Body.Concat(loop.Step))
        {
            count += MentionCount(statement, variable);
        }

        return count;
    }

    private static int MentionCount(LoopStatement statement, string variable) => statement switch
    {
        AssignScalar assign => assign.Target == variable || Mentions(assign.Value, variable) ? 1 : 0,
        AssignDiscrete assign => Mentions(assign.Value, variable) ? 1 : 0,
        StoreElement store => Mentions(store.Value, variable) ? 1 : 0,
        CallFunction call => call.Target == variable || call.Arguments.Any(a => a.Name == variable) ? 1 : 0,
        IfStatement branch => (Mentions(branch.Condition, variable) ? 1 : 0) + branch.Then.Concat(branch.Else).Sum(s => MentionCount(s, variable)),
        LoopStatementWhile loop => MentionCount(loop, variable),
        _ => 0,
    };

    private static bool Mentions(ScalarExpression expression, string variable) =>
        expression.Operands.Any(o => o.Kind != OperandKind.Discrete && o.Name == variable);

    private static bool Mentions(DiscreteExpression expression, string variable) =>
        expression.Values.Any(v => Mentions(v, variable));
}
