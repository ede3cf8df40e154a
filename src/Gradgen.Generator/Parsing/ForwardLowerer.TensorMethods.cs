using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;
using Gradgen.Generator.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// The runtime's tensor operations in <c>Forward</c> (<c>x.Op(…)</c>, <c>Tensor.Op(x, …)</c>, <c>Functional.Op(x, …)</c>):
/// elementwise math and activations, selections, reductions, softmax and shape operations, each lowered to graph nodes.
/// </summary>
internal sealed partial class ForwardLowerer
{
    /// <summary>
    /// A condition of <c>Tensor.Where</c>: a comparison of tensors and numbers (<c>x &gt; 0</c>, <c>a &lt;= b</c>,
    /// <c>a.Gt(b)</c>, <c>a.Eq(0)</c>), as the scalar comparison and its two operands.
    /// </summary>
    private (Op Comparison, Value Left, Value Right) Comparison(ExpressionSyntax condition, Scope scope)
    {
        while (condition is ParenthesizedExpressionSyntax parenthesized)
        {
            condition = parenthesized.Expression;
        }

        Op? op = condition switch
        {
            BinaryExpressionSyntax binary => binary.Kind() switch
            {
                SyntaxKind.GreaterThanExpression => Op.GreaterThan,
                SyntaxKind.GreaterThanOrEqualExpression => Op.GreaterThanOrEqual,
                SyntaxKind.LessThanExpression => Op.LessThan,
                SyntaxKind.LessThanOrEqualExpression => Op.LessThanOrEqual,
                _ => null,
            },
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member, ArgumentList.Arguments.Count: 1 }
                when scope.Model.GetSymbolInfo(condition, _cancellationToken).Symbol is IMethodSymbol { IsStatic: false } method && method.ContainingType.ToDisplayString() == TensorType
                => member.Name.Identifier.Text switch
                {
                    "Gt" => Op.GreaterThan,
                    "Ge" => Op.GreaterThanOrEqual,
                    "Lt" => Op.LessThan,
                    "Le" => Op.LessThanOrEqual,
                    "Eq" => Op.Equal,
                    "Ne" => Op.NotEqual,
                    _ => null,
                },
            _ => null,
        };
        // Op is set only for a binary comparison or a one-argument call on a receiver (the patterns above).
        var (left, right) = (op, condition) switch
        {
            (null, _) => ((ExpressionSyntax?)null, (ExpressionSyntax?)null),
            (_, BinaryExpressionSyntax binary) => (binary.Left, binary.Right),
            (_, InvocationExpressionSyntax invocation) => (((MemberAccessExpressionSyntax)invocation.Expression).Expression, invocation.ArgumentList.Arguments[0].Expression),
            _ => (null, null),
        };
        if (op is null || left is null || right is null)
        {
            throw new NotCompiledException(LocationInfo.From(condition), $"the condition '{Short(condition)}' is not a comparison of tensors and numbers (x > 0, a <= b, a.Gt(b), a.Eq(0))");
        }

        return (op.Value, Lower(left, scope), Lower(right, scope));
    }

    private List<ExpressionSyntax> PlaceNamed(IMethodSymbol method, InvocationExpressionSyntax invocation, ExpressionSyntax? receiver)
    {
        var placed = new ExpressionSyntax?[method.Parameters.Length + (method.IsStatic ? 0 : 1)];
        int offset = method.IsStatic ? 0 : 1;
        if (!method.IsStatic)
        {
            placed[0] = receiver;
        }

        int position = 0;
        foreach (var argument in invocation.ArgumentList.Arguments)
        {
            int index = argument.NameColon is { } name ? method.Parameters.IndexOf(method.Parameters.First(p => p.Name == name.Name.Identifier.Text)) : position++;
            placed[index + offset] = argument.Expression;
        }

        int last = Array.FindLastIndex(placed, p => p is not null);
        if (placed.Take(last + 1).Any(p => p is null))
        {
            throw new NotCompiledException(LocationInfo.From(invocation), $"'{Short(invocation)}' skips an optional argument before a named one");
        }

        return placed.Take(last + 1).Select(p => p!).ToList();
    }

    private Value LowerTensorMethod(IMethodSymbol method, List<ExpressionSyntax> args, InvocationExpressionSyntax call, Scope scope)
    {
        int parameterOffset = method.IsStatic ? 0 : 1;
        Value Arg(int i) => Lower(args[i], scope);
        int TensorArg(int i) => TensorOf(Arg(i), args[i]);

        // An optional argument: as written, else the parameter's default.
        Value Optional(int i)
        {
            if (i < args.Count)
            {
                return Arg(i);
            }

            return new Value(-1, DefaultNumber(method.Parameters[i - parameterOffset]), null);
        }

        int IntArg(int i, int fallback = 0)
        {
            if (i >= args.Count)
            {
                var parameter = method.Parameters[i - parameterOffset];
                return parameter.HasExplicitDefaultValue && parameter.ExplicitDefaultValue is int d ? d : fallback;
            }

            return ConstantInt(args[i], scope.Model);
        }

        bool BoolArg(int i)
        {
            if (i >= args.Count)
            {
                var parameter = method.Parameters[i - parameterOffset];
                return parameter.HasExplicitDefaultValue && parameter.ExplicitDefaultValue is true;
            }

            return scope.Model.GetConstantValue(args[i], _cancellationToken) is { HasValue: true, Value: bool b } ? b
                : throw new NotCompiledException(LocationInfo.From(args[i]), $"'{Short(args[i])}' is not a constant bool");
        }

        string label = Short(call);
        switch (method.Name)
        {
            case "Sigmoid":
                return Elementwise(call, (s, p) => s.Apply(Op.Sigmoid, p[0]), Arg(0));
            case "Relu":
                return Elementwise(call, (s, p) => ScalarBodies.Relu(s, p[0]), Arg(0));
            case "Tanh" or "Exp" or "Log" or "Sqrt" or "Abs" or "Sin" or "Cos" or "Tan" when args.Count == 1:
                var op = (Op)Enum.Parse(typeof(Op), method.Name);
                return Elementwise(call, (s, p) => s.Apply(op, p[0]), Arg(0));
            case "Neg" when args.Count == 1:
                return Elementwise(call, (s, p) => s.Negate(p[0]), Arg(0));
            case "Add" or "Sub" or "Mul" or "Div" when args.Count == 2:
                var arithmetic = method.Name switch { "Add" => Op.Add, "Sub" => Op.Subtract, "Mul" => Op.Multiply, _ => Op.Divide };
                return Elementwise(call, (s, p) => s.Apply(arithmetic, p[0], p[1]), Arg(0), Arg(1));
            case "Pow" when args.Count == 2:
                return Elementwise(call, (s, p) => s.Apply(Op.Pow, p[0], p[1]), Arg(0), Arg(1));
            case "Where" when args.Count == 3:
                {
                    // Tensor.Where(x > 0, a, b) or a.Where(x > 0, b): the comparison joins the selection's elementwise body.
                    var (condition, a, b) = method.IsStatic ? (args[0], args[1], args[2]) : (args[1], args[0], args[2]);
                    var (comparison, left, right) = Comparison(condition, scope);
                    return Elementwise(call, (s, p) => s.Select(s.Apply(comparison, p[0], p[1]), p[2], p[3]), left, right, Lower(a, scope), Lower(b, scope));
                }

            case "Maximum" when args.Count == 2:
                return Elementwise(call, (s, p) => s.Apply(Op.Max, p[0], p[1]), Arg(0), Arg(1));
            case "Minimum" when args.Count == 2:
                return Elementwise(call, (s, p) => s.Apply(Op.Min, p[0], p[1]), Arg(0), Arg(1));
            case "Clamp":
                {
                    var lo = Optional(1);
                    var hi = Optional(2);
                    return (lo.Constant ?? (object?)lo.Runtime, hi.Constant ?? (object?)hi.Runtime) switch
                    {
                        (null, null) => Arg(0),
                        (_, null) => Elementwise(call, (s, p) => s.Apply(Op.Max, p[0], p[1]), Arg(0), lo),
                        (null, _) => Elementwise(call, (s, p) => s.Apply(Op.Min, p[0], p[1]), Arg(0), hi),
                        _ => Elementwise(call, (s, p) => s.Apply(Op.Clamp, p[0], p[1], p[2]), Arg(0), lo, hi),
                    };
                }

            case "Gelu":
                {
                    string approximate = args.Count > 1 ? (scope.Model.GetConstantValue(args[1], _cancellationToken).Value as string
                        ?? throw new NotCompiledException(LocationInfo.From(args[1]), $"'{Short(args[1])}' is not a constant string")) : "none";
                    if (approximate is not ("none" or "tanh"))
                    {
                        throw new NotCompiledException(LocationInfo.From(args[1]), $"GELU's approximate is \"none\" or \"tanh\", not \"{approximate}\"");
                    }

                    return Elementwise(call, (s, p) => ScalarBodies.Gelu(s, p[0], approximate == "tanh"), Arg(0));
                }

            case "Silu":
                return Elementwise(call, (s, p) => ScalarBodies.Silu(s, p[0]), Arg(0));
            case "LeakyRelu":
                return Elementwise(call, (s, p) => ScalarBodies.LeakyRelu(s, p[0], p[1]), Arg(0), Optional(1));
            case "Elu":
                return Elementwise(call, (s, p) => ScalarBodies.Elu(s, p[0], p[1]), Arg(0), Optional(1));
            case "Softplus":
                return Elementwise(call, (s, p) => ScalarBodies.Softplus(s, p[0], p[1], p[2]), Arg(0), Optional(1), Optional(2));
            case "Softmax" or "LogSoftmax" when args.Count == 2:
                return Value.Tensor(Softmax(TensorArg(0), IntArg(1), method.Name == "LogSoftmax", call));
            case "Sum" or "Mean" or "Max" or "LogSumExp" when args.Count >= 2:
                {
                    var reduction = method.Name switch { "Sum" => TensorOp.Sum, "Mean" => TensorOp.Mean, "Max" => TensorOp.Max, _ => TensorOp.LogSumExp };
                    return Value.Tensor(Shape(call, () => _b.Reduce(reduction, TensorArg(0), IntArg(1), BoolArg(2), label)));
                }

            case "Sum" or "Mean" or "Max" or "Min" when args.Count == 1:
                {
                    // Of the whole tensor: a reduction of its flattening. Max()/Min() share the gradient among ties (torch.max()'s evenly_distribute_backward), unlike Max(dim)'s amax rule.
                    int x = TensorArg(0);
                    int flat = Shape(call, () => _b.Reshape(x, new[] { Product(x) }, "Reshape(-1)", label));
                    var whole = method.Name switch { "Sum" => TensorOp.Sum, "Mean" => TensorOp.Mean, "Max" => TensorOp.MaxEvenly, _ => TensorOp.MinEvenly };
                    return Value.Tensor(Shape(call, () => _b.Reduce(whole, flat, 0, false, label)));
                }

            case "MatMul" when args.Count == 2:
                return Value.Tensor(Shape(call, () => _b.MatMul(TensorArg(0), TensorArg(1), transposeB: false, label)));
            case "Transpose" when args.Count == 3:
                return Value.Tensor(Shape(call, () => _b.Transpose(TensorArg(0), IntArg(1), IntArg(2), label)));
            case "Narrow" when args.Count == 4:
                return Value.Tensor(Shape(call, () => _b.Narrow(TensorArg(0), IntArg(1), IntArg(2), IntArg(3), label)));
            case "Slice" when args.Count >= 4:
                return Value.Tensor(Shape(call, () => _b.Slice(TensorArg(0), IntArg(1), IntArg(2), IntArg(3), IntArg(4, 1), label)));
            case "Select" when args.Count == 3:
                {
                    int x = TensorArg(0);
                    return Value.Tensor(Select(x, IntArg(1), IntArg(2), call, label));
                }

            case "Permute" when args.Count >= 2:
                {
                    int x = TensorArg(0);
                    var order = ParamsElements(method, args.Skip(1).ToList(), scope).Select(e => ConstantInt(e, scope.Model)).ToList();
                    return Value.Tensor(Shape(call, () => _b.Permute(x, order, label)));
                }

            case "Expand" when args.Count >= 2:
                {
                    int x = TensorArg(0);
                    return Value.Tensor(Expand(x, ParamsElements(method, args.Skip(1).ToList(), scope), call, scope));
                }
            case "ExpandAs" when args.Count == 2:
                {
                    int x = TensorArg(0);
                    return Value.Tensor(ExpandAs(x, TensorArg(1), call));
                }
            case "Reshape" or "View" when args.Count >= 2:
                {
                    int x = TensorArg(0);
                    return Value.Tensor(Reshape(x, ReshapeSizes(x, args.Skip(1), scope), method.Name, call));
                }
            case "Flatten":
                return Value.Tensor(Flatten(TensorArg(0), IntArg(1, 0), IntArg(2, -1), call));
            case "Unsqueeze" when args.Count == 2:
                {
                    int x = TensorArg(0);
                    int d = IntArg(1);
                    int position = d < 0 ? d + _b.Rank(x) + 1 : d;
                    if (position < 0 || position > _b.Rank(x))
                    {
                        throw new ShapeErrorException(LocationInfo.From(call), $"'{label}' inserts dimension {d} into {_b.Format(x)}");
                    }

                    var shape = _b.ShapeOf(x).ToList();
                    shape.Insert(position, 1);
                    return Value.Tensor(_b.Reshape(x, shape, $"Unsqueeze({position})", label));
                }

            case "Squeeze" when args.Count == 2:
                {
                    int x = TensorArg(0);
                    int d = Shape(call, () => _b.Normalize(x, IntArg(1), label));
                    if (_b.Shapes.Resolve(_b.ShapeOf(x)[d]) != 1)
                    {
                        throw new NotCompiledException(LocationInfo.From(call), $"'{label}' squeezes dimension {d} of {_b.Format(x)}, whose size is not known to be 1");
                    }

                    var shape = _b.ShapeOf(x).ToList();
                    shape.RemoveAt(d);
                    return Value.Tensor(_b.Reshape(x, shape, $"Squeeze({d})", label));
                }

            case "Cat" when args.Count is 1 or 2:
                {
                    var pieces = ArrayElements(args[0]).Select(e => TensorOf(Lower(e, scope), e)).ToList();
                    int dim = IntArg(1, 0);
                    return Value.Tensor(pieces.Count == 1 ? pieces[0] : Shape(call, () => _b.Cat(pieces, dim, label)));
                }
        }

        throw new NotCompiledException(LocationInfo.From(call), $"'{label}' ({method.ContainingType.Name}.{method.Name} with {args.Count} arguments) is not an operation the compiler knows yet");
    }

    /// <summary>The elements of a <c>params int[]</c> argument: written one by one, or as one array in place.</summary>
    private List<ExpressionSyntax> ParamsElements(IMethodSymbol method, List<ExpressionSyntax> written, Scope scope) =>
        written.Count == 1 && method.Parameters[method.Parameters.Length - 1].IsParams && IsArray(written[0], scope.Model)
            ? ArrayElements(written[0]).ToList()
            : written;

    /// <summary>
    /// torch.expand: each size a constant, −1 (keep the input's), or a size read from a tensor at run time
    /// (<c>x.Shape[0]</c>, the batch); the graph value it is read from becomes an input of the expand.
    /// </summary>
    private int Expand(int x, List<ExpressionSyntax> arguments, InvocationExpressionSyntax call, Scope scope)
    {
        var sizes = new List<int?>();
        var texts = new List<string>();
        var sources = new List<int>();
        foreach (var argument in arguments)
        {
            if (scope.Model.GetConstantValue(argument, _cancellationToken) is { HasValue: true, Value: int constant })
            {
                if (constant < -1)
                {
                    throw new ShapeErrorException(LocationInfo.From(call), $"'{Short(call)}' asks {_b.Format(x)} for size {constant}");
                }

                sizes.Add(constant == -1 ? null : constant);
                texts.Add(constant.ToString(CultureInfo.InvariantCulture));
                continue;
            }

            var (tensor, dim) = SizeRead(argument, scope)
                ?? throw new NotCompiledException(LocationInfo.From(argument), $"'{Short(argument)}' is not a constant int or a tensor's size (shapes and dims must be constants)");
            int source = TensorOf(Lower(tensor, scope), tensor);
            int d = Shape(argument, () => _b.Normalize(source, ConstantInt(dim, scope.Model), Short(argument)));
            int size = _b.Shapes.Resolve(_b.ShapeOf(source)[d]);
            if (size >= 0)
            {
                sizes.Add(size);
                texts.Add(size.ToString(CultureInfo.InvariantCulture));
                continue;
            }

            if (!sources.Contains(source))
            {
                sources.Add(source);
            }

            sizes.Add(size);
            texts.Add($"${sources.IndexOf(source) + 1}.Shape[{d}]");
        }

        return Shape(call, () => _b.Expand(x, sizes, string.Join(", ", texts), sources, Short(call)));
    }

    /// <summary>
    /// torch.expand_as: an expand to the sizes of <paramref name="like"/>, each a constant where the graph knows it, else
    /// read from <paramref name="like"/> at run time (<c>$1.Shape[d]</c>: <paramref name="like"/> becomes a size source of
    /// the expand, with no gradient). Sizes that cannot fit are shape errors at the call, with both shapes.
    /// </summary>
    private int ExpandAs(int x, int like, InvocationExpressionSyntax call)
    {
        var sizes = new List<int?>();
        var texts = new List<string>();
        var shape = _b.ShapeOf(like);
        for (int d = 0; d < shape.Count; d++)
        {
            int size = _b.Shapes.Resolve(shape[d]);
            sizes.Add(size);
            texts.Add(size >= 0 ? size.ToString(CultureInfo.InvariantCulture) : $"$1.Shape[{d}]");
        }

        var sources = sizes.Any(s => s < 0) ? new[] { like } : Array.Empty<int>();
        return Shape(call, () => _b.Expand(x, sizes, string.Join(", ", texts), sources, Short(call)));
    }

    /// <summary>
    /// torch.select (<c>x.Select(dim, i)</c>, an integer entry of the indexer): a narrow of one position, then that dim
    /// squeezed (both views; their adjoints are Select's). Shape errors are reported at <paramref name="at"/>.
    /// </summary>
    private int Select(int x, int dim, int index, SyntaxNode at, string label)
    {
        int one = Shape(at, () => _b.SelectOne(x, dim, index, label));
        int d = _b[one].Dim;
        var shape = _b.ShapeOf(one).ToList();
        shape.RemoveAt(d);
        return _b.Reshape(one, shape, $"Squeeze({d})", label);
    }

    /// <summary>softmax(x) = e^(x − lse(x)), log-softmax(x) = x − lse(x): one reduction and one map.</summary>
    private int Softmax(int x, int dim, bool log, SyntaxNode at)
    {
        string label = Short(at);
        int lse = Shape(at, () => _b.Reduce(TensorOp.LogSumExp, x, dim, true, label + " logsumexp"));
        return log
            ? Map((s, p) => s.Subtract(p[0], p[1]), label, x, lse)
            : Map((s, p) => s.Apply(Op.Exp, s.Subtract(p[0], p[1])), label, x, lse);
    }

    private int Reshape(int x, ReshapeSize[] sizes, string method, SyntaxNode at)
    {
        var shape = new int[sizes.Length];
        int known = 1;
        int inferred = -1;
        for (int i = 0; i < sizes.Length; i++)
        {
            if (sizes[i].InputDim >= 0)
            {
                shape[i] = sizes[i].Size;
                continue;
            }

            if (sizes[i].Size == -1 && inferred < 0)
            {
                inferred = i;
                continue;
            }

            if (sizes[i].Size < 0)
            {
                throw new ShapeErrorException(LocationInfo.From(at), $"'{Short(at)}' asks for size {sizes[i].Size}");
            }

            shape[i] = sizes[i].Size;
            known *= sizes[i].Size;
        }

        // What the sizes read at run time leave of the input: −1 takes the rest.
        var rest = _b.ShapeOf(x).Where((_, d) => sizes.All(s => s.InputDim != d)).Select(_b.Shapes.Resolve).ToList();
        int total = rest.All(d => d >= 0) ? rest.Aggregate(1, (p, d) => p * d) : -1;
        if (inferred >= 0)
        {
            shape[inferred] = total >= 0 && known > 0 && total % known == 0 ? total / known
                : _b.Shapes.NewSymbol(rigid: rest.Any(_b.Shapes.IsRigid), "N");
        }
        else if (total >= 0 && total != known)
        {
            throw new ShapeErrorException(LocationInfo.From(at), $"'{Short(at)}' cannot reshape {_b.Format(x)} ({total} elements) to {Format(shape)}");
        }

        return _b.Reshape(x, shape, $"{method}({SizesText(sizes)})", Short(at));
    }

    private int Flatten(int x, int start, int end, SyntaxNode at)
    {
        int rank = _b.Rank(x);
        int s = Shape(at, () => _b.Normalize(x, start, Short(at)));
        int e = Shape(at, () => _b.Normalize(x, end, Short(at)));
        var dims = _b.ShapeOf(x);
        int product = 1;
        for (int i = s; i <= e; i++)
        {
            int d = _b.Shapes.Resolve(dims[i]);
            product = product >= 0 && d >= 0 ? product * d : -1;
        }

        // Flattening a batch dim gives a size only the caller knows; flattening an image's channels and sides gives one the next layer may fix.
        bool rigid = dims.Skip(s).Take(e - s + 1).Any(_b.Shapes.IsRigid);
        var shape = dims.Take(s).Concat(new[] { product >= 0 ? product : _b.Shapes.NewSymbol(rigid, "N") }).Concat(dims.Skip(e + 1)).ToList();
        return rank == 0 ? x : _b.Reshape(x, shape, $"Flatten({s}, {e})", Short(at));
    }

    /// <summary>The number of elements when every size is a constant, else −1.</summary>
    private int Product(int x)
    {
        int product = 1;
        foreach (int d in _b.ShapeOf(x))
        {
            int r = _b.Shapes.Resolve(d);
            if (r < 0)
            {
                return -1;
            }

            product *= r;
        }

        return product;
    }
}
