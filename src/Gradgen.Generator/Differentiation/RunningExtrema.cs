using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Differentiation;

/// <summary>How a <see cref="RunningExtremum"/> treats a candidate; the names of <c>Gradgen.Kernels.RunningExtremumRule</c>.</summary>
internal enum ExtremumRule
{
    /// <summary><c>m = Max(m, e)</c>: NaN propagates; equal candidates tie and share the gradient.</summary>
    Max,

    /// <summary><c>m = Min(m, e)</c>.</summary>
    Min,

    /// <summary><c>if (e &gt; m) m = e;</c>: the first of equal candidates stays; NaN never replaces.</summary>
    FirstMax,

    /// <summary><c>if (e &gt;= m) m = e;</c>: the last of equal candidates replaces.</summary>
    LastMax,

    /// <summary><c>if (e &lt; m) m = e;</c></summary>
    FirstMin,

    /// <summary><c>if (e &lt;= m) m = e;</c></summary>
    LastMin,
}

/// <summary>
/// A running maximum or minimum, <c>m = Max(m, e)</c> (or <c>Min</c>, either argument order) or
/// <c>if (e &gt; m) m = e;</c> (or <c>&lt;</c>, <c>&gt;=</c>, <c>&lt;=</c>, either side), run once per iteration of a
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
/// The <c>if</c> form is simpler still: only the iteration of its last assignment passes a gradient (to <c>e</c>),
/// NaN included, since a NaN candidate never assigns.
/// </remarks>
/// <param name="Statement">The statement in the loop body: <c>m = Max(m, e)</c>, or the <see cref="IfStatement"/>.</param>
/// <param name="Assignment">The assignment to <c>m</c>: <see cref="Statement"/> itself, or the <c>if</c>'s <c>m = e</c>.</param>
/// <param name="Rule">Which extremum it keeps.</param>
/// <param name="Candidate">The graph node of <c>e</c> in <see cref="Assignment"/>'s expression.</param>
internal sealed record RunningExtremum(LoopStatement Statement, AssignScalar Assignment, ExtremumRule Rule, int Candidate)
{
    /// <summary>The variable <c>m</c>.</summary>
    public string Target => Assignment.Target;

    /// <summary>A maximum (true) or a minimum.</summary>
    public bool IsMax => Rule is ExtremumRule.Max or ExtremumRule.FirstMax or ExtremumRule.LastMax;

    /// <summary>Whether it is the <c>Max</c>/<c>Min</c> call, whose ties share the gradient (else the <c>if</c> form).</summary>
    public bool CountsTies => Rule is ExtremumRule.Max or ExtremumRule.Min;
}

/// <summary>Finds the <see cref="RunningExtremum"/> statements of a loop.</summary>
internal static class RunningExtrema
{
    /// <summary>The running maxima and minima among the top-level statements of <paramref name="loop"/>'s body.</summary>
    public static IReadOnlyList<RunningExtremum> In(LoopStatementWhile loop)
    {
        var found = new List<RunningExtremum>();
        foreach (var statement in loop.Body)
        {
            var extremum = statement switch
            {
                AssignScalar assign => Match(assign),
                IfStatement branch => Match(branch),
                _ => null,
            };
            if (extremum is not null && MentionCount(loop, extremum.Target) == MentionCount(statement, extremum.Target))
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
                return new RunningExtremum(statement, statement, root.Op == Op.Max ? ExtremumRule.Max : ExtremumRule.Min, root.Args[1 - side]);
            }
        }

        return null;
    }

    /// <summary><c>if (e OP m) m = e;</c> or <c>if (m OP e) m = e;</c> with no else, for OP one of &lt; &gt; &lt;= &gt;=.</summary>
    private static RunningExtremum? Match(IfStatement branch)
    {
        var values = branch.Condition.Values;
        if (branch.Else.Count != 0 || branch.Then.Count != 1 || branch.Then[0] is not AssignScalar assign || values.Count != 2)
        {
            return null;
        }

        string? op = branch.Condition.Text switch
        {
            "{0} > {1}" => ">",
            "{0} >= {1}" => ">=",
            "{0} < {1}" => "<",
            "{0} <= {1}" => "<=",
            _ => null,
        };
        if (op is null)
        {
            return null;
        }

        // e OP m as written, or m OP e, which reads as e with the mirrored OP.
        if (IsVariable(values[0], assign.Target) && values[1].Equals(assign.Value))
        {
            op = op switch { ">" => "<", ">=" => "<=", "<" => ">", _ => ">=" };
        }
        else if (!(IsVariable(values[1], assign.Target) && values[0].Equals(assign.Value)))
        {
            return null;
        }

        var graph = assign.Value.Graph;
        if (Reads(graph, graph.Outputs[0], k => IsTarget(assign, k)))
        {
            return null;
        }

        var rule = op switch
        {
            ">" => ExtremumRule.FirstMax,
            ">=" => ExtremumRule.LastMax,
            "<" => ExtremumRule.FirstMin,
            _ => ExtremumRule.LastMin,
        };
        return new RunningExtremum(branch, assign, rule, graph.Outputs[0]);
    }

    private static bool IsVariable(ScalarExpression value, string variable) =>
        value.Graph.Nodes[value.Graph.Outputs[0]] is { Op: Op.Parameter } p && value.Operands[(int)p.Value] is { Kind: OperandKind.Scalar } o && o.Name == variable;

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
