using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;
using Gradgen.Generator.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>Thrown where Forward uses something the graph compiler cannot compile (reported as GG0016 at the span).</summary>
internal sealed class NotCompiledException : Exception
{
    public NotCompiledException(LocationInfo location, string reason)
        : base(reason) => (Location, Reason) = (location, reason);

    public LocationInfo Location { get; }

    public string Reason { get; }

    /// <summary>
    /// Where the reason lies when it is not the construct itself: the construct inside a nested model's own
    /// <c>Forward</c>, or the declaration of a helper that <c>Forward</c> calls. The diagnostic carries it as an
    /// additional location, and the "Show why" code action navigates there.
    /// </summary>
    public LocationInfo? Cause { get; init; }
}

/// <summary>
/// A shape error at a span: GG0017 with the message, or GG0015 (<see cref="LayerSizes"/>) where a layer is fed by
/// another layer whose output width differs from its input width.
/// </summary>
internal sealed class ShapeErrorException : Exception
{
    public ShapeErrorException(LocationInfo location, string message)
        : base(message) => Location = location;

    public LocationInfo Location { get; }

    /// <summary>The input rank the failing operation needs (a convolution's 4), when the input's rank was the problem; else 0.</summary>
    public int NeedsRank { get; init; }

    /// <summary>For GG0015: the layer, its input size, the layer that feeds it and that one's output size.</summary>
    public string[]? LayerSizes { get; init; }

    /// <summary>For GG0015: the second layer's input-size argument, which the code fix sets to <see cref="LayerSizes"/>[3].</summary>
    public LocationInfo? InFeaturesArgument { get; init; }

    public DiagnosticInfo ToDiagnostic(string model) => LayerSizes is { } sizes
        ? DiagnosticInfo.Create(Descriptors.LayerSizeMismatch, Location, sizes) with { ReplaceAt = InFeaturesArgument, Replacement = InFeaturesArgument is null ? null : sizes[3] }
        : DiagnosticInfo.Create(Descriptors.ShapeMismatch, Location, model, Message);
}

/// <summary>
/// Lowers a model's <c>Forward</c> to the tensor graph: layers, activations (the runtime's and the user's
/// <c>[Differentiable]</c> functions), tensor arithmetic, reductions, softmax, LayerNorm, Dropout and shape operations,
/// with Sequential and nested model fields inlined. Locals are values; a local may be reassigned. What is not static
/// (a loop, a branch, a call into other code) throws <see cref="NotCompiledException"/> naming the construct.
/// </summary>
internal sealed partial class ForwardLowerer
{
    private const string TensorType = "Gradgen.Tensor";
    private const string FunctionalType = "Gradgen.Nn.Functional";

    private readonly TensorGraphBuilder _b;
    private readonly Compilation _compilation;
    private readonly CancellationToken _cancellationToken;
    private readonly List<string> _guards;
    private readonly Dictionary<string, int> _featureSymbols = new();
    // Counts the calls of layers with state of their own (a Dropout mask, batch norm statistics): each call is its own node.
    private int _layerCalls;

    // The model classes whose Forward is being inlined, outermost first: a class met again inside its own Forward
    // (two models each holding the other) would inline forever.
    private readonly HashSet<INamedTypeSymbol> _inlining = new(SymbolEqualityComparer.Default);

    public ForwardLowerer(TensorGraphBuilder builder, Compilation compilation, List<string> guards, CancellationToken cancellationToken)
    {
        _b = builder;
        _compilation = compilation;
        _guards = guards;
        _cancellationToken = cancellationToken;
    }

    /// <summary>A value of Forward: a tensor node, a constant number, or a number read at run time (C#).</summary>
    private readonly record struct Value(int Node, double? Constant, string? Runtime)
    {
        public bool IsTensor => Node >= 0;

        public static Value Tensor(int node) => new(node, null, null);
    }

    /// <summary>Where a model's members are read from in the generated code: <c>this</c>, or a nested model's accessor.</summary>
    private sealed record Scope(INamedTypeSymbol Type, string Access, SemanticModel Model, IParameterSymbol Input, int InputNode, Dictionary<ISymbol, Value> Locals)
    {
        /// <summary>The loop variables that stand for a module: <c>layer</c> of <c>foreach (var layer in layers)</c>, per unrolled iteration.</summary>
        public Dictionary<ISymbol, ModuleElement> ModuleLocals { get; } = new(SymbolEqualityComparer.Default);
    }

    /// <summary>Lowers <paramref name="forward"/> of <paramref name="type"/>, its input the node <paramref name="input"/>; returns the output node.</summary>
    public int Lower(INamedTypeSymbol type, MethodDeclarationSyntax forward, IMethodSymbol symbol, int input) =>
        LowerForward(type, "this", forward, symbol, input);

    private int LowerForward(INamedTypeSymbol type, string access, MethodDeclarationSyntax forward, IMethodSymbol symbol, int input)
    {
        _inlining.Add(type);
        try
        {
            return LowerForwardBody(type, access, forward, symbol, input);
        }
        finally
        {
            _inlining.Remove(type);
        }
    }

    private int LowerForwardBody(INamedTypeSymbol type, string access, MethodDeclarationSyntax forward, IMethodSymbol symbol, int input)
    {
        var model = SemanticModels.Of(_compilation, forward.SyntaxTree);
        var scope = new Scope(type, access, model, symbol.Parameters[0], input, new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default));
        if (forward.ExpressionBody is { } arrow)
        {
            return TensorOf(Lower(arrow.Expression, scope), arrow.Expression);
        }

        if (forward.Body is null)
        {
            throw new NotCompiledException(LocationInfo.From(forward.Identifier), "Forward has no body");
        }

        return LowerStatements(forward.Body.Statements, scope)
            ?? throw new NotCompiledException(LocationInfo.From(forward.Identifier), "Forward has no return statement");
    }

    /// <summary>Lowers statements in order; the output node once one of them returns, or null if none does.</summary>
    private int? LowerStatements(IEnumerable<StatementSyntax> statements, Scope scope)
    {
        foreach (var statement in statements)
        {
            if (LowerStatement(statement, scope) is { } output)
            {
                return output;
            }
        }

        return null;
    }

    /// <summary>
    /// Lowers a local, an assignment to a local, a block, a loop of constant count (unrolled) or a return; the output
    /// node if the statement returns.
    /// </summary>
    private int? LowerStatement(StatementSyntax statement, Scope scope)
    {
        var model = scope.Model;
        switch (statement)
        {
            case LocalDeclarationStatementSyntax declaration:
                foreach (var variable in declaration.Declaration.Variables)
                {
                    if (variable.Initializer is null)
                    {
                        throw new NotCompiledException(LocationInfo.From(variable), $"the local '{variable.Identifier.Text}' has no initializer");
                    }

                    scope.Locals[model.GetDeclaredSymbol(variable, _cancellationToken)!] = Lower(variable.Initializer.Value, scope);
                }

                return null;
            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax assignment } when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                && model.GetSymbolInfo(assignment.Left, _cancellationToken).Symbol is { } target
                && (target is ILocalSymbol || SymbolEqualityComparer.Default.Equals(target, scope.Input) || (target is IParameterSymbol && scope.Locals.ContainsKey(target))):
                // x = layer.Forward(x): the input parameter (or an inlined helper's parameter) is reassigned like a local.
                scope.Locals[target] = Lower(assignment.Right, scope);
                return null;
            case BlockSyntax block:
                return LowerStatements(block.Statements, scope);
            case ForStatementSyntax loop:
                return UnrollFor(loop, scope);
            case ForEachStatementSyntax loop:
                return UnrollForEach(loop, scope);
            case ReturnStatementSyntax { Expression: { } returned }:
                return TensorOf(Lower(returned, scope), returned);
            default:
                throw new NotCompiledException(LocationInfo.From(statement), $"the statement '{Short(statement)}' is not a local, an assignment to a local or to the input, a loop of constant count or a return (branches are not static)");
        }
    }

    private Value Lower(ExpressionSyntax expression, Scope scope)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        var model = scope.Model;
        switch (expression)
        {
            case ParenthesizedExpressionSyntax parenthesized:
                return Lower(parenthesized.Expression, scope);
            case CastExpressionSyntax cast when IsNumber(model.GetTypeInfo(cast, _cancellationToken).Type):
                return Lower(cast.Expression, scope);
        }

        var constant = model.GetConstantValue(expression, _cancellationToken);
        if (constant.HasValue && constant.Value is IConvertible convertible && constant.Value is not string and not bool)
        {
            return new Value(-1, convertible.ToDouble(CultureInfo.InvariantCulture), null);
        }

        // A generated tensor overload is not in the compilation the generator sees: a call of one binds to no method,
        // with the [Differentiable] scalar method as its only candidate (and a call that takes its result, to no method
        // either, with one candidate).
        if (ListCount(expression, scope) is { } count)
        {
            return new Value(-1, count, null);
        }

        var info = model.GetSymbolInfo(expression, _cancellationToken);
        var symbol = info.Symbol ?? (info.CandidateSymbols.Length == 1 ? info.CandidateSymbols[0] : null);
        switch (expression)
        {
            case IdentifierNameSyntax when symbol is ILocalSymbol or IParameterSymbol && scope.Locals.TryGetValue(symbol, out var value):
                return value;
            case IdentifierNameSyntax when SymbolEqualityComparer.Default.Equals(symbol, scope.Input):
                return Value.Tensor(scope.InputNode);
            case IdentifierNameSyntax or MemberAccessExpressionSyntax when symbol is IFieldSymbol or IPropertySymbol && IsNumber(model.GetTypeInfo(expression, _cancellationToken).Type)
                && IsMemberOf(symbol, scope.Type) && scope.Access == "this":
                // A number the model holds (a scale, a slope): read at run time.
                return new Value(-1, null, "this." + symbol.Name);
            case BinaryExpressionSyntax binary:
                return LowerBinary(binary, scope);
            case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryMinusExpression):
                return Elementwise(expression, (s, p) => s.Negate(p[0]), Lower(unary.Operand, scope));
            case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryPlusExpression):
                return Lower(unary.Operand, scope);
            case InvocationExpressionSyntax invocation when symbol is IMethodSymbol method:
                return LowerCall(invocation, method, scope);
        }

        throw new NotCompiledException(LocationInfo.From(expression), $"'{Short(expression)}' is not a tensor operation the compiler knows");
    }

    private Value LowerBinary(BinaryExpressionSyntax binary, Scope scope)
    {
        var left = Lower(binary.Left, scope);
        var right = Lower(binary.Right, scope);
        Op op = binary.Kind() switch
        {
            SyntaxKind.AddExpression => Op.Add,
            SyntaxKind.SubtractExpression => Op.Subtract,
            SyntaxKind.MultiplyExpression => Op.Multiply,
            SyntaxKind.DivideExpression => Op.Divide,
            SyntaxKind.GreaterThanExpression or SyntaxKind.GreaterThanOrEqualExpression or SyntaxKind.LessThanExpression or SyntaxKind.LessThanOrEqualExpression
                => throw new NotCompiledException(LocationInfo.From(binary.OperatorToken), $"the comparison '{Short(binary)}' is compiled only as the condition of Tensor.Where (write it there: Tensor.Where({Short(binary)}, a, b))"),
            _ => throw new NotCompiledException(LocationInfo.From(binary.OperatorToken), $"the operator '{binary.OperatorToken.Text}' is not elementwise arithmetic"),
        };
        if (!left.IsTensor && !right.IsTensor)
        {
            if (left.Constant is { } a && right.Constant is { } b)
            {
                // Integers divide as C# does (a loop variable's i / 2 truncates).
                bool integral = scope.Model.GetTypeInfo(binary, _cancellationToken).Type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64;
                return new Value(-1, op switch { Op.Add => a + b, Op.Subtract => a - b, Op.Multiply => a * b, _ when integral => Math.Truncate(a / b), _ => a / b }, null);
            }

            throw new NotCompiledException(LocationInfo.From(binary), $"'{Short(binary)}' is arithmetic on numbers read at run time; compute it outside Forward");
        }

        return Elementwise(binary, (s, p) => s.Apply(op, p[0], p[1]), left, right);
    }

    private Value LowerCall(InvocationExpressionSyntax invocation, IMethodSymbol method, Scope scope)
    {
        var model = scope.Model;
        var arguments = invocation.ArgumentList.Arguments;
        string owner = method.ContainingType.ToDisplayString();
        var receiver = (invocation.Expression as MemberAccessExpressionSyntax)?.Expression;

        // layer.Forward(x) / layer.Call(x) on a module field, an element of a ModuleList field, or a foreach variable over one.
        if (method.Name is "Forward" or "Call" && arguments.Count == 1 && receiver is not null && ModuleOf(receiver, scope) is { } module)
        {
            var x = Lower(arguments[0].Expression, scope);
            return ApplyModule(module.Type, module.Access, module.Creation, TensorOf(x, arguments[0].Expression), invocation, module.Name);
        }

        // Tensor operations: x.Op(…), Tensor.Op(x, …), Functional.Op(x, …).
        if (owner is TensorType or FunctionalType)
        {
            var args = new List<ExpressionSyntax>();
            if (!method.IsStatic)
            {
                args.Add(receiver ?? throw new NotCompiledException(LocationInfo.From(invocation), $"'{Short(invocation)}' calls a tensor method without a receiver"));
            }

            args.AddRange(arguments.Select(a => a.Expression));
            if (arguments.Any(a => a.NameColon is not null))
            {
                // Named arguments: place them by the parameters' names.
                args = PlaceNamed(method, invocation, receiver);
            }

            return LowerTensorMethod(method, args, invocation, scope);
        }

        // A user's [Differentiable] scalar function applied to tensors through its generated overload.
        var twin = IsDifferentiable(method) ? method
            : method.IsStatic && method.Parameters.Length > 0 && method.Parameters.All(p => p.Type.ToDisplayString() == TensorType) ? ScalarTwin(method) : null;
        if (twin is not null && twin.Parameters.Length == arguments.Count)
        {
            var body = LowerUserFunction(twin, invocation);
            return Elementwise(invocation, (s, p) => ScalarBodies.Inline(s, body, p)[0], arguments.Select(a => Lower(a.Expression, scope)).ToArray());
        }

        // A helper method of the model class itself: its body inlined here.
        if (HelperOf(method, scope) is { } helper)
        {
            return InlineHelper(helper, method, invocation, scope);
        }

        throw new NotCompiledException(LocationInfo.From(invocation), $"'{Short(invocation)}' calls {method.ContainingType.Name}.{method.Name}, which is neither a layer, a tensor operation, a [Differentiable] function nor a helper of the model that takes tensors and numbers and returns a tensor")
        {
            // A helper in source: its body is what to move into Forward (or to write as a [Differentiable] function).
            Cause = method.Locations.FirstOrDefault(l => l.IsInSource) is { } declared ? LocationInfo.From(declared) : null,
        };
    }

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

            var parameter = method.Parameters[i - parameterOffset];
            return parameter.HasExplicitDefaultValue && parameter.ExplicitDefaultValue is IConvertible value && parameter.ExplicitDefaultValue is not string and not bool
                ? new Value(-1, value.ToDouble(CultureInfo.InvariantCulture), null)
                : new Value(-1, null, null);
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

    /// <summary>A module field (or Sequential element) applied to <paramref name="x"/>.</summary>
    private Value ApplyModule(ITypeSymbol type, string access, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? creation, int x, SyntaxNode at, string name)
    {
        string typeName = type.ToDisplayString();
        string label = name;
        Value Module(string property) => new(-1, null, $"{access}.{property}");
        switch (typeName)
        {
            case "Gradgen.Nn.Linear":
                {
                    var sizes = creation is { } c ? LinearArguments(c.Creation, c.Model) : (null, null, null);
                    int inFeatures = sizes.In ?? FeatureSymbol(access + ".in");
                    int outFeatures = sizes.Out ?? FeatureSymbol(access + ".out");
                    int weight = _b.Parameter(access + ".Weight", new[] { outFeatures, inFeatures }, name + ".weight");
                    int bias = -1;
                    if (sizes.Bias == false)
                    {
                        _guards.Add($"{access}.Bias is null");
                    }
                    else
                    {
                        bias = _b.Parameter(access + ".Bias", new[] { outFeatures }, name + ".bias");
                    }

                    CheckFedByLayer(x, inFeatures, at, name, creation is { } created ? InFeaturesArgument(created.Creation) : null);
                    return Value.Tensor(Shape(at, () => _b.Linear(x, weight, bias, name)));
                }

            case "Gradgen.Nn.Sigmoid":
                return Elementwise(at, (s, p) => s.Apply(Op.Sigmoid, p[0]), Value.Tensor(x));
            case "Gradgen.Nn.ReLU":
                return Elementwise(at, (s, p) => ScalarBodies.Relu(s, p[0]), Value.Tensor(x));
            case "Gradgen.Nn.Tanh":
                return Elementwise(at, (s, p) => s.Apply(Op.Tanh, p[0]), Value.Tensor(x));
            case "Gradgen.Nn.SiLU":
                return Elementwise(at, (s, p) => ScalarBodies.Silu(s, p[0]), Value.Tensor(x));
            case "Gradgen.Nn.GELU":
                {
                    // The approximation decides the formula: it must be visible where the module is created.
                    string approximate = "none";
                    if (creation is { } c && Arguments(c.Creation).Count > 0)
                    {
                        approximate = c.Model.GetConstantValue(Arguments(c.Creation)[0].Expression, _cancellationToken).Value as string
                            ?? throw new NotCompiledException(LocationInfo.From(at), $"the GELU '{name}' is not created with a constant approximate");
                    }
                    else if (creation is null)
                    {
                        throw new NotCompiledException(LocationInfo.From(at), $"the GELU '{name}' is not created once, in place (its approximate is not known)");
                    }

                    return Elementwise(at, (s, p) => ScalarBodies.Gelu(s, p[0], approximate == "tanh"), Value.Tensor(x));
                }

            case "Gradgen.Nn.LeakyReLU":
                return Elementwise(at, (s, p) => ScalarBodies.LeakyRelu(s, p[0], p[1]), Value.Tensor(x), Module("NegativeSlope"));
            case "Gradgen.Nn.ELU":
                return Elementwise(at, (s, p) => ScalarBodies.Elu(s, p[0], p[1]), Value.Tensor(x), Module("Alpha"));
            case "Gradgen.Nn.Softplus":
                return Elementwise(at, (s, p) => ScalarBodies.Softplus(s, p[0], p[1], p[2]), Value.Tensor(x), Module("Beta"), Module("Threshold"));
            case "Gradgen.Nn.Softmax" or "Gradgen.Nn.LogSoftmax":
                {
                    int dim = creation is { } c && Arguments(c.Creation).Count > 0 ? ConstantInt(Arguments(c.Creation)[0].Expression, c.Model)
                        : throw new NotCompiledException(LocationInfo.From(at), $"the {type.Name} '{name}' is not created once, in place, with a constant dim");
                    return Value.Tensor(Softmax(x, dim, typeName.EndsWith("LogSoftmax", StringComparison.Ordinal), at));
                }

            case "Gradgen.Nn.LayerNorm":
                return Value.Tensor(LayerNorm(x, access, creation, at, name));
            case "Gradgen.Nn.Dropout":
                {
                    // Each application draws its own mask, as eager Forward does: the label keeps two masks of one value apart.
                    int mask = _b.DropoutMask(x, access, $"{name} mask {++_layerCalls}");
                    return Elementwise(at, (s, p) => s.Multiply(p[0], p[1]), Value.Tensor(x), Value.Tensor(mask));
                }

            case "Gradgen.Nn.Conv2d":
                return Value.Tensor(Conv2d(x, access, creation, at, name));
            case "Gradgen.Nn.MaxPool2d":
                return Value.Tensor(Shape(at, () => _b.MaxPool2d(x, access, name)));
            case "Gradgen.Nn.BatchNorm1d" or "Gradgen.Nn.BatchNorm2d":
                return Value.Tensor(BatchNorm(x, type.Name, access, creation, at, name));
            case "Gradgen.Nn.AvgPool2d":
                return Value.Tensor(Shape(at, () => _b.AvgPool2d(x, access, _b.Shapes.NewSymbol(rigid: false, "H"), _b.Shapes.NewSymbol(rigid: false, "W"), name)));
            case "Gradgen.Nn.AdaptiveAvgPool2d":
                return Value.Tensor(AdaptiveAveragePool(x, access, creation, at, name));
            case "Gradgen.Nn.Flatten":
                return Value.Tensor(FlattenModule(x, creation, at, name));
            case "Gradgen.Nn.Identity":
                return Value.Tensor(x);
            case "Gradgen.Nn.Sequential":
                return Value.Tensor(ApplySequential(type, access, creation, x, at, name));
        }

        if (type is INamedTypeSymbol nested && ModelParser.DerivesFromModule(nested))
        {
            return Value.Tensor(ApplyNested(nested, access, x, at, name));
        }

        throw new NotCompiledException(LocationInfo.From(at), $"the field '{name}' holds a {type.Name}, which the compiler does not know");
    }

    /// <summary>
    /// GG0015 where a layer takes another layer's output (through elementwise functions of it alone) and the sizes the
    /// code shows differ: the message names both layers.
    /// </summary>
    private void CheckFedByLayer(int x, int inFeatures, SyntaxNode at, string name, ExpressionSyntax? inFeaturesArgument)
    {
        int producer = x;
        while (_b[producer].Op == TensorOp.Map && _b[producer].Inputs.Count(i => _b[i].Rank > 0) == 1)
        {
            producer = _b[producer].Inputs.First(i => _b[i].Rank > 0);
        }

        int given = _b.Shapes.Resolve(_b.ShapeOf(x)[_b.Rank(x) - 1]);
        int taken = _b.Shapes.Resolve(inFeatures);
        if (_b[producer].Op == TensorOp.Linear && given >= 0 && taken >= 0 && given != taken)
        {
            throw new ShapeErrorException(LocationInfo.From(at), $"'{name}' takes {taken} input features, but '{_b[producer].Label}' gives it {given}")
            {
                LayerSizes = new[] { name, taken.ToString(CultureInfo.InvariantCulture), _b[producer].Label, given.ToString(CultureInfo.InvariantCulture) },
                InFeaturesArgument = inFeaturesArgument is null ? null : LocationInfo.From(inFeaturesArgument),
            };
        }
    }

    /// <summary>Every element of a Sequential created in place, in order; at run time it must still hold those types.</summary>
    private int ApplySequential(ITypeSymbol type, string access, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? creation, int x, SyntaxNode at, string name)
    {
        foreach (var element in ListElements(new ModuleElement(type, access, creation, name), owner: null, at))
        {
            var elementCreation = element.Creation!.Value.Creation;
            x = TensorOf(ApplyModule(element.Type, element.Access, element.Creation, x, elementCreation, element.Name), elementCreation);
        }

        return x;
    }

    /// <summary>A field holding another model class: its Forward inlined, its members read through its generated GradgenMember.</summary>
    private int ApplyNested(INamedTypeSymbol nested, string access, int x, SyntaxNode at, string name)
    {
        var forward = nested.GetMembers("Forward").OfType<IMethodSymbol>().FirstOrDefault(m => m.IsOverride && m.Parameters.Length == 1 && !m.IsStatic);
        var syntax = forward?.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (forward is null || syntax?.Parent is not ClassDeclarationSyntax declaration || !ModelParser.IsCandidate(declaration)
            || declaration.Ancestors().OfType<TypeDeclarationSyntax>().Any(t => !t.Modifiers.Any(SyntaxKind.PartialKeyword)))
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the model in '{name}' ({nested.ToDisplayString()}) is not a partial class that the generator compiles");
        }

        if (IncompleteCode.HasSyntaxErrors(declaration))
        {
            // Incomplete code (being typed): the compiler reports it; this model runs Forward until it is complete.
            throw new NotCompiledException(LocationInfo.From(at), $"the model in '{name}' ({nested.ToDisplayString()}) has syntax errors");
        }

        if (_inlining.Contains(nested))
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the model in '{name}' ({nested.ToDisplayString()}) contains, through its own fields, the model whose Forward uses it");
        }

        _guards.Add($"({access}?.GetType() == typeof({Global(nested)}) && {access}.GradgenCanCompile())");
        try
        {
            return LowerForward(nested, access, syntax, forward, x);
        }
        catch (NotCompiledException inner)
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the model in '{name}' ({nested.ToDisplayString()}) is not compiled: {inner.Reason}")
            {
                Cause = inner.Cause ?? inner.Location,
            };
        }
    }

    /// <summary>LayerNorm over the last dims: mean, biased variance, (x − mean)/√(var + eps)·weight + bias, from reductions and maps.</summary>
    private int LayerNorm(int x, string access, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? creation, SyntaxNode at, string name)
    {
        if (creation is not { } c || Arguments(c.Creation).Count == 0)
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the LayerNorm '{name}' is not created once, in place (its normalized shape is not known)");
        }

        var shapeArgument = Arguments(c.Creation)[0].Expression;
        var normalized = ConstantIntsOrInt(shapeArgument, c.Model);
        bool affine = true;
        foreach (var argument in Arguments(c.Creation).Skip(1).Select((a, i) => (a, i)))
        {
            bool isAffine = argument.a.NameColon?.Name.Identifier.Text == "elementwiseAffine" || (argument.a.NameColon is null && argument.i == 1);
            if (isAffine)
            {
                affine = c.Model.GetConstantValue(argument.a.Expression, _cancellationToken).Value as bool?
                    ?? throw new NotCompiledException(LocationInfo.From(argument.a), $"the LayerNorm '{name}' is not created with a constant elementwiseAffine");
            }
        }

        int rank = _b.Rank(x);
        if (normalized.Length > rank)
        {
            throw new ShapeErrorException(LocationInfo.From(at), $"'{name}' normalizes over {Format(normalized)}, but its input has shape {_b.Format(x)}");
        }

        for (int i = 0; i < normalized.Length; i++)
        {
            if (!_b.Shapes.Unify(_b.ShapeOf(x)[rank - normalized.Length + i], normalized[i]))
            {
                throw new ShapeErrorException(LocationInfo.From(at), $"'{name}' normalizes over {Format(normalized)}, but its input has shape {_b.Format(x)}");
            }
        }

        // Several normalized dims are one: the trailing dims flattened, normalized, and shaped back.
        int flat = x;
        if (normalized.Length > 1)
        {
            var shape = _b.ShapeOf(x).Take(rank - normalized.Length).Concat(new[] { normalized.Aggregate(1, (p, d) => p * d) }).ToList();
            flat = _b.Reshape(x, shape, $"Flatten({rank - normalized.Length})", name);
        }

        int mean = _b.Reduce(TensorOp.Mean, flat, -1, true, name + " mean");
        int centered = Map((s, p) => s.Subtract(p[0], p[1]), name + ": x − mean", flat, mean);
        int variance = _b.Reduce(TensorOp.Mean, Map((s, p) => s.Multiply(p[0], p[0]), name + ": (x − mean)²", centered), -1, true, name + " variance");
        int eps = _b.RuntimeScalar($"{access}.Eps");
        int normal = Map((s, p) => s.Divide(p[0], s.Apply(Op.Sqrt, s.Add(p[1], p[2]))), name + ": (x − mean)/√(var + eps)", centered, variance, eps);
        if (normalized.Length > 1)
        {
            normal = _b.ReshapeAs(normal, x);
        }

        if (!affine)
        {
            _guards.Add($"{access}.Weight is null");
            return normal;
        }

        int weight = _b.Parameter(access + ".Weight", normalized, name + ".weight");
        int bias = _b.Parameter(access + ".Bias", normalized, name + ".bias");
        return Map((s, p) => s.Add(s.Multiply(p[0], p[1]), p[2]), name + ": ·weight + bias", normal, weight, bias);
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

    /// <summary>An elementwise function of tensors and numbers: constants go into the body, run-time numbers become 0-d inputs.</summary>
    private Value Elementwise(SyntaxNode at, Func<GraphBuilder, int[], int> build, params Value[] args)
    {
        var inputs = new List<int>();
        foreach (var arg in args)
        {
            if (arg.IsTensor)
            {
                inputs.Add(arg.Node);
            }
            else if (arg.Runtime is { } text)
            {
                inputs.Add(_b.RuntimeScalar($"(double)({text})"));
            }
            else if (arg.Constant is null)
            {
                throw new NotCompiledException(LocationInfo.From(at), $"'{Short(at)}' passes an argument that is neither a tensor nor a number");
            }
        }

        if (!args.Any(a => a.IsTensor))
        {
            throw new NotCompiledException(LocationInfo.From(at), $"'{Short(at)}' computes on numbers only");
        }

        string label = Short(at);
        var body = ScalarBodies.Build(inputs.Count, (s, p) =>
        {
            int next = 0;
            var operands = args.Select(a => a.IsTensor || a.Runtime is not null ? p[next++] : s.Constant(a.Constant!.Value)).ToArray();
            return build(s, operands);
        }, label);
        return Value.Tensor(Shape(at, () => _b.Map(body, inputs, label)));
    }

    private int Map(Func<GraphBuilder, int[], int> build, string label, params int[] inputs) =>
        _b.Map(ScalarBodies.Build(inputs.Length, build, label), inputs, label);

    private int Shape(SyntaxNode at, Func<int> build)
    {
        try
        {
            return build();
        }
        catch (ShapeException shape)
        {
            throw new ShapeErrorException(LocationInfo.From(at), shape.Message) { NeedsRank = shape.NeedsRank };
        }
    }

    private int TensorOf(Value value, SyntaxNode at) =>
        value.IsTensor ? value.Node : throw new NotCompiledException(LocationInfo.From(at), $"'{Short(at)}' is a number where a tensor is expected");

    /// <summary>The [Differentiable] scalar method that a generated tensor overload applies: same type, same name, numeric parameters.</summary>
    private static IMethodSymbol? ScalarTwin(IMethodSymbol overload) =>
        overload.ContainingType.GetMembers(overload.Name).OfType<IMethodSymbol>().FirstOrDefault(m =>
            m.Parameters.Length == overload.Parameters.Length && IsDifferentiable(m));

    private static bool IsDifferentiable(IMethodSymbol method) =>
        method.IsStatic && method.Parameters.All(p => IsNumber(p.Type))
        && method.GetAttributes().Any(SymbolNames.IsDifferentiableAttribute);

    private IrGraph LowerUserFunction(IMethodSymbol function, SyntaxNode at)
    {
        var syntax = function.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault()
            ?? throw new NotCompiledException(LocationInfo.From(at), $"the source of [Differentiable] {function.Name} is not in this compilation");
        if (LoopParser.IsLoopFunction(function, _compilation, _cancellationToken))
        {
            // Its code is plain C# (it may call a C# method inside Grad.StopGradient), which no fused kernel can run.
            throw new NotCompiledException(LocationInfo.From(at), $"the [Differentiable] function {function.Name} runs as plain C# on the CPU (it takes an integer, has a custom derivative or calls a method inside Grad.StopGradient), so it cannot be fused into a kernel");
        }

        var diagnostics = new List<DiagnosticInfo>();
        var lowerer = new BodyLowerer(SemanticModels.Of(_compilation, syntax.SyntaxTree), function.ReturnType.SpecialType == SpecialType.System_Single, function, diagnostics, _cancellationToken);
        return lowerer.LowerMethod(syntax) is { } body && diagnostics.Count == 0 ? body
            : throw new NotCompiledException(LocationInfo.From(at), $"the [Differentiable] function {function.Name} does not compile (see its own diagnostics)");
    }

    private int FeatureSymbol(string key)
    {
        if (!_featureSymbols.TryGetValue(key, out int symbol))
        {
            symbol = _b.Shapes.NewSymbol(rigid: false, key);
            _featureSymbols[key] = symbol;
        }

        return symbol;
    }

    private (BaseObjectCreationExpressionSyntax, SemanticModel)? FieldCreation(INamedTypeSymbol type, string field) =>
        ModelParser.FieldCreation(type, field, _compilation, _cancellationToken) is { } found ? (found.Creation, found.Model) : null;

    private int ConstantInt(ExpressionSyntax expression, SemanticModel model) =>
        model.GetConstantValue(expression, _cancellationToken) is { HasValue: true, Value: int value } ? value
            : throw new NotCompiledException(LocationInfo.From(expression), $"'{Short(expression)}' is not a constant int (shapes and dims must be constants)");

    private int[] ConstantIntsOrInt(ExpressionSyntax expression, SemanticModel model)
    {
        if (model.GetConstantValue(expression, _cancellationToken) is { HasValue: true, Value: int value })
        {
            return new[] { value };
        }

        return ArrayElements(expression).Select(e => ConstantInt(e, model)).ToArray();
    }

    private static IEnumerable<ExpressionSyntax> ArrayElements(ExpressionSyntax expression) => expression switch
    {
        ImplicitArrayCreationExpressionSyntax array => array.Initializer.Expressions,
        ArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions,
        CollectionExpressionSyntax collection when collection.Elements.All(e => e is ExpressionElementSyntax) => collection.Elements.Cast<ExpressionElementSyntax>().Select(e => e.Expression),
        _ => throw new NotCompiledException(LocationInfo.From(expression), $"'{Short(expression)}' is not an array written in place"),
    };

    private static SeparatedSyntaxList<ArgumentSyntax> Arguments(BaseObjectCreationExpressionSyntax creation) => creation.ArgumentList?.Arguments ?? default;

    /// <summary>A Linear creation's <c>inFeatures</c> argument (named, or the first positional one), or null.</summary>
    private static ExpressionSyntax? InFeaturesArgument(BaseObjectCreationExpressionSyntax creation)
    {
        var arguments = Arguments(creation);
        var named = arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.Text == "inFeatures");
        return named?.Expression ?? (arguments.Count > 0 && arguments[0].NameColon is null ? arguments[0].Expression : null);
    }

    private static bool IsMemberOf(ISymbol symbol, INamedTypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(symbol.ContainingType, current))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsNumber(ITypeSymbol? type) => type?.SpecialType is SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Int32 or SpecialType.System_Int64;

    private static string Global(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

    private static string Format(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";

    private static string Short(SyntaxNode node) => FunctionParser.Normalize(node.ToString());
}
