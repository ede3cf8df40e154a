using System;
using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Differentiation;

/// <summary>
/// Builds an <see cref="IrGraph"/> and simplifies as it goes: every node is interned (common subexpressions become one
/// node), operations on constants fold, and local identities (x·1, x+0, −−x, select(c, a, a), pow(x, 2) = x·x, …)
/// rewrite before a node is created. The parser and the differentiator build through the same instance, so the
/// derivative code shares every value the forward code already computed (exp's result, cos of the same argument).
/// </summary>
internal sealed class GraphBuilder
{
    private readonly List<IrNode> _nodes = new();
    private readonly List<string> _labels = new();
    private readonly List<string> _names = new();
    private readonly Dictionary<IrNode, int> _interned = new();

    public GraphBuilder(bool isFloat) => IsFloat = isFloat;

    /// <summary>Whether values are float (constants are rounded to float as C# would).</summary>
    public bool IsFloat { get; }

    public int Count => _nodes.Count;

    public IrNode this[int id] => _nodes[id];

    public static GraphBuilder FromGraph(IrGraph graph, bool isFloat)
    {
        var builder = new GraphBuilder(isFloat);
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            builder.Intern(graph.Nodes[i]);
            builder._labels[i] = graph.Labels[i];
            builder._names[i] = graph.Names[i];
        }

        return builder;
    }

    public IrGraph ToGraph(IEnumerable<int> outputs) =>
        new(_nodes.ToEquatableArray(), outputs.ToEquatableArray(), _labels.ToEquatableArray(), _names.ToEquatableArray());

    /// <summary>Attaches a comment to a node unless it already has one (the first, most specific, wins).</summary>
    public int Label(int id, string label)
    {
        if (_labels[id].Length == 0 && _nodes[id].Op is not (Op.Parameter or Op.Constant or Op.GradOutput))
        {
            _labels[id] = label;
        }

        return id;
    }

    public string LabelOf(int id) => _labels[id];

    /// <summary>Names a node after the source local that holds it unless it already has a name (the first local wins).</summary>
    public int Name(int id, string local)
    {
        if (_names[id].Length == 0 && _nodes[id].Op is not (Op.Parameter or Op.Constant or Op.GradOutput))
        {
            _names[id] = local;
        }

        return id;
    }

    public int Constant(double value)
    {
        if (IsFloat)
        {
            value = (float)value;
        }

        return Intern(new IrNode(Op.Constant, EquatableArray<int>.Empty, value));
    }

    public int Parameter(int index) => Intern(new IrNode(Op.Parameter, EquatableArray<int>.Empty, index));

    public int GradOutput() => Intern(new IrNode(Op.GradOutput, EquatableArray<int>.Empty, 0));

    public bool IsConstant(int id, double value) => _nodes[id].Op == Op.Constant && _nodes[id].Value.Equals(value);

    public bool TryGetConstant(int id, out double value)
    {
        value = _nodes[id].Value;
        return _nodes[id].Op == Op.Constant;
    }

    public int Add(int a, int b) => Apply(Op.Add, a, b);

    public int Subtract(int a, int b) => Apply(Op.Subtract, a, b);

    public int Multiply(int a, int b) => Apply(Op.Multiply, a, b);

    public int Divide(int a, int b) => Apply(Op.Divide, a, b);

    public int Negate(int a) => Apply(Op.Negate, a);

    public int Select(int mask, int ifTrue, int ifFalse) => Apply(Op.Select, mask, ifTrue, ifFalse);

    /// <summary>
    /// Adds a call of a method Gradgen does not differentiate (<paramref name="callee"/>, a format string over
    /// <paramref name="args"/>; see <see cref="IrNode.Callee"/>). It is never folded: the method runs when the code does.
    /// </summary>
    public int OpaqueCall(string callee, params int[] args) =>
        Intern(new IrNode(Op.OpaqueCall, args.ToEquatableArray(), 0, callee));

    /// <summary>Adds <c>op(args)</c>, folded and simplified.</summary>
    public int Apply(Op op, params int[] args)
    {
        var rule = PrimitiveRules.Get(op);
        if (args.Length != rule.Arity)
        {
            throw new ArgumentException($"{op} takes {rule.Arity} operands, not {args.Length}.");
        }

        if (args.All(a => _nodes[a].Op == Op.Constant) && rule.Fold is { } fold)
        {
            return Constant(fold(args.Select(a => _nodes[a].Value).ToArray()));
        }

        int simplified = Simplify(op, args);
        if (simplified >= 0)
        {
            return simplified;
        }

        if (rule.IsCommutative && args[0] > args[1])
        {
            (args[0], args[1]) = (args[1], args[0]);
        }

        return Intern(new IrNode(op, args.ToEquatableArray(), 0));
    }

    /// <summary>Local rewrites; returns −1 when none applies.</summary>
    private int Simplify(Op op, int[] a)
    {
        int masked = PushMaskOutward(op, a);
        if (masked >= 0)
        {
            return masked;
        }

        switch (op)
        {
            case Op.Add:
                if (IsConstant(a[0], 0)) return a[1];
                if (IsConstant(a[1], 0)) return a[0];
                if (_nodes[a[1]].Op == Op.Negate) return Subtract(a[0], _nodes[a[1]].Args[0]);
                if (_nodes[a[0]].Op == Op.Negate) return Subtract(a[1], _nodes[a[0]].Args[0]);
                if (a[0] == a[1]) return Multiply(a[0], Constant(2));
                break;
            case Op.Subtract:
                if (IsConstant(a[1], 0)) return a[0];
                if (IsConstant(a[0], 0)) return Negate(a[1]);
                if (_nodes[a[1]].Op == Op.Negate) return Add(a[0], _nodes[a[1]].Args[0]);
                // −a − a, the sum of two negated gradient contributions, is −2·a exactly (doubling never rounds).
                if (_nodes[a[0]].Op == Op.Negate && _nodes[a[0]].Args[0] == a[1]) return Multiply(a[1], Constant(-2));
                break;
            case Op.Multiply:
                if (IsConstant(a[0], 1)) return a[1];
                if (IsConstant(a[1], 1)) return a[0];
                if (IsConstant(a[0], 0) || IsConstant(a[1], 0)) return Constant(0);
                if (IsConstant(a[0], -1)) return Negate(a[1]);
                if (IsConstant(a[1], -1)) return Negate(a[0]);
                if (_nodes[a[0]].Op == Op.Negate && _nodes[a[1]].Op == Op.Negate) return Multiply(_nodes[a[0]].Args[0], _nodes[a[1]].Args[0]);
                if (_nodes[a[0]].Op == Op.Negate) return Negate(Multiply(_nodes[a[0]].Args[0], a[1]));
                if (_nodes[a[1]].Op == Op.Negate) return Negate(Multiply(a[0], _nodes[a[1]].Args[0]));
                break;
            case Op.Divide:
                if (IsConstant(a[1], 1)) return a[0];
                if (IsSigmoid(a[0], a[1], out int sigmoidArgument)) return Apply(Op.Sigmoid, sigmoidArgument);
                if (IsConstant(a[0], 0)) return Constant(0);
                if (IsConstant(a[1], -1)) return Negate(a[0]);
                if (_nodes[a[0]].Op == Op.Negate) return Negate(Divide(_nodes[a[0]].Args[0], a[1]));
                if (TryGetConstant(a[1], out double divisor) && IsPowerOfTwo(divisor)) return Multiply(a[0], Constant(1 / divisor));
                break;
            case Op.Negate:
                if (_nodes[a[0]].Op == Op.Negate) return _nodes[a[0]].Args[0];
                break;
            case Op.Pow:
                if (TryGetConstant(a[1], out double exponent))
                {
                    if (exponent == 1) return a[0];
                    if (exponent == 2) return Multiply(a[0], a[0]);
                    if (exponent == 0.5) return Apply(Op.Sqrt, a[0]);
                    if (exponent == -1) return Divide(Constant(1), a[0]);
                }

                break;
            case Op.Min:
            case Op.Max:
                if (a[0] == a[1]) return a[0];
                break;
            case Op.Select:
                if (a[1] == a[2]) return a[1];
                if (TryGetConstant(a[0], out double mask)) return mask != 0 ? a[1] : a[2];
                if (_nodes[a[0]].Op == Op.Not) return Select(_nodes[a[0]].Args[0], a[2], a[1]);
                break;
            case Op.And:
                if (TryGetConstant(a[0], out double l)) return l != 0 ? a[1] : Constant(0);
                if (TryGetConstant(a[1], out double r)) return r != 0 ? a[0] : Constant(0);
                if (a[0] == a[1]) return a[0];
                break;
            case Op.Or:
                if (TryGetConstant(a[0], out double lo)) return lo != 0 ? Constant(1) : a[1];
                if (TryGetConstant(a[1], out double ro)) return ro != 0 ? Constant(1) : a[0];
                if (a[0] == a[1]) return a[0];
                break;
            case Op.Not:
                if (_nodes[a[0]].Op == Op.Not) return _nodes[a[0]].Args[0];
                break;
        }

        return -1;
    }

    /// <summary>
    /// A gradient that flows through one branch of a select is <c>select(c, g, 0)</c>. Multiplying it by a value of the
    /// other branch would turn that branch's NaN or ∞ (log of a negative number the branch guarded against) into a NaN
    /// gradient, as torch.where does. Gradgen differentiates C#'s if/else, where the untaken branch never runs, so
    /// products, quotients and negations of such gradients move inside the select: <c>select(c, g·v, 0)</c>.
    /// </summary>
    private int PushMaskOutward(Op op, int[] a)
    {
        switch (op)
        {
            case Op.Multiply:
                if (IsMaskedZero(a[0], out int mask, out int value, out bool zeroWhenTrue)) return Masked(mask, Multiply(value, a[1]), zeroWhenTrue);
                if (IsMaskedZero(a[1], out mask, out value, out zeroWhenTrue)) return Masked(mask, Multiply(a[0], value), zeroWhenTrue);
                break;
            case Op.Divide:
                if (IsMaskedZero(a[0], out mask, out value, out zeroWhenTrue)) return Masked(mask, Divide(value, a[1]), zeroWhenTrue);
                break;
            case Op.Negate:
                if (IsMaskedZero(a[0], out mask, out value, out zeroWhenTrue)) return Masked(mask, Negate(value), zeroWhenTrue);
                break;
            case Op.Add:
            case Op.Subtract:
                if (IsMaskedZero(a[0], out mask, out value, out zeroWhenTrue) && IsMaskedZero(a[1], out int otherMask, out int other, out bool otherZeroWhenTrue) && mask == otherMask)
                {
                    if (zeroWhenTrue == otherZeroWhenTrue)
                    {
                        return Masked(mask, Apply(op, value, other), zeroWhenTrue);
                    }

                    int right = op == Op.Subtract ? Negate(other) : other;
                    return zeroWhenTrue ? Select(mask, right, value) : Select(mask, value, right);
                }

                break;
        }

        return -1;
    }

    private bool IsMaskedZero(int id, out int mask, out int value, out bool zeroWhenTrue)
    {
        var node = _nodes[id];
        (mask, value, zeroWhenTrue) = (-1, -1, false);
        if (node.Op != Op.Select)
        {
            return false;
        }

        if (IsConstant(node.Args[2], 0))
        {
            (mask, value, zeroWhenTrue) = (node.Args[0], node.Args[1], false);
            return true;
        }

        if (IsConstant(node.Args[1], 0))
        {
            (mask, value, zeroWhenTrue) = (node.Args[0], node.Args[2], true);
            return true;
        }

        return false;
    }

    private int Masked(int mask, int value, bool zeroWhenTrue) =>
        zeroWhenTrue ? Select(mask, Constant(0), value) : Select(mask, value, Constant(0));

    /// <summary>1 / (1 + exp(−a)), with the sum's operands in either order.</summary>
    private bool IsSigmoid(int numerator, int denominator, out int argument)
    {
        argument = -1;
        var sum = _nodes[denominator];
        if (!IsConstant(numerator, 1) || sum.Op != Op.Add)
        {
            return false;
        }

        int exp = IsConstant(sum.Args[0], 1) ? sum.Args[1] : IsConstant(sum.Args[1], 1) ? sum.Args[0] : -1;
        if (exp < 0 || _nodes[exp].Op != Op.Exp || _nodes[_nodes[exp].Args[0]].Op != Op.Negate)
        {
            return false;
        }

        argument = _nodes[_nodes[exp].Args[0]].Args[0];
        return true;
    }

    /// <summary>Division by ±2ⁿ equals multiplication by its exact reciprocal, which is cheaper.</summary>
    private static bool IsPowerOfTwo(double value)
    {
        if (value == 0 || double.IsNaN(value) || double.IsInfinity(value))
        {
            return false;
        }

        long bits = BitConverter.DoubleToInt64Bits(Math.Abs(value));
        return (bits & 0xFFFFFFFFFFFFFL) == 0 && Math.Abs(value) >= 1e-30 && Math.Abs(value) <= 1e30;
    }

    private int Intern(IrNode node)
    {
        if (_interned.TryGetValue(node, out int id))
        {
            return id;
        }

        id = _nodes.Count;
        _nodes.Add(node);
        _labels.Add(string.Empty);
        _names.Add(string.Empty);
        _interned.Add(node, id);
        return id;
    }
}
