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
            case IdentifierNameSyntax or MemberAccessExpressionSyntax when symbol is IFieldSymbol { IsStatic: false } field && IsParameterField(field, scope):
                return Value.Tensor(ParameterField(field, expression, scope));
            case BinaryExpressionSyntax binary:
                return LowerBinary(binary, scope);
            case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryMinusExpression):
                return Elementwise(expression, (s, p) => s.Negate(p[0]), Lower(unary.Operand, scope));
            case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryPlusExpression):
                return Lower(unary.Operand, scope);
            case InvocationExpressionSyntax invocation when symbol is IMethodSymbol method:
                return LowerCall(invocation, method, scope);
            case ElementAccessExpressionSyntax element when symbol is IPropertySymbol { IsIndexer: true } indexer && indexer.ContainingType.ToDisplayString() == TensorType:
                return LowerIndexer(element, indexer, scope);
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
            try
            {
                return ApplyModule(module.Type, module.Access, module.Creation, TensorOf(x, arguments[0].Expression), invocation, module.Name);
            }
            catch (NotCompiledException notCompiled) when (notCompiled.Cause is null && module.Creation is null && module.Declared is { } declared)
            {
                // A layer whose creation is not visible (made elsewhere, or assigned twice): Show why goes to the field.
                throw new NotCompiledException(notCompiled.Location, notCompiled.Reason) { Cause = declared };
            }
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
            Cause = Declaration(method),
        };
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

    /// <summary>A parameter's default value as a number, or null where it has none or it is not a number.</summary>
    private static double? DefaultNumber(IParameterSymbol parameter) =>
        parameter.HasExplicitDefaultValue && parameter.ExplicitDefaultValue is IConvertible value and not string and not bool
            ? value.ToDouble(CultureInfo.InvariantCulture)
            : null;

    /// <summary>Where <paramref name="symbol"/> is declared in source, or null.</summary>
    private static LocationInfo? Declaration(ISymbol symbol) =>
        symbol.Locations.FirstOrDefault(l => l.IsInSource) is { } declared ? LocationInfo.From(declared) : null;

    private static string Short(SyntaxNode node) => FunctionParser.Normalize(node.ToString());
}
