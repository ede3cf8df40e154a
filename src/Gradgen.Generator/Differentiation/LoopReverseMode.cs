using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;
using Gradgen.Generator.Planning;

namespace Gradgen.Generator.Differentiation;

/// <summary>
/// The local derivatives of one statement of a span/loop function: for each leaf of its right-hand side, the incoming
/// gradient times ∂value/∂leaf, by <see cref="ReverseModeDifferentiator"/> over the statement's graph (so every
/// derivative comes from the one rule table). <see cref="Body"/> holds the nodes; output <c>k</c> belongs to leaf
/// <see cref="Leaves"/>[k].
/// </summary>
internal sealed record StatementPartials(KernelBody Body, EquatableArray<int> Leaves);

/// <summary>
/// Reverse mode over a <see cref="LoopFunction"/>, in the store-what-is-overwritten style of Tapenade and Clad: the
/// forward sweep runs the program and pushes onto a tape each value it overwrites that the backward sweep will read,
/// the trip count of each loop and the branch of each if; the backward sweep walks the statements in reverse,
/// restoring each overwritten value before it applies the statement's local derivatives.
/// </summary>
internal static class LoopReverseMode
{
    /// <summary>The local derivatives of <paramref name="expression"/> for every leaf that can carry a gradient.</summary>
    public static StatementPartials Partials(ScalarExpression expression, bool isFloat)
    {
        var builder = GraphBuilder.FromGraph(expression.Graph, isFloat);
        var names = expression.Operands.Select(o => o.Name).ToList();
        var gradients = ReverseModeDifferentiator.Differentiate(builder, expression.Graph.Outputs[0], builder.GradOutput(), names);
        var leaves = new List<int>();
        var outputs = new List<int>();
        for (int k = 0; k < gradients.Length; k++)
        {
            if (expression.Operands[k].Kind != OperandKind.Discrete && !builder.IsConstant(gradients[k], 0))
            {
                leaves.Add(k);
                outputs.Add(gradients[k]);
            }
        }

        return new StatementPartials(KernelPlanner.Compact(builder.ToGraph(outputs)), leaves.ToEquatableArray());
    }

    /// <summary>
    /// The overwrites the forward sweep records, so that the backward sweep can restore the old value: statement S
    /// overwriting v records it when the backward sweep of a statement that can run before S reads v (S itself,
    /// every statement before S, and every statement of a loop around S, which runs again in the next iteration).
    /// A variable is read by the backward sweep as an operand of a local derivative or in an index (a call's
    /// gradient is kept by the forward sweep, so its arguments' values are not read again). Overwrites after the last such read are not recorded:
    /// <c>sum += exp(x[i] − max)</c> followed by <c>return log(sum)</c> records nothing.
    /// </summary>
    public static RecordedOverwrites Recorded(LoopFunction function)
    {
        bool isFloat = function.Declaration.IsFloat;
        var recorded = new RecordedOverwrites();

        void Index(DiscreteText? index, HashSet<string> reads)
        {
            if (index is not null)
            {
                reads.UnionWith(index.Reads);
            }
        }

        void Expression(ScalarExpression expression, HashSet<string> reads)
        {
            foreach (var operand in expression.Operands)
            {
                Index(operand.Index, reads);
            }

            var partials = Partials(expression, isFloat);
            foreach (var node in partials.Body.Nodes)
            {
                if (node.Op == Op.Parameter)
                {
                    var operand = expression.Operands[(int)node.Value];
                    if (operand.Kind != OperandKind.Discrete)
                    {
                        reads.Add(operand.Name);
                    }
                }
            }
        }

        // What the backward sweep of each statement reads, a compound statement's being its children's.
        HashSet<string> Reads(LoopStatement statement)
        {
            var reads = new HashSet<string>();
            switch (statement)
            {
                case AssignScalar assign:
                    Expression(assign.Value, reads);
                    break;
                case StoreElement store:
                    Index(store.Index, reads);
                    Expression(store.Value, reads);
                    break;
                case CallFunction call:
                    // The backward sweep scales the gradient the forward sweep kept: it reads no argument's value,
                    // only the slices' bounds.
                    foreach (var argument in call.Arguments)
                    {
                        Index(argument.SliceStart, reads);
                        Index(argument.SliceLength, reads);
                        Index(argument.Discrete, reads);
                    }

                    break;
                case IfStatement branch:
                    foreach (var inner in branch.Then.Concat(branch.Else))
                    {
                        reads.UnionWith(Reads(inner));
                    }

                    break;
                case LoopStatementWhile loop:
                    foreach (var inner in loop.Body.Concat(loop.Step))
                    {
                        reads.UnionWith(Reads(inner));
                    }

                    break;
            }

            return reads;
        }

        // Walks in program order; readBefore holds what the backward sweeps of the statements that may run earlier read.
        void Walk(IEnumerable<LoopStatement> statements, HashSet<string> readBefore)
        {
            foreach (var statement in statements)
            {
                var reads = Reads(statement);
                switch (statement)
                {
                    case AssignScalar assign:
                        recorded.Set(statement, readBefore.Contains(assign.Target) || reads.Contains(assign.Target));
                        break;
                    case AssignDiscrete assign:
                        recorded.Set(statement, readBefore.Contains(assign.Target));
                        break;
                    case StoreElement store:
                        recorded.Set(statement, readBefore.Contains(store.Array) || reads.Contains(store.Array));
                        break;
                    case CallFunction call:
                        recorded.Set(statement, readBefore.Contains(call.Target) || reads.Contains(call.Target));
                        break;
                    case IfStatement branch:
                        Walk(branch.Then, new HashSet<string>(readBefore));
                        Walk(branch.Else, new HashSet<string>(readBefore));
                        break;
                    case LoopStatementWhile loop:
                        // Every statement of the body and step runs before the next iteration's statements.
                        var inLoop = new HashSet<string>(readBefore);
                        inLoop.UnionWith(reads);
                        Walk(loop.Body.Concat(loop.Step), inLoop);

                        // A running maximum keeps no old values (RunningExtremum); the value before the loop is
                        // recorded once when the backward sweep of an earlier statement reads it.
                        foreach (var extremum in RunningExtrema.In(loop))
                        {
                            recorded.Set(extremum.Assignment, readBefore.Contains(extremum.Target));
                        }

                        break;
                }

                readBefore.UnionWith(reads);
            }
        }

        Walk(function.Body, new HashSet<string>());
        return recorded;
    }
}

/// <summary>Which overwriting statements the forward sweep records (by statement object: equal statements may differ).</summary>
internal sealed class RecordedOverwrites
{
    private readonly Dictionary<LoopStatement, bool> _byStatement = new(ReferenceComparer.Instance);

    /// <summary>
    /// Whether the forward sweep pushes the value <paramref name="statement"/> overwrites; for a
    /// <see cref="RunningExtremum"/>, whether it pushes the value before the loop, once per run of the loop.
    /// </summary>
    public bool At(LoopStatement statement) => _byStatement.TryGetValue(statement, out bool recorded) && recorded;

    internal void Set(LoopStatement statement, bool recorded) => _byStatement[statement] = recorded;

    /// <summary>Compares statements by reference (equal records at two places of a program are two statements).</summary>
    internal sealed class ReferenceComparer : IEqualityComparer<LoopStatement>
    {
        public static readonly ReferenceComparer Instance = new();

        public bool Equals(LoopStatement? x, LoopStatement? y) => ReferenceEquals(x, y);

        public int GetHashCode(LoopStatement obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }
}
