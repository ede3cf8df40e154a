using System;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Emitters.Formulas;

/// <summary>
/// Turns a node of the IR into its <see cref="Sum"/>: exact algebra (sums flattened, like terms collected, equal
/// factors raised to powers, fractions kept exact, integer powers as powers), with every other primitive an atom over
/// normal forms of its operands. It never changes the value of the formula (IEEE details aside: x/x is 1).
/// </summary>
internal sealed class NormalForm
{
    private const int MaxIntegerPower = 16;

    private readonly IrGraph _graph;
    private readonly string[] _parameterNames;
    private readonly string _gradOutputName;
    private readonly bool _isFloat;
    private readonly Sum?[] _sums;
    private readonly int[] _first;

    private NormalForm(IrGraph graph, string[] parameterNames, string gradOutputName, bool isFloat)
    {
        (_graph, _parameterNames, _gradOutputName, _isFloat) = (graph, parameterNames, gradOutputName, isFloat);
        _sums = new Sum?[graph.Nodes.Count];
        _first = new int[graph.Nodes.Count];
    }

    /// <summary>
    /// The normal forms of the nodes of <paramref name="graph"/>, for a function of float (<paramref name="isFloat"/>)
    /// or double precision, which decides how its constants print. One instance serves every output of a graph: the
    /// value and the gradients share most of their nodes, and each node is converted once.
    /// </summary>
    public static NormalForm For(IrGraph graph, string[] parameterNames, string gradOutputName, bool isFloat) =>
        new(graph, parameterNames, gradOutputName, isFloat);

    /// <summary>
    /// The normal form of node <paramref name="output"/>. Throws <see cref="OverflowException"/> or
    /// <see cref="DivideByZeroException"/> where exact fractions cannot hold it (the caller then prints the IR as is).
    /// </summary>
    public Sum Of(int output)
    {
        // Nodes are in topological order: convert the ones the output reads, operands first, without recursion; those
        // an earlier output needed are converted already.
        var needed = new bool[output + 1];
        needed[output] = true;
        for (int id = output; id >= 0; id--)
        {
            if (needed[id] && _sums[id] is null)
            {
                foreach (int arg in _graph.Nodes[id].Args)
                {
                    needed[arg] = true;
                }
            }
        }

        for (int id = 0; id <= output; id++)
        {
            if (needed[id] && _sums[id] is null)
            {
                var node = _graph.Nodes[id];
                _first[id] = node.Op is Op.Parameter or Op.Constant or Op.GradOutput ? int.MaxValue : node.Args.Aggregate(id, (min, arg) => Math.Min(min, _first[arg]));
                _sums[id] = Convert(id, node);
            }
        }

        return _sums[output]!;
    }

    private Sum Convert(int id, IrNode node)
    {
        Sum Arg(int i) => _sums[node.Args[i]]!;
        Position At(int i) => PositionOf(node.Args[i]);

        switch (node.Op)
        {
            case Op.Parameter:
                return Sum.Of(Atom.Symbol(_parameterNames[(int)node.Value], new Position(id, id)));
            case Op.GradOutput:
                return Sum.Of(Atom.Symbol(_gradOutputName, new Position(id, id)));
            case Op.Constant:
                return Constant(node.Value);
            case Op.Add:
                return Sum.Add(Arg(0), Arg(1));
            case Op.Subtract:
                return Sum.Add(Arg(0), Sum.Scale(Arg(1), -Rational.One));
            case Op.Negate:
                return Sum.Scale(Arg(0), -Rational.One);
            case Op.Multiply:
                return Sum.Multiply(Arg(0), At(0), Arg(1), At(1));
            case Op.Divide:
                return Sum.Multiply(Arg(0), At(0), Sum.Power(Arg(1), At(1), -1), At(1));
            case Op.FusedMultiplyAdd:
                return Sum.Add(Sum.Multiply(Arg(0), At(0), Arg(1), At(1)), Arg(2));
            case Op.Pow when IsSmallInteger(_graph.Nodes[node.Args[1]]):
                return Sum.Power(Arg(0), At(0), (int)_graph.Nodes[node.Args[1]].Value);
        }

        var arguments = node.Args.Select(a => _sums[a]!).ToArray();
        return Sum.Of(Atom.Call(CallName(node), arguments, PositionOf(id)));
    }

    private Position PositionOf(int id) => new(_first[id], id);

    private static bool IsSmallInteger(IrNode node) =>
        node.Op == Op.Constant && node.Value == Math.Round(node.Value) && Math.Abs(node.Value) <= MaxIntegerPower;

    /// <summary>A fraction, a rational multiple of π, a named constant (<see cref="NamedConstants"/>), or the number as printed at the function's precision.</summary>
    private Sum Constant(double value)
    {
        if (Rational.TryFrom(value, out var rational))
        {
            return Sum.Of(rational);
        }

        var sign = value < 0 ? -Rational.One : Rational.One;
        double magnitude = Math.Abs(value);
        for (int denominator = 1; denominator <= 12 && !double.IsInfinity(magnitude); denominator++)
        {
            double multiple = Math.Round(magnitude / Math.PI * denominator);
            if (multiple > 0 && multiple <= 1000 && Math.Abs(magnitude - (multiple * Math.PI / denominator)) <= 1e-6 * magnitude)
            {
                return Sum.Scale(Sum.Of(Atom.Constant("π")), sign * Rational.Of((long)multiple, denominator));
            }
        }

        if (NamedConstants.TryMatch(magnitude, _isFloat, out string name, out int exponent, out int coefficient))
        {
            return Sum.Of(new Term(sign * Rational.Of(coefficient, 1), new[] { new Factor(Atom.Constant(name), exponent) }));
        }

        string text = double.IsNaN(value) ? "NaN" : double.IsInfinity(value) ? "∞" : Literals.Math(magnitude, _isFloat);
        return Sum.Scale(Sum.Of(Atom.Constant(text)), double.IsNaN(value) ? Rational.One : sign);
    }

    /// <summary>The function name (<c>sin</c>), or a format over the operands for infix and conditional primitives.</summary>
    private static string CallName(IrNode node)
    {
        var rule = PrimitiveRules.Get(node.Op);
        return node.Op switch
        {
            Op.Select => Atom.ConditionalFormat,
            Op.Not => "¬({0})",
            // global::Demo.Field.Helper((float){0}) is written Helper(…).
            Op.OpaqueCall => node.Callee.Substring(0, node.Callee.IndexOf('(')).Split('.').Last(),
            _ when rule.IsMask && rule.Arity == 2 => "{0} " + rule.MathName + " {1}",
            _ => rule.MathName,
        };
    }
}
