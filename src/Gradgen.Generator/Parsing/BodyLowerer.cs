using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// Lowers a method body to a straight-line IR graph. Locals become SSA values; <c>if</c>/<c>else</c> and the
/// conditional operator become <see cref="Op.Select"/> over both branches (each branch lowers the statements that
/// follow it, so a <c>return</c> inside a branch needs no special casing); <c>for</c> loops with constant bounds are
/// unrolled; calls to other <c>[Differentiable]</c> methods are inlined, so the whole computation fuses into one kernel.
/// </summary>
internal sealed class BodyLowerer
{
    /// <summary>Unrolled iterations allowed per loop.</summary>
    public const int MaxLoopIterations = 1024;

    /// <summary>Graph size beyond which a function is reported as too large (unrolling and inlining multiply it).</summary>
    public const int MaxNodes = 50_000;

    private readonly SemanticModel _model;
    private readonly GraphBuilder _builder;
    private readonly IMethodSymbol _root;
    private readonly List<DiagnosticInfo> _diagnostics;
    private readonly CancellationToken _cancellationToken;
    private readonly ImmutableStack<IMethodSymbol> _callStack;
    private readonly ILeafResolver? _leaves;

    public BodyLowerer(SemanticModel model, bool isFloat, IMethodSymbol root, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
        : this(model, new GraphBuilder(isFloat), root, diagnostics, ImmutableStack.Create(root), cancellationToken)
    {
    }

    /// <summary>
    /// A lowerer for one numeric expression of a span/loop function: <paramref name="leaves"/> turns the reads it
    /// understands (variables, elements, integer sub-expressions, calls of span functions) into parameters of
    /// <paramref name="builder"/>; everything else (arithmetic, math functions, inlined scalar calls) lowers as usual.
    /// </summary>
    public BodyLowerer(SemanticModel model, GraphBuilder builder, IMethodSymbol root, List<DiagnosticInfo> diagnostics, ILeafResolver leaves, CancellationToken cancellationToken)
        : this(model, builder, root, diagnostics, ImmutableStack.Create(root), cancellationToken)
    {
        _leaves = leaves;
    }

    /// <summary>Turns the reads of a span/loop function's expression into graph parameters (see <see cref="LoopParser"/>).</summary>
    internal interface ILeafResolver
    {
        /// <summary>The parameter node standing for <paramref name="expression"/>, or null to lower it as usual.</summary>
        int? TryResolve(ExpressionSyntax expression, GraphBuilder builder);
    }

    /// <summary>Lowers one expression with the resolver's leaves; null when a diagnostic made that impossible.</summary>
    public int? TryLowerExpression(ExpressionSyntax expression)
    {
        try
        {
            return Lower(expression, ImmutableDictionary.Create<ISymbol, int>(SymbolEqualityComparer.Default));
        }
        catch (LoweringFailedException)
        {
            return null;
        }
    }

    /// <summary>
    /// The value an assignment stores, with a compound operator written out (<c>s += e</c> is <c>s + e</c>); null when
    /// a diagnostic made that impossible.
    /// </summary>
    public int? TryLowerAssignedValue(AssignmentExpressionSyntax assignment)
    {
        try
        {
            var environment = ImmutableDictionary.Create<ISymbol, int>(SymbolEqualityComparer.Default);
            int value = Lower(assignment.Right, environment);
            if (assignment.IsKind(SyntaxKind.SimpleAssignmentExpression))
            {
                return value;
            }

            return Arithmetic(CompoundOperator(assignment), Lower(assignment.Left, environment), value, TypeOf(assignment.Left));
        }
        catch (LoweringFailedException)
        {
            return null;
        }
    }

    /// <summary><c>target ± 1</c> for <c>++</c>/<c>--</c>; null when a diagnostic made that impossible.</summary>
    public int? TryLowerStep(ExpressionSyntax target, bool increment)
    {
        try
        {
            int current = Lower(target, ImmutableDictionary.Create<ISymbol, int>(SymbolEqualityComparer.Default));
            return _builder.Apply(increment ? Op.Add : Op.Subtract, current, _builder.Constant(1));
        }
        catch (LoweringFailedException)
        {
            return null;
        }
    }

    private BodyLowerer(SemanticModel model, GraphBuilder builder, IMethodSymbol root, List<DiagnosticInfo> diagnostics, ImmutableStack<IMethodSymbol> callStack, CancellationToken cancellationToken)
    {
        _model = model;
        _builder = builder;
        _root = root;
        _diagnostics = diagnostics;
        _callStack = callStack;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Thrown to abandon a function after its diagnostic was recorded.</summary>
    private sealed class LoweringFailedException : Exception
    {
    }

    /// <summary>Lowers the whole method; null when a diagnostic made that impossible.</summary>
    public IrGraph? LowerMethod(MethodDeclarationSyntax syntax)
    {
        var method = _model.GetDeclaredSymbol(syntax, _cancellationToken)!;
        var environment = ImmutableDictionary.Create<ISymbol, int>(SymbolEqualityComparer.Default);
        for (int i = 0; i < method.Parameters.Length; i++)
        {
            environment = environment.SetItem(method.Parameters[i], _builder.Parameter(i));
        }

        try
        {
            int result = LowerBody(syntax, environment);
            return _builder.ToGraph(new[] { result });
        }
        catch (LoweringFailedException)
        {
            return null;
        }
    }

    private int LowerBody(MethodDeclarationSyntax syntax, ImmutableDictionary<ISymbol, int> environment)
    {
        if (syntax.ExpressionBody is { } arrow)
        {
            return Lower(arrow.Expression, environment);
        }

        return LowerStatements(ImmutableStack.Create<Work>(new Work(syntax.Body!, null, 0)), ref environment, syntax, mustReturn: true);
    }

    /// <summary>
    /// A statement still to run, a loop incrementor (an expression), or (with <see cref="Loop"/>) the next check of an
    /// unrolled loop's condition.
    /// </summary>
    private sealed record Work(SyntaxNode Node, ForStatementSyntax? Loop, int Iteration);

    /// <summary>
    /// Runs statements until one returns, and returns the node of the returned value; or, when
    /// <paramref name="mustReturn"/> is false, until the work runs out, and returns −1 with the final environment.
    /// </summary>
    private int LowerStatements(ImmutableStack<Work> work, ref ImmutableDictionary<ISymbol, int> environment, MethodDeclarationSyntax method, bool mustReturn)
    {
        while (true)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (_builder.Count > MaxNodes)
            {
                Fail(Descriptors.UnsupportedSyntax, LocationInfo.From(method.Identifier), "A function this large after unrolling and inlining", $"it needs more than {MaxNodes} operations");
            }

            if (work.IsEmpty)
            {
                if (!mustReturn)
                {
                    return -1;
                }

                // The C# compiler reports the missing return (CS0161); nothing to generate.
                throw new LoweringFailedException();
            }

            work = work.Pop(out var item);
            if (item.Loop is { } loop)
            {
                work = UnrollIteration(loop, item.Iteration, work, ref environment);
                continue;
            }

            switch (item.Node)
            {
                case ExpressionSyntax incrementor:
                    environment = LowerSideEffect(incrementor, environment);
                    break;

                case BlockSyntax block:
                    foreach (var statement in block.Statements.Reverse())
                    {
                        work = work.Push(new Work(statement, null, 0));
                    }

                    break;

                case EmptyStatementSyntax:
                    break;

                case LocalDeclarationStatementSyntax declaration:
                    if (declaration.IsConst)
                    {
                        break; // uses are compile-time constants
                    }

                    foreach (var variable in declaration.Declaration.Variables)
                    {
                        if (variable.Initializer is { } initializer)
                        {
                            var local = _model.GetDeclaredSymbol(variable, _cancellationToken)!;
                            environment = environment.SetItem(local, _builder.Name(Lower(initializer.Value, environment), local.Name));
                        }
                    }

                    break;

                case ExpressionStatementSyntax expressionStatement:
                    environment = LowerSideEffect(expressionStatement.Expression, environment);
                    break;

                case ReturnStatementSyntax { Expression: { } returned }:
                    return Lower(returned, environment);

                case IfStatementSyntax ifStatement:
                    {
                        int condition = Lower(ifStatement.Condition, environment);
                        if (_builder.TryGetConstant(condition, out double constant))
                        {
                            var taken = constant != 0 ? ifStatement.Statement : ifStatement.Else?.Statement;
                            if (taken is not null)
                            {
                                work = work.Push(new Work(taken, null, 0));
                            }

                            break;
                        }

                        if (!ifStatement.DescendantNodes().OfType<ReturnStatementSyntax>().Any())
                        {
                            // Neither branch returns: run each to its end and merge the variables they assign by select,
                            // so a sequence of ifs costs one pass each.
                            var trueEnvironment = environment;
                            LowerStatements(ImmutableStack.Create(new Work(ifStatement.Statement, null, 0)), ref trueEnvironment, method, mustReturn: false);
                            var falseEnvironment = environment;
                            if (ifStatement.Else is { } plainElse)
                            {
                                LowerStatements(ImmutableStack.Create(new Work(plainElse.Statement, null, 0)), ref falseEnvironment, method, mustReturn: false);
                            }

                            foreach (var variable in trueEnvironment.Keys.Where(falseEnvironment.ContainsKey))
                            {
                                environment = environment.SetItem(variable, _builder.Select(condition, trueEnvironment[variable], falseEnvironment[variable]));
                            }

                            break;
                        }

                        // A branch returns: each branch runs the rest of the body in its own environment, and the
                        // returned values merge by select.
                        var whenTrueEnvironment = environment;
                        var whenFalseEnvironment = environment;
                        int whenTrue = LowerStatements(work.Push(new Work(ifStatement.Statement, null, 0)), ref whenTrueEnvironment, method, mustReturn);
                        var elseWork = ifStatement.Else is { } elseClause ? work.Push(new Work(elseClause.Statement, null, 0)) : work;
                        int whenFalse = LowerStatements(elseWork, ref whenFalseEnvironment, method, mustReturn);
                        if (whenTrue < 0 || whenFalse < 0)
                        {
                            Fail(Descriptors.UnsupportedSyntax, LocationInfo.From(ifStatement.IfKeyword), "A return inside an if that a loop or another branch continues after", "return from the method's top level, or assign a variable and return it at the end");
                        }

                        return _builder.Select(condition, whenTrue, whenFalse);
                    }

                case ForStatementSyntax forStatement:
                    if (forStatement.Declaration is { } loopDeclaration)
                    {
                        foreach (var variable in loopDeclaration.Variables)
                        {
                            if (variable.Initializer is { } initializer)
                            {
                                environment = environment.SetItem(_model.GetDeclaredSymbol(variable, _cancellationToken)!, Lower(initializer.Value, environment));
                            }
                        }
                    }

                    foreach (var initializer in forStatement.Initializers)
                    {
                        environment = LowerSideEffect(initializer, environment);
                    }

                    work = work.Push(new Work(forStatement, forStatement, 0));
                    break;

                default:
                    var unsupported = (StatementSyntax)item.Node;
                    Fail(Descriptors.UnsupportedSyntax, LocationInfo.From(FirstToken(unsupported)), Describe(unsupported), "only local variables, assignments, if/else, return and for loops with constant bounds can be differentiated");
                    break;
            }
        }
    }

    /// <summary>One check of an unrolled loop: stop, or queue the body, the incrementors and the next check.</summary>
    private ImmutableStack<Work> UnrollIteration(ForStatementSyntax loop, int iteration, ImmutableStack<Work> work, ref ImmutableDictionary<ISymbol, int> environment)
    {
        if (loop.Condition is null)
        {
            Fail(Descriptors.LoopNotUnrollable, LocationInfo.From(loop.ForKeyword), "it has no condition", MaxLoopIterations.ToString());
        }

        int condition = Lower(loop.Condition!, environment);
        if (!_builder.TryGetConstant(condition, out double holds))
        {
            Fail(Descriptors.LoopNotUnrollable, LocationInfo.From(loop.Condition!), "its condition '" + loop.Condition + "' depends on the parameters", MaxLoopIterations.ToString());
        }

        if (holds == 0)
        {
            return work;
        }

        if (iteration >= MaxLoopIterations)
        {
            Fail(Descriptors.LoopNotUnrollable, LocationInfo.From(loop.ForKeyword), $"it runs more than {MaxLoopIterations} times", MaxLoopIterations.ToString());
        }

        foreach (var node in loop.Statement.DescendantNodesAndSelf().Where(n => n is BreakStatementSyntax or ContinueStatementSyntax))
        {
            Fail(Descriptors.UnsupportedSyntax, LocationInfo.From(node), Describe((StatementSyntax)node), "loops are unrolled at compile time; express the early exit with a condition");
        }

        work = work.Push(new Work(loop, loop, iteration + 1));
        foreach (var incrementor in loop.Incrementors.Reverse())
        {
            work = work.Push(new Work(incrementor, null, 0));
        }

        return work.Push(new Work(loop.Statement, null, 0));
    }

    /// <summary>An expression evaluated for its effect: assignment, compound assignment, ++ or −− of a local.</summary>
    private ImmutableDictionary<ISymbol, int> LowerSideEffect(ExpressionSyntax expression, ImmutableDictionary<ISymbol, int> environment)
    {
        switch (expression)
        {
            case AssignmentExpressionSyntax assignment:
                {
                    var target = AssignableLocal(assignment.Left);
                    int value = Lower(assignment.Right, environment);
                    if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression))
                    {
                        value = Arithmetic(CompoundOperator(assignment), Current(target, assignment.Left, environment), value, TypeOf(assignment.Left));
                    }

                    return environment.SetItem(target, _builder.Name(value, target.Name));
                }

            case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix:
                return Step(postfix.Operand, postfix.IsKind(SyntaxKind.PostIncrementExpression), environment);

            case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix:
                return Step(prefix.Operand, prefix.IsKind(SyntaxKind.PreIncrementExpression), environment);

            default:
                return Fail<ImmutableDictionary<ISymbol, int>>(Descriptors.UnsupportedSyntax, LocationInfo.From(expression), "The expression statement '" + Short(expression) + "'", "a statement must assign a local variable");
        }
    }

    private Op CompoundOperator(AssignmentExpressionSyntax assignment) => assignment.Kind() switch
    {
        SyntaxKind.AddAssignmentExpression => Op.Add,
        SyntaxKind.SubtractAssignmentExpression => Op.Subtract,
        SyntaxKind.MultiplyAssignmentExpression => Op.Multiply,
        SyntaxKind.DivideAssignmentExpression => Op.Divide,
        _ => Fail<Op>(Descriptors.UnsupportedSyntax, LocationInfo.From(assignment.OperatorToken), "The operator '" + assignment.OperatorToken.Text + "'", "only =, +=, −=, *= and /= assign in a [Differentiable] method"),
    };

    private ImmutableDictionary<ISymbol, int> Step(ExpressionSyntax operand, bool increment, ImmutableDictionary<ISymbol, int> environment)
    {
        var target = AssignableLocal(operand);
        int current = Current(target, operand, environment);
        return environment.SetItem(target, _builder.Apply(increment ? Op.Add : Op.Subtract, current, _builder.Constant(1)));
    }

    private ISymbol AssignableLocal(ExpressionSyntax target)
    {
        var symbol = _model.GetSymbolInfo(target, _cancellationToken).Symbol;
        if (symbol is ILocalSymbol or IParameterSymbol)
        {
            return symbol;
        }

        string what = symbol switch
        {
            IFieldSymbol field => "Assignment to the field '" + field.Name + "'",
            IPropertySymbol property => "Assignment to the property '" + property.Name + "'",
            _ => "Assignment to '" + Short(target) + "'",
        };
        return Fail<ISymbol>(Descriptors.UnsupportedSyntax, LocationInfo.From(target), what, "a [Differentiable] method has no side effects; assign a local variable instead");
    }

    private int Current(ISymbol symbol, ExpressionSyntax use, ImmutableDictionary<ISymbol, int> environment) =>
        environment.TryGetValue(symbol, out int value)
            ? value
            : Fail<int>(Descriptors.UnsupportedSyntax, LocationInfo.From(use), "Reading '" + symbol.Name + "' before it is assigned", "assign it first");

    /// <summary>Lowers an expression to a node.</summary>
    private int Lower(ExpressionSyntax expression, ImmutableDictionary<ISymbol, int> environment)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        var constant = _model.GetConstantValue(expression, _cancellationToken);
        if (constant.HasValue)
        {
            return constant.Value switch
            {
                bool b => _builder.Constant(b ? 1 : 0),
                null or string or char => Fail<int>(Descriptors.UnsupportedSyntax, LocationInfo.From(expression), "The constant '" + Short(expression) + "'", "only numbers and booleans are values in a [Differentiable] method"),
                var number => _builder.Constant(Convert.ToDouble(number, System.Globalization.CultureInfo.InvariantCulture)),
            };
        }

        int result = LowerNonConstant(expression, environment);
        if (expression is not (ParenthesizedExpressionSyntax or IdentifierNameSyntax))
        {
            string text = FunctionParser.Normalize(expression.ToString());
            if (text.Length <= 80)
            {
                _builder.Label(result, text);
            }
        }

        return result;
    }

    private int LowerNonConstant(ExpressionSyntax expression, ImmutableDictionary<ISymbol, int> environment)
    {
        if (_leaves?.TryResolve(expression, _builder) is int leaf)
        {
            return leaf;
        }

        switch (expression)
        {
            case ParenthesizedExpressionSyntax parenthesized:
                return Lower(parenthesized.Expression, environment);

            case IdentifierNameSyntax or MemberAccessExpressionSyntax when _model.GetSymbolInfo(expression, _cancellationToken).Symbol is { } symbol && symbol is not IMethodSymbol:
                if (symbol is ILocalSymbol or IParameterSymbol)
                {
                    return Current(symbol, expression, environment);
                }

                return Fail<int>(Descriptors.UnsupportedSyntax, LocationInfo.From(expression),
                    symbol is IFieldSymbol ? "The field '" + symbol.Name + "'" : "'" + Short(expression) + "'",
                    "only parameters, local variables and const fields can be read in a [Differentiable] method");

            case PrefixUnaryExpressionSyntax prefix when prefix.IsKind(SyntaxKind.UnaryMinusExpression):
                return _builder.Negate(Lower(prefix.Operand, environment));

            case PrefixUnaryExpressionSyntax prefix when prefix.IsKind(SyntaxKind.UnaryPlusExpression):
                return Lower(prefix.Operand, environment);

            case PrefixUnaryExpressionSyntax prefix when prefix.IsKind(SyntaxKind.LogicalNotExpression):
                return _builder.Apply(Op.Not, Lower(prefix.Operand, environment));

            case BinaryExpressionSyntax binary:
                return LowerBinary(binary, environment);

            case ConditionalExpressionSyntax conditional:
                {
                    int condition = Lower(conditional.Condition, environment);
                    if (_builder.TryGetConstant(condition, out double holds))
                    {
                        return Lower(holds != 0 ? conditional.WhenTrue : conditional.WhenFalse, environment);
                    }

                    return _builder.Select(condition, Lower(conditional.WhenTrue, environment), Lower(conditional.WhenFalse, environment));
                }

            case CastExpressionSyntax cast:
                {
                    int operand = Lower(cast.Expression, environment);
                    var target = _model.GetTypeInfo(cast.Type, _cancellationToken).Type;
                    if (target?.SpecialType == SpecialType.System_Boolean)
                    {
                        return operand;
                    }

                    if (target is null || !KnownFunctions.IsNumeric(target))
                    {
                        return Fail<int>(Descriptors.UnsupportedSyntax, LocationInfo.From(cast), "The cast to '" + cast.Type + "'", "only casts between numeric types are supported");
                    }

                    if (KnownFunctions.IsIntegral(target) && !KnownFunctions.IsIntegral(_model.GetTypeInfo(cast.Expression, _cancellationToken).Type))
                    {
                        // Inside Grad.StopGradient the zero gradient is what the code says it wants: no warning.
                        if (!StopGradientScope.Contains(_model, cast, _cancellationToken))
                        {
                            Warn(Descriptors.IntegerZeroGradient, LocationInfo.From(cast), Short(cast), _root.Name);
                        }

                        return _builder.Apply(Op.Truncate, operand);
                    }

                    return operand;
                }

            case InvocationExpressionSyntax invocation:
                return LowerInvocation(invocation, environment);

            case CheckedExpressionSyntax @checked:
                return Lower(@checked.Expression, environment);

            default:
                return Fail<int>(Descriptors.UnsupportedSyntax, LocationInfo.From(expression), Describe(expression), "it has no derivative Gradgen can compute at compile time");
        }
    }

    private int LowerBinary(BinaryExpressionSyntax binary, ImmutableDictionary<ISymbol, int> environment)
    {
        var kind = binary.Kind();
        if (kind is SyntaxKind.LogicalAndExpression or SyntaxKind.LogicalOrExpression)
        {
            int left = Lower(binary.Left, environment);
            // A constant left operand decides alone, as C#'s short-circuit does: `false && …` folds to false.
            if (_builder.TryGetConstant(left, out double l) && (kind == SyntaxKind.LogicalAndExpression ? l == 0 : l != 0))
            {
                return left;
            }

            return _builder.Apply(kind == SyntaxKind.LogicalAndExpression ? Op.And : Op.Or, left, Lower(binary.Right, environment));
        }

        Op? op = kind switch
        {
            SyntaxKind.AddExpression => Op.Add,
            SyntaxKind.SubtractExpression => Op.Subtract,
            SyntaxKind.MultiplyExpression => Op.Multiply,
            SyntaxKind.DivideExpression => Op.Divide,
            SyntaxKind.LessThanExpression => Op.LessThan,
            SyntaxKind.LessThanOrEqualExpression => Op.LessThanOrEqual,
            SyntaxKind.GreaterThanExpression => Op.GreaterThan,
            SyntaxKind.GreaterThanOrEqualExpression => Op.GreaterThanOrEqual,
            SyntaxKind.EqualsExpression => Op.Equal,
            SyntaxKind.NotEqualsExpression => Op.NotEqual,
            _ => null,
        };

        bool isBoolean = _model.GetTypeInfo(binary.Left, _cancellationToken).Type?.SpecialType == SpecialType.System_Boolean;
        if (isBoolean && kind is SyntaxKind.BitwiseAndExpression or SyntaxKind.BitwiseOrExpression)
        {
            return _builder.Apply(kind == SyntaxKind.BitwiseAndExpression ? Op.And : Op.Or, Lower(binary.Left, environment), Lower(binary.Right, environment));
        }

        if (isBoolean && kind is SyntaxKind.ExclusiveOrExpression or SyntaxKind.NotEqualsExpression or SyntaxKind.EqualsExpression)
        {
            // Masks are not numbers (a SIMD true is all bits set, a NaN), so equality of booleans is built from logic.
            int a = Lower(binary.Left, environment);
            int b = Lower(binary.Right, environment);
            int differ = _builder.Apply(Op.Or, _builder.Apply(Op.And, a, _builder.Apply(Op.Not, b)), _builder.Apply(Op.And, _builder.Apply(Op.Not, a), b));
            return kind == SyntaxKind.EqualsExpression ? _builder.Apply(Op.Not, differ) : differ;
        }

        if (kind == SyntaxKind.ModuloExpression && !isBoolean)
        {
            // C#'s % on floating point is fmod: a − trunc(a/b)·b, which differentiates as composed.
            int a = Lower(binary.Left, environment);
            int b = Lower(binary.Right, environment);
            int quotient = _builder.Apply(Op.Truncate, _builder.Divide(a, b));
            return _builder.Subtract(a, _builder.Multiply(quotient, b));
        }

        if (op is null)
        {
            return Fail<int>(Descriptors.UnsupportedSyntax, LocationInfo.From(binary.OperatorToken), "The operator '" + binary.OperatorToken.Text + "'", "it has no derivative Gradgen can compute at compile time");
        }

        int leftValue = Lower(binary.Left, environment);
        int rightValue = Lower(binary.Right, environment);
        return Arithmetic(op.Value, leftValue, rightValue, _model.GetTypeInfo(binary, _cancellationToken).Type);
    }

    /// <summary>A binary operation; integer division truncates as in C#.</summary>
    private int Arithmetic(Op op, int left, int right, ITypeSymbol? resultType)
    {
        int result = _builder.Apply(op, left, right);
        return op == Op.Divide && KnownFunctions.IsIntegral(resultType) ? _builder.Apply(Op.Truncate, result) : result;
    }

    private ITypeSymbol? TypeOf(ExpressionSyntax expression) => _model.GetTypeInfo(expression, _cancellationToken).Type;

    private int LowerInvocation(InvocationExpressionSyntax invocation, ImmutableDictionary<ISymbol, int> environment)
    {
        if (_model.GetSymbolInfo(invocation, _cancellationToken).Symbol is not IMethodSymbol callee)
        {
            return Fail<int>(Descriptors.UnknownCall, LocationInfo.From(invocation), Short(invocation.Expression), _root.Name);
        }

        var arguments = new int[invocation.ArgumentList.Arguments.Count];
        for (int i = 0; i < arguments.Length; i++)
        {
            var argument = invocation.ArgumentList.Arguments[i];
            if (!argument.RefKindKeyword.IsKind(SyntaxKind.None) || argument.NameColon is not null)
            {
                Fail(Descriptors.UnsupportedSyntax, LocationInfo.From(argument), "The argument '" + argument + "'", "pass arguments by value and in order");
            }

            arguments[i] = Lower(argument.Expression, environment);
        }

        if (FunctionParser.IsDifferentiable(callee))
        {
            return Inline(callee, arguments, invocation);
        }

        if (KnownFunctions.IsLogWithBase(callee) && arguments.Length == 2)
        {
            return _builder.Divide(_builder.Apply(Op.Log, arguments[0]), _builder.Apply(Op.Log, arguments[1]));
        }

        if (arguments.Length == callee.Parameters.Length && KnownFunctions.TryGet(callee, out var op))
        {
            return _builder.Apply(op, arguments);
        }

        // Inside Grad.StopGradient the call runs as C#, with no derivative; only span/loop functions (_leaves), whose
        // code is plain C#, can make it (StopGradientScope.HasOpaqueCall sends the methods that do to that path).
        if (_leaves is not null && arguments.Length == callee.Parameters.Length && StopGradientScope.OpaqueCallFormat(callee) is { } call
            && StopGradientScope.Contains(_model, invocation, _cancellationToken))
        {
            return _builder.OpaqueCall(call, arguments);
        }

        return Fail<int>(Descriptors.UnknownCall, LocationInfo.From(invocation), callee.ContainingType.Name + "." + callee.Name, _root.Name);
    }

    /// <summary>Lowers a call to another [Differentiable] method by lowering its body with the arguments bound.</summary>
    private int Inline(IMethodSymbol callee, int[] arguments, InvocationExpressionSyntax invocation)
    {
        var definition = callee.OriginalDefinition;
        if (_callStack.Any(m => SymbolEqualityComparer.Default.Equals(m, definition)))
        {
            Fail(Descriptors.Recursion, LocationInfo.From(invocation), _root.Name, callee.Name);
        }

        var declaration = definition.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(_cancellationToken))
            .OfType<MethodDeclarationSyntax>()
            .FirstOrDefault(d => d.Body is not null || d.ExpressionBody is not null);
        var calleeDiagnostics = new List<DiagnosticInfo>();
        if (declaration is null || arguments.Length != callee.Parameters.Length
            || FunctionParser.CheckDeclaration(definition, declaration, _model.Compilation, calleeDiagnostics) is null)
        {
            return Fail<int>(Descriptors.CalleeNotDifferentiable, LocationInfo.From(invocation), _root.Name, callee.Name);
        }

        var model = SemanticModels.For(_model, declaration.SyntaxTree);
        var inner = new BodyLowerer(model, _builder, _root, calleeDiagnostics, _callStack.Push(definition), _cancellationToken);
        var environment = ImmutableDictionary.Create<ISymbol, int>(SymbolEqualityComparer.Default);
        for (int i = 0; i < arguments.Length; i++)
        {
            environment = environment.SetItem(definition.Parameters[i], arguments[i]);
        }

        try
        {
            return inner.LowerBody(declaration, environment);
        }
        catch (LoweringFailedException)
        {
            // The callee reports its own diagnostics where it is declared; recursion is reported here, at the call.
            var recursion = calleeDiagnostics.FirstOrDefault(d => d.Id == Descriptors.Recursion.Id);
            if (recursion is not null)
            {
                Fail(Descriptors.Recursion, LocationInfo.From(invocation), _root.Name, callee.Name);
            }

            return Fail<int>(Descriptors.CalleeNotDifferentiable, LocationInfo.From(invocation), _root.Name, callee.Name);
        }
    }

    private void Warn(DiagnosticDescriptor descriptor, LocationInfo location, params string[] arguments) =>
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    private void Fail(DiagnosticDescriptor descriptor, LocationInfo location, params string[] arguments)
    {
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));
        throw new LoweringFailedException();
    }

    private T Fail<T>(DiagnosticDescriptor descriptor, LocationInfo location, params string[] arguments)
    {
        Fail(descriptor, location, arguments);
        return default!;
    }

    private static SyntaxToken FirstToken(StatementSyntax statement) => statement.GetFirstToken();

    internal static string Short(SyntaxNode node)
    {
        string text = FunctionParser.Normalize(node.ToString());
        return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }

    internal static string Describe(SyntaxNode node) => node switch
    {
        WhileStatementSyntax => "A while loop",
        DoStatementSyntax => "A do loop",
        ForEachStatementSyntax => "A foreach loop",
        GotoStatementSyntax => "A goto statement",
        SwitchStatementSyntax => "A switch statement",
        TryStatementSyntax => "A try statement",
        ThrowStatementSyntax => "A throw statement",
        BreakStatementSyntax => "A break statement",
        ContinueStatementSyntax => "A continue statement",
        LocalFunctionStatementSyntax => "A local function",
        UsingStatementSyntax => "A using statement",
        LockStatementSyntax => "A lock statement",
        YieldStatementSyntax => "A yield statement",
        ReturnStatementSyntax => "A return without a value",
        LambdaExpressionSyntax or AnonymousMethodExpressionSyntax => "A lambda",
        AssignmentExpressionSyntax => "An assignment inside an expression",
        ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax => "Creating an object",
        ElementAccessExpressionSyntax => "Indexing",
        SwitchExpressionSyntax => "A switch expression",
        ThrowExpressionSyntax => "A throw expression",
        IsPatternExpressionSyntax => "A pattern match",
        PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax => "The operator in '" + Short(node) + "'",
        _ => "'" + Short(node) + "'",
    };
}
