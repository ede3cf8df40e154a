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
    /// The variables whose values the backward sweep reads: every operand of a local derivative, every variable an
    /// index reads, every argument of a call (the callee's backward recomputes from them). Only their overwrites are
    /// recorded; the others are never restored, as no one reads them in reverse.
    /// </summary>
    public static HashSet<string> Recorded(LoopFunction function)
    {
        bool isFloat = function.Declaration.IsFloat;
        var recorded = new HashSet<string>();

        void Index(DiscreteText? index)
        {
            if (index is not null)
            {
                recorded.UnionWith(index.Reads);
            }
        }

        void Expression(ScalarExpression expression)
        {
            foreach (var operand in expression.Operands)
            {
                Index(operand.Index);
            }

            var partials = Partials(expression, isFloat);
            foreach (var node in partials.Body.Nodes)
            {
                if (node.Op == Op.Parameter)
                {
                    var operand = expression.Operands[(int)node.Value];
                    if (operand.Kind != OperandKind.Discrete)
                    {
                        recorded.Add(operand.Name);
                    }
                }
            }
        }

        void Statements(IEnumerable<LoopStatement> statements)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case AssignScalar assign:
                        Expression(assign.Value);
                        break;
                    case StoreElement store:
                        Index(store.Index);
                        Expression(store.Value);
                        break;
                    case CallFunction call:
                        foreach (var argument in call.Arguments)
                        {
                            if (argument.Kind != VariableKind.Discrete)
                            {
                                recorded.Add(argument.Name);
                            }

                            Index(argument.SliceStart);
                            Index(argument.SliceLength);
                            Index(argument.Discrete);
                        }

                        break;
                    case IfStatement branch:
                        Statements(branch.Then);
                        Statements(branch.Else);
                        break;
                    case LoopStatementWhile loop:
                        Statements(loop.Body);
                        Statements(loop.Step);
                        break;
                }
            }
        }

        Statements(function.Body);
        return recorded;
    }
}
