using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Planning;

/// <summary>
/// A counted loop whose iterations are independent but for sums: <c>for (i = …; i &lt; End; i++)</c> whose body is
/// only sum reductions (<c>s += e</c>, <c>s -= e</c>, <c>s = e + s</c>) and element stores <c>y[i] = e</c>, where every
/// <c>e</c> reads elements <c>[i]</c> of arrays the loop does not write and scalars it does not write. Its forward
/// and backward sweeps run whole SIMD vectors, then the scalar loop finishes the tail.
/// </summary>
/// <param name="Counter">The loop counter.</param>
/// <param name="End">The bound, C# text that the loop does not change.</param>
/// <param name="Statements">The body: <see cref="AssignScalar"/> sums and <see cref="StoreElement"/> stores.</param>
internal sealed record VectorLoop(string Counter, string End, IReadOnlyList<LoopStatement> Statements)
{
    /// <summary>The arrays the body reads, in order of first use.</summary>
    public IEnumerable<string> ReadArrays => Operands.Where(o => o.Kind == OperandKind.Element).Select(o => o.Name).Distinct();

    /// <summary>The scalars the body reads and does not write, in order of first use.</summary>
    public IEnumerable<string> ReadScalars => Operands.Where(o => o.Kind == OperandKind.Scalar && !Sums.Any(s => s.Target == o.Name)).Select(o => o.Name).Distinct();

    /// <summary>The sum reductions.</summary>
    public IEnumerable<AssignScalar> Sums => Statements.OfType<AssignScalar>();

    /// <summary>The element stores.</summary>
    public IEnumerable<StoreElement> Stores => Statements.OfType<StoreElement>();

    private IEnumerable<Operand> Operands => Statements.SelectMany(s => s is AssignScalar a ? a.Value.Operands : ((StoreElement)s).Value.Operands);
}

/// <summary>
/// A counted loop like <see cref="VectorLoop"/>'s whose body is only <see cref="RunningExtremum"/>s (e.g. the maximum
/// pass of a log-sum-exp): its forward sweep runs whole vectors, each lane keeping its own extremum, where it was and
/// how many tied, folded into the scalar loop's state per block (<c>Gradgen.Kernels.ExtremumLanes</c>); the scalar loop
/// finishes the tail. The backward sweep stays scalar: with no ties it runs one iteration.
/// </summary>
/// <param name="Counter">The loop counter.</param>
/// <param name="End">The bound, C# text that the loop does not change.</param>
/// <param name="Extrema">The body's statements.</param>
internal sealed record ExtremumVectorLoop(string Counter, string End, IReadOnlyList<RunningExtremum> Extrema)
{
    /// <summary>The arrays the candidates read, in order of first use.</summary>
    public IEnumerable<string> ReadArrays => Operands.Where(o => o.Kind == OperandKind.Element).Select(o => o.Name).Distinct();

    /// <summary>The scalars the candidates read (none is written in the loop), in order of first use.</summary>
    public IEnumerable<string> ReadScalars => Operands.Where(o => o.Kind == OperandKind.Scalar).Select(o => o.Name).Distinct();

    private IEnumerable<Operand> Operands => Extrema.SelectMany(e => e.Assignment.Value.Operands.Where(o => o.Name != e.Target));
}

/// <summary>Decides which loops run as <see cref="VectorLoop"/>s.</summary>
internal static class LoopVectorisation
{
    // The bound of `i < End`: names, member accesses, integer literals and arithmetic, nothing that binds looser than `<`.
    private static readonly Regex Bound = new(@"^[A-Za-z0-9_@.\s+\-*/%()]+$");

    /// <summary>The loop as a <see cref="VectorLoop"/>, or null when an iteration may depend on another or on the tape.</summary>
    public static VectorLoop? Plan(LoopStatementWhile loop, RecordedOverwrites recorded, bool isFloat)
    {
        if (CountedEnd(loop) is not { } end)
        {
            return null;
        }

        string counter = loop.Counter!;
        var written = new HashSet<string>();
        foreach (var statement in loop.Body)
        {
            switch (statement)
            {
                case AssignScalar assign when IsSum(assign) && !recorded.At(assign) && written.Add(assign.Target):
                    break;
                case StoreElement store when store.Index.Text == counter && !recorded.At(store) && written.Add(store.Array):
                    break;
                default:
                    return null;
            }
        }

        foreach (var statement in loop.Body)
        {
            var value = statement is AssignScalar a ? a.Value : ((StoreElement)statement).Value;
            string? own = statement is AssignScalar sum ? sum.Target : null;

            // A C# method called inside Grad.StopGradient has no vector form (the parser gives it a statement of its
            // own, which is not a sum, so this is a guard).
            if (value.Graph.Nodes.Any(n => n.Op == Op.OpaqueCall))
            {
                return null;
            }

            foreach (var operand in value.Operands)
            {
                bool independent = operand.Kind switch
                {
                    OperandKind.Scalar => operand.Name == own || !written.Contains(operand.Name),
                    OperandKind.Element => operand.Index!.Text == counter && !written.Contains(operand.Name),
                    _ => false,
                };
                if (!independent)
                {
                    return null;
                }
            }

            // The backward sweep adds g to the sum's own adjoint and nothing else reads it: the vector body leaves it out.
            if (own is not null && !OwnPartialIsTheIncomingGradient((AssignScalar)statement, isFloat))
            {
                return null;
            }
        }

        return new VectorLoop(counter, end, loop.Body.ToList());
    }

    /// <summary>
    /// The loop as an <see cref="ExtremumVectorLoop"/>, or null unless its body is only running extrema whose
    /// candidates a vector computes bit for bit as the scalar loop does.
    /// </summary>
    public static ExtremumVectorLoop? PlanExtrema(LoopStatementWhile loop)
    {
        if (CountedEnd(loop) is not { } end)
        {
            return null;
        }

        var extrema = RunningExtrema.In(loop);
        if (extrema.Count != loop.Body.Count)
        {
            return null;
        }

        foreach (var extremum in extrema)
        {
            var value = extremum.Assignment.Value;
            bool Lane(int operand) => value.Operands[operand] switch
            {
                { Kind: OperandKind.Element } o => o.Index!.Text == loop.Counter,
                { Kind: OperandKind.Scalar } => true,
                _ => false,
            };
            if (!ExactInVectors(value.Graph, extremum.Candidate, Lane))
            {
                return null;
            }
        }

        return new ExtremumVectorLoop(loop.Counter!, end, extrema);
    }

    /// <summary>
    /// Whether the sub-graph under <paramref name="node"/> uses only operations that IEEE 754 rounds exactly (so the
    /// vector and the scalar form give the same bits; Gradgen's vector exp, log, … are its own approximations), and
    /// operands that <paramref name="lane"/> accepts.
    /// </summary>
    private static bool ExactInVectors(IrGraph graph, int node, System.Func<int, bool> lane)
    {
        var n = graph.Nodes[node];
        return n.Op switch
        {
            Op.Parameter => lane((int)n.Value),
            Op.Constant => true,
            Op.Add or Op.Subtract or Op.Multiply or Op.Divide or Op.Negate or Op.Abs => n.Args.All(a => ExactInVectors(graph, a, lane)),
            _ => false,
        };
    }

    /// <summary>
    /// For <c>for (i = …; i &lt; End; i++)</c> with no break and no other step, the bound <c>End</c> (C# text that the
    /// loop does not change); else null.
    /// </summary>
    private static string? CountedEnd(LoopStatementWhile loop)
    {
        if (loop.Counter is not { } counter || loop.CounterStep != 1 || loop.BreakFlag is not null || loop.Step.Count > 0
            || loop.Condition.Values.Count > 0 || loop.Body.Count == 0)
        {
            return null;
        }

        string prefix = counter + " < ";
        string condition = loop.Condition.Text;
        if (!condition.StartsWith(prefix, System.StringComparison.Ordinal))
        {
            return null;
        }

        string end = condition.Substring(prefix.Length);
        return !Bound.IsMatch(end) || Regex.IsMatch(end, @"(^|[^A-Za-z0-9_@.])" + Regex.Escape(counter) + @"($|[^A-Za-z0-9_])") ? null : end;
    }

    /// <summary><c>s = s + e</c>, <c>s = e + s</c> or <c>s = s − e</c>, where <c>e</c> does not read <c>s</c>.</summary>
    private static bool IsSum(AssignScalar assign)
    {
        var graph = assign.Value.Graph;
        var root = graph.Nodes[graph.Outputs[0]];
        if (root.Op is not (Op.Add or Op.Subtract))
        {
            return false;
        }

        bool IsTarget(int node) => graph.Nodes[node] is { Op: Op.Parameter } p && IsAccumulator(assign, (int)p.Value);
        bool Alone(int other) => !RunningExtrema.Reads(graph, other, k => IsAccumulator(assign, k));
        return (IsTarget(root.Args[0]) && Alone(root.Args[1])) || (root.Op == Op.Add && IsTarget(root.Args[1]) && Alone(root.Args[0]));
    }

    private static bool OwnPartialIsTheIncomingGradient(AssignScalar assign, bool isFloat)
    {
        var partials = LoopReverseMode.Partials(assign.Value, isFloat);
        var graph = partials.Body.Graph;
        for (int k = 0; k < partials.Leaves.Count; k++)
        {
            if (assign.Value.Operands[partials.Leaves[k]] is { Kind: OperandKind.Scalar } o && o.Name == assign.Target)
            {
                return graph.Nodes[graph.Outputs[k]].Op == Op.GradOutput;
            }
        }

        return false;
    }

    /// <summary>Whether operand <paramref name="operand"/> of <paramref name="sum"/> is the sum's own accumulator.</summary>
    public static bool IsAccumulator(AssignScalar sum, int operand) =>
        sum.Value.Operands[operand] is { Kind: OperandKind.Scalar } o && o.Name == sum.Target;
}
