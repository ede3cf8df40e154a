using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Emitters;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;
using Gradgen.Generator.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// Lowers a <c>[Differentiable]</c> method over spans, arrays and loops to a <see cref="LoopFunction"/>: a structured
/// program whose numeric right-hand sides are IR graphs lowered by <see cref="BodyLowerer"/> (so math functions,
/// inlined scalar calls and the rule table are shared with the scalar functions). Loops stay loops; <c>break</c> and
/// <c>continue</c> become flags and guards here, so the differentiator sees only assignments, ifs and whiles.
/// </summary>
internal sealed class LoopParser : BodyLowerer.ILeafResolver
{
    private readonly SemanticModel _model;
    private readonly IMethodSymbol _method;
    private readonly bool _isFloat;
    private readonly string _elementType;
    private readonly List<DiagnosticInfo> _diagnostics;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<ISymbol, string> _names = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<string, VariableKind> _kinds = new();
    private readonly Dictionary<string, ParameterRole> _arrayRoles = new();
    private readonly HashSet<string> _taken = new();
    private readonly List<LoopLocal> _locals = new();
    private readonly List<LoopStatement> _pending = new();
    private readonly HashSet<string> _writtenOutputs = new();
    private readonly Stack<LoopFlags> _loops = new();

    /// <summary>The functions whose parse led to this one through calls (a cycle among them is not parsed again).</summary>
    private readonly HashSet<IMethodSymbol> _callers;

    /// <summary>The span functions called, parsed once each in the order first called (<see cref="LoopFunction.Callees"/>).</summary>
    private readonly List<LoopCallee> _callees = new();

    // Each callee's own parse, once however many times the body calls it (null where it has errors).
    private readonly Dictionary<IMethodSymbol, LoopFunction?> _calleeParses = new(SymbolEqualityComparer.Default);

    /// <summary>Whether the compilation has tensors: only then do functions get row kernels, which need the callees parsed.</summary>
    private bool _tensors;

    /// <summary>The flag a return before the method's last statement sets (null when there is none).</summary>
    private string? _returned;
    private List<Operand> _operands = new();
    private bool _inCondition;

    /// <summary>The opaque call being lowered into its own local (<see cref="LowerOpaqueCall"/>), which lowers as the call itself.</summary>
    private InvocationExpressionSyntax? _opaqueCall;

    private LoopParser(SemanticModel model, IMethodSymbol method, string elementType, List<DiagnosticInfo> diagnostics, HashSet<IMethodSymbol> callers, CancellationToken cancellationToken)
    {
        _model = model;
        _method = method;
        _callers = callers;
        _elementType = elementType;
        _isFloat = elementType == "float";
        _diagnostics = diagnostics;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The flags of the loop being lowered: set by <c>break</c>/<c>continue</c>, read by the guards after them.</summary>
    private sealed record LoopFlags(string? Break, string? Continue);

    /// <summary>Thrown to abandon the method after its diagnostic was recorded.</summary>
    private sealed class ParseFailedException : Exception
    {
    }

    /// <summary>
    /// Whether the method is a span/loop function: it returns <c>void</c>, takes a span, an array or an integer or
    /// boolean, has a custom derivative, calls inside <c>Grad.StopGradient</c> a method Gradgen does not differentiate
    /// (<see cref="StopGradientScope"/>), or calls (directly or through other methods) a method that is one. Methods over
    /// <c>float</c>/<c>double</c> alone that call none keep the scalar path (fused kernels, unrolled loops).
    /// </summary>
    public static bool IsLoopFunction(IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken) =>
        IsLoopFunction(method, compilation, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), cancellationToken);

    private static bool IsLoopFunction(IMethodSymbol method, Compilation compilation, HashSet<IMethodSymbol> visited, CancellationToken cancellationToken)
    {
        if (HasLoopSignature(method) || CustomBackward(method) is not null)
        {
            return true;
        }

        if (!visited.Add(method.OriginalDefinition))
        {
            return false;
        }

        foreach (var declaration in method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>())
        {
            var model = SemanticModels.Of(compilation, declaration.SyntaxTree);
            if (StopGradientScope.HasOpaqueCall(declaration, model, cancellationToken))
            {
                return true;
            }

            foreach (var invocation in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol callee && FunctionParser.IsDifferentiable(callee)
                    && IsLoopFunction(callee, compilation, visited, cancellationToken))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool HasLoopSignature(IMethodSymbol method) =>
        method.ReturnsVoid || method.Parameters.Any(p => ArrayElement(p.Type) is not null || IsDiscrete(p.Type));

    /// <summary>The name given as <c>[Differentiable(Backward = …)]</c>, or null.</summary>
    public static string? CustomBackward(IMethodSymbol method) =>
        method.GetAttributes()
            .Where(SymbolNames.IsDifferentiableAttribute)
            .SelectMany(a => a.NamedArguments)
            .Where(a => a.Key == "Backward")
            .Select(a => a.Value.Value as string)
            .FirstOrDefault(name => !string.IsNullOrEmpty(name));

    public static ParseResult Parse(IMethodSymbol method, MethodDeclarationSyntax syntax, SemanticModel model, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken) =>
        Parse(method, syntax, model, diagnostics, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), cancellationToken);

    private static ParseResult Parse(IMethodSymbol method, MethodDeclarationSyntax syntax, SemanticModel model, List<DiagnosticInfo> diagnostics, HashSet<IMethodSymbol> callers, CancellationToken cancellationToken)
    {
        int before = diagnostics.Count;
        FunctionParser.CheckShape(method, syntax, diagnostics);
        var parameters = CheckParameters(method, syntax, diagnostics, out string? elementType);
        if (diagnostics.Count > before || parameters is null || elementType is null)
        {
            return new ParseResult(null, diagnostics.ToEquatableArray());
        }

        bool tensors = model.Compilation.GetTypeByMetadataName("Gradgen.Tensor") is not null;
        if (CustomBackward(method) is { } backward)
        {
            var function = CustomDerivative.Check(method, syntax, backward, parameters, elementType, tensors, diagnostics);
            return new ParseResult(null, diagnostics.ToEquatableArray(), function);
        }

        var parser = new LoopParser(model, method, elementType, diagnostics, callers, cancellationToken);
        try
        {
            var function = parser.Lower(syntax, parameters, tensors);
            return new ParseResult(null, diagnostics.ToEquatableArray(), function);
        }
        catch (ParseFailedException)
        {
            return new ParseResult(null, diagnostics.ToEquatableArray());
        }
    }

    /// <summary>The parameters' roles and the element type; null (with diagnostics) when a type is not allowed.</summary>
    private static List<LoopParameter>? CheckParameters(IMethodSymbol method, MethodDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics, out string? elementTypeFound)
    {
        string? elementType = null;
        string? firstOwner = null;
        var parameters = new List<LoopParameter>();
        bool ok = true;
        bool hasOutput = false;

        bool Element(ITypeSymbol type, SyntaxNode where, string owner)
        {
            string name = type.SpecialType == SpecialType.System_Single ? "float" : "double";
            if (elementType is null)
            {
                (elementType, firstOwner) = (name, owner);
            }
            else if (elementType != name)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.MixedPrecision, LocationInfo.From(where), Capitalize(owner), method.Name, name, firstOwner!, elementType));
                return false;
            }

            return true;
        }

        for (int i = 0; i < method.Parameters.Length; i++)
        {
            var parameter = method.Parameters[i];
            var parameterSyntax = syntax.ParameterList.Parameters[i];
            string owner = "parameter '" + parameter.Name + "'";
            SyntaxNode where = (SyntaxNode?)parameterSyntax.Type ?? parameterSyntax;
            if (parameter.RefKind != RefKind.None)
            {
                var modifier = parameterSyntax.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.RefKeyword) || m.IsKind(SyntaxKind.OutKeyword) || m.IsKind(SyntaxKind.InKeyword) || m.IsKind(SyntaxKind.ReadOnlyKeyword));
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.RefParameter, LocationInfo.From(modifier == default ? parameterSyntax.Identifier : modifier), parameter.Name, method.Name, parameterSyntax.Modifiers.ToString()));
                ok = false;
                continue;
            }

            string name = FunctionNames.Escape(parameter.Name);
            if (IsScalar(parameter.Type) && !parameterSyntax.Modifiers.Any(SyntaxKind.ParamsKeyword))
            {
                ok &= Element(parameter.Type, where, owner);
                parameters.Add(new LoopParameter(name, parameter.Type.SpecialType == SpecialType.System_Single ? "float" : "double", ParameterRole.ScalarInput));
            }
            else if (IsDiscrete(parameter.Type))
            {
                parameters.Add(new LoopParameter(name, DiscreteType(parameter.Type), ParameterRole.Discrete));
            }
            else if (ArrayElement(parameter.Type) is { } element && !parameterSyntax.Modifiers.Any(SyntaxKind.ParamsKeyword))
            {
                ok &= Element(element, where, owner);
                bool isOutput = parameter.Type is INamedTypeSymbol { Name: "Span" };
                hasOutput |= isOutput;
                parameters.Add(new LoopParameter(name, parameter.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), isOutput ? ParameterRole.Output : ParameterRole.ArrayInput));
            }
            else
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedType, LocationInfo.From(where), Capitalize(owner), method.Name, parameter.Type.ToDisplayString()));
                ok = false;
            }
        }

        if (IsScalar(method.ReturnType))
        {
            ok &= Element(method.ReturnType, syntax.ReturnType, "the return type");
            if (hasOutput)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedType, LocationInfo.From(syntax.ReturnType), "The return type", method.Name,
                    method.ReturnType.ToDisplayString() + " together with Span<T> outputs (return void, or make the value an output)"));
                ok = false;
            }
        }
        else if (!method.ReturnsVoid)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedType, LocationInfo.From(syntax.ReturnType), "The return type", method.Name, method.ReturnType.ToDisplayString()));
            ok = false;
        }
        else if (!hasOutput)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedType, LocationInfo.From(syntax.ReturnType), "The return type", method.Name, "void (and no Span<T> output)"));
            ok = false;
        }

        if (ok && elementType is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedType, LocationInfo.From(syntax.ReturnType), "The return type", method.Name, method.ReturnType.ToDisplayString() + " (and no float or double anywhere)"));
            ok = false;
        }

        elementTypeFound = elementType;
        return ok ? parameters : null;
    }

    private LoopFunction Lower(MethodDeclarationSyntax syntax, List<LoopParameter> parameters, bool tensors)
    {
        _tensors = tensors;
        for (int i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i];
            _names[_method.Parameters[i]] = parameter.Name;
            _taken.Add(parameter.Name.TrimStart('@'));
            _kinds[parameter.Name] = parameter.Role switch
            {
                ParameterRole.ScalarInput => VariableKind.Scalar,
                ParameterRole.Discrete => VariableKind.Discrete,
                _ => VariableKind.Array,
            };
            if (parameter.Role is ParameterRole.ArrayInput or ParameterRole.Output)
            {
                _arrayRoles[parameter.Name] = parameter.Role;
            }
        }

        // Every user local is reserved before any generated name is made, so "result" or a flag never shadows one.
        foreach (var local in syntax.DescendantNodes().OfType<VariableDeclaratorSyntax>())
        {
            _taken.Add(local.Identifier.ValueText);
        }

        foreach (var element in syntax.DescendantNodes().OfType<ForEachStatementSyntax>())
        {
            _taken.Add(element.Identifier.ValueText);
        }

        string? result = _method.ReturnsVoid ? null : NewLocal("result", VariableKind.Scalar, _elementType);
        var body = new List<LoopStatement>();
        if (syntax.Body is { } block && HasEarlyReturn(block))
        {
            // A return before the last statement: it sets this flag, and every loop around it and every statement
            // after it are guarded by the flag, as a break guards the rest of its loop.
            _returned = NewLocal("returned", VariableKind.Discrete, "bool");
            body.Add(new AssignDiscrete(_returned, Constant("false")));
        }

        if (syntax.ExpressionBody is { } arrow)
        {
            if (result is null)
            {
                LowerSideEffect(arrow.Expression, body);
            }
            else
            {
                var value = LowerScalar(arrow.Expression);
                Add(body, new AssignScalar(result, value));
            }
        }
        else
        {
            LowerStatements(syntax.Body!.Statements, body, result, topLevel: true);
        }

        return new LoopFunction(
            FunctionParser.Signature(_method, syntax, _elementType, tensors),
            parameters.ToEquatableArray(),
            _locals.ToEquatableArray(),
            body.ToEquatableArray(),
            result,
            Callees: _callees.ToEquatableArray());
    }

    /// <summary>
    /// Lowers a statement list into <paramref name="output"/>; returns whether it may leave the enclosing loop's
    /// iteration early (a <c>break</c> or <c>continue</c>), in which case the statements after the one that may leave
    /// run under a guard on the loop's flags.
    /// </summary>
    private bool LowerStatements(IReadOnlyList<StatementSyntax> statements, List<LoopStatement> output, string? result, bool topLevel)
    {
        for (int i = 0; i < statements.Count; i++)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var statement = statements[i];
            bool isLast = topLevel && i == statements.Count - 1;
            if (!LowerStatement(statement, output, result, isLast))
            {
                continue;
            }

            // A break or continue ends this list (what follows it is unreachable); a statement that only may leave
            // guards the rest.
            if (statement is not (BreakStatementSyntax or ContinueStatementSyntax) && i + 1 < statements.Count)
            {
                var rest = new List<LoopStatement>();
                LowerStatements(statements.Skip(i + 1).ToList(), rest, result, topLevel);
                if (rest.Count > 0)
                {
                    output.Add(new IfStatement(Guard(), rest.ToEquatableArray(), EquatableArray<LoopStatement>.Empty));
                }
            }

            return true;
        }

        return false;
    }

    /// <summary>Whether a return statement comes before the body's last statement (or inside it, when that is not a return).</summary>
    private static bool HasEarlyReturn(BlockSyntax body) => Returns(body).Any(r => r != body.Statements.LastOrDefault());

    /// <summary>The return statements inside <paramref name="node"/> that leave the method (not those of a nested function).</summary>
    private static IEnumerable<ReturnStatementSyntax> Returns(SyntaxNode node) =>
        node.DescendantNodes(n => n is not (LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax)).OfType<ReturnStatementSyntax>();

    /// <summary><c>!(break || continue || returned)</c> over the current loop's flags and the early-return flag.</summary>
    private DiscreteExpression Guard()
    {
        var flags = _loops.Count > 0 ? _loops.Peek() : new LoopFlags(null, null);
        var names = new[] { flags.Break, flags.Continue, _returned }.Where(f => f is not null).Select(f => f!).ToArray();
        return new DiscreteExpression("!(" + string.Join(" || ", names) + ")", names.ToEquatableArray(), EquatableArray<ScalarExpression>.Empty);
    }

    private bool LowerStatement(StatementSyntax statement, List<LoopStatement> output, string? result, bool isLast)
    {
        switch (statement)
        {
            case BlockSyntax block:
                return LowerStatements(block.Statements, output, result, topLevel: isLast);

            case EmptyStatementSyntax:
                return false;

            case LocalDeclarationStatementSyntax declaration:
                if (!declaration.IsConst)
                {
                    LowerDeclaration(declaration.Declaration, output);
                }

                return false;

            case ExpressionStatementSyntax expressionStatement:
                LowerSideEffect(expressionStatement.Expression, output);
                return false;

            case IfStatementSyntax ifStatement:
                {
                    var condition = LowerCondition(ifStatement.Condition);
                    var whenTrue = new List<LoopStatement>();
                    bool exits = LowerStatements(new[] { ifStatement.Statement }, whenTrue, result, topLevel: false);
                    var whenFalse = new List<LoopStatement>();
                    if (ifStatement.Else is { } elseClause)
                    {
                        exits |= LowerStatements(new[] { elseClause.Statement }, whenFalse, result, topLevel: false);
                    }

                    Add(output, new IfStatement(condition, whenTrue.ToEquatableArray(), whenFalse.ToEquatableArray()));
                    return exits;
                }

            // A loop with a return inside may leave the enclosing list: what follows it is guarded.
            case ForStatementSyntax forStatement:
                LowerFor(forStatement, output, result);
                return ContainsReturn(forStatement);

            case WhileStatementSyntax whileStatement:
                LowerLoop(whileStatement, whileStatement.Condition, whileStatement.Statement, null, output, result);
                return ContainsReturn(whileStatement);

            case DoStatementSyntax doStatement:
                LowerDo(doStatement, output, result);
                return ContainsReturn(doStatement);

            case ForEachStatementSyntax forEach:
                LowerForEach(forEach, output, result);
                return ContainsReturn(forEach);

            case BreakStatementSyntax:
                output.Add(new AssignDiscrete(_loops.Peek().Break!, Constant("true")));
                return true;

            case ContinueStatementSyntax:
                output.Add(new AssignDiscrete(_loops.Peek().Continue!, Constant("true")));
                return true;

            case ReturnStatementSyntax returnStatement when isLast:
                if (returnStatement.Expression is { } returned && result is not null)
                {
                    var value = LowerScalar(returned);
                    Add(output, new AssignScalar(result, value));
                }

                return false;

            case ReturnStatementSyntax returnStatement:
                {
                    // An early return: the result, the flag, and a break out of every loop around it.
                    if (returnStatement.Expression is { } value && result is not null)
                    {
                        Add(output, new AssignScalar(result, LowerScalar(value)));
                    }

                    output.Add(new AssignDiscrete(_returned!, Constant("true")));
                    foreach (var loop in _loops)
                    {
                        output.Add(new AssignDiscrete(loop.Break!, Constant("true")));
                    }

                    return true;
                }

            default:
                return Fail<bool>(Descriptors.UnsupportedSyntax, LocationInfo.From(statement.GetFirstToken()), BodyLowerer.Describe(statement),
                    "a [Differentiable] method over spans or loops may use locals, assignments, if/else, for, foreach, while, do, break, continue and a final return");
        }
    }

    private void LowerDeclaration(VariableDeclarationSyntax declaration, List<LoopStatement> output)
    {
        foreach (var variable in declaration.Variables)
        {
            var symbol = (ILocalSymbol)_model.GetDeclaredSymbol(variable, _cancellationToken)!;
            var type = symbol.Type;
            if (IsScalar(type))
            {
                string name = Declare(symbol, VariableKind.Scalar, _elementType);
                if (variable.Initializer is { } initializer)
                {
                    var value = LowerScalar(initializer.Value);
                    Add(output, new AssignScalar(name, value));
                }
            }
            else if (IsDiscrete(type))
            {
                string name = Declare(symbol, VariableKind.Discrete, DiscreteType(type));
                if (variable.Initializer is { } initializer)
                {
                    var value = LowerDiscrete(initializer.Value, allowValues: true);
                    Add(output, new AssignDiscrete(name, value));
                }
            }
            else if (ArrayElement(type) is not null)
            {
                var length = variable.Initializer?.Value switch
                {
                    StackAllocArrayCreationExpressionSyntax { Type: ArrayTypeSyntax stackArray } when stackArray.RankSpecifiers[0].Sizes[0] is { } size and not OmittedArraySizeExpressionSyntax => size,
                    ArrayCreationExpressionSyntax { Initializer: null } creation when creation.Type.RankSpecifiers[0].Sizes[0] is { } size and not OmittedArraySizeExpressionSyntax => size,
                    _ => null,
                };
                if (length is null)
                {
                    Fail(Descriptors.WriteToInput, LocationInfo.From(variable), "The span '" + symbol.Name + "' does not own new memory", _method.Name);
                }

                if (_loops.Count > 0)
                {
                    Fail(Descriptors.UnsupportedSyntax, LocationInfo.From(variable), "A local array created inside a loop", "create it once before the loop, so the backward sweep can read every iteration's values");
                }

                string name = Declare(symbol, VariableKind.Array, _elementType + "[]");
                _arrayRoles[name] = ParameterRole.Output;
                _writtenOutputs.Add(name); // new arrays are zeroed, as C# makes them
                Add(output, new AllocateArray(name, LowerIndex(length!)));
            }
            else
            {
                Fail(Descriptors.UnsupportedType, LocationInfo.From(declaration.Type), "Local '" + symbol.Name + "'", _method.Name, type.ToDisplayString());
            }
        }
    }

    private void LowerFor(ForStatementSyntax loop, List<LoopStatement> output, string? result)
    {
        if (loop.Declaration is { } declaration)
        {
            LowerDeclaration(declaration, output);
        }

        foreach (var initializer in loop.Initializers)
        {
            LowerSideEffect(initializer, output);
        }

        LowerLoop(loop, loop.Condition, loop.Statement, loop, output, result);
    }

    /// <summary>
    /// <c>do S while (c);</c> as <c>first = true; while (first || c) { first = false; S }</c>: the condition is first
    /// read after one iteration, as C# does (and a <c>continue</c> in S still goes to the condition).
    /// </summary>
    private void LowerDo(DoStatementSyntax loop, List<LoopStatement> output, string? result)
    {
        string first = NewLocal("firstIteration", VariableKind.Discrete, "bool");
        output.Add(new AssignDiscrete(first, Constant("true")));
        var entered = new AssignDiscrete(first, Constant("false"));
        LowerLoop(loop, loop.Condition, loop.Statement, null, output, result,
            condition => condition with { Text = first + " || (" + condition.Text + ")", Reads = condition.Reads.Concat(new[] { first }).ToEquatableArray() },
            entered);
    }

    /// <summary>
    /// <c>foreach (var v in xs) S</c> over one of the method's spans or local arrays, as the counted loop
    /// <c>for (int i = 0; i &lt; xs.Length; i++) { var v = xs[i]; S }</c>.
    /// </summary>
    private void LowerForEach(ForEachStatementSyntax loop, List<LoopStatement> output, string? result)
    {
        var collection = _model.GetSymbolInfo(loop.Expression, _cancellationToken).Symbol;
        if (loop.Expression is not IdentifierNameSyntax || collection is null || !_names.TryGetValue(collection, out string? array) || _kinds[array] != VariableKind.Array)
        {
            Fail(Descriptors.UnsupportedSyntax, LocationInfo.From(loop.Expression), "foreach over '" + BodyLowerer.Short(loop.Expression) + "'",
                "foreach over one of the method's spans or local arrays, or write a for loop over indices");
            return;
        }

        if (_arrayRoles[array] == ParameterRole.Output && !_writtenOutputs.Contains(array))
        {
            Fail(Descriptors.OutputReadBeforeWritten, LocationInfo.From(loop.Expression), _method.Name, collection.Name, _method.Name);
        }

        var element = (ILocalSymbol)_model.GetDeclaredSymbol(loop, _cancellationToken)!;
        if (!IsScalar(element.Type))
        {
            Fail(Descriptors.UnsupportedType, LocationInfo.From(loop.Type), "Local '" + element.Name + "'", _method.Name, element.Type.ToDisplayString());
        }

        string index = NewLocal("index", VariableKind.Discrete, "int");
        output.Add(new AssignDiscrete(index, Constant("0")));
        string value = Declare(element, VariableKind.Scalar, _elementType);
        var position = new DiscreteText(index, new[] { index }.ToEquatableArray());
        var builder = new GraphBuilder(_isFloat);
        var read = new AssignScalar(value, LowerWith(builder, _ => Leaf(builder, new Operand(OperandKind.Element, array, position))));
        var condition = new DiscreteExpression(index + " < " + array + ".Length", new[] { index }.ToEquatableArray(), EquatableArray<ScalarExpression>.Empty);
        LowerLoop(loop, null, loop.Statement, null, output, result, _ => condition, read, (index, 1));
    }

    /// <summary>
    /// A for, while, do or foreach loop: flags for break/continue, the body, and the counter when the loop is counted.
    /// <paramref name="adjustCondition"/> rewrites the lowered condition, <paramref name="entry"/> starts each
    /// iteration, and <paramref name="counter"/> names the counter of a loop without a for statement.
    /// </summary>
    private void LowerLoop(StatementSyntax loop, ExpressionSyntax? conditionSyntax, StatementSyntax bodySyntax, ForStatementSyntax? forLoop, List<LoopStatement> output, string? result,
        Func<DiscreteExpression, DiscreteExpression>? adjustCondition = null, LoopStatement? entry = null, (string Name, int Step)? counter = null)
    {
        var exits = bodySyntax.DescendantNodesAndSelf(n => n == bodySyntax || !IsLoop(n)).ToList();
        string? breakFlag = exits.OfType<BreakStatementSyntax>().Any() || ContainsReturn(bodySyntax) ? NewLocal("exitLoop", VariableKind.Discrete, "bool") : null;
        string? continueFlag = exits.OfType<ContinueStatementSyntax>().Any() ? NewLocal("nextIteration", VariableKind.Discrete, "bool") : null;
        if (breakFlag is not null)
        {
            output.Add(new AssignDiscrete(breakFlag, Constant("false")));
        }

        var condition = conditionSyntax is null ? Constant("true") : LowerCondition(conditionSyntax);
        if (adjustCondition is not null)
        {
            condition = adjustCondition(condition);
        }

        if (breakFlag is not null)
        {
            condition = condition with { Text = "!" + breakFlag + " && (" + condition.Text + ")", Reads = condition.Reads.Concat(new[] { breakFlag }).ToEquatableArray() };
        }

        counter ??= forLoop is null ? null : CountedBy(forLoop);
        _loops.Push(new LoopFlags(breakFlag, continueFlag));
        var body = new List<LoopStatement>();
        if (entry is not null)
        {
            Add(body, entry);
        }

        if (continueFlag is not null)
        {
            body.Add(new AssignDiscrete(continueFlag, Constant("false")));
        }

        LowerStatements(new[] { bodySyntax }, body, result, topLevel: false);
        _loops.Pop();

        var step = new List<LoopStatement>();
        if (forLoop is not null && counter is null)
        {
            foreach (var incrementor in forLoop.Incrementors)
            {
                LowerSideEffect(incrementor, step);
            }

            if (breakFlag is not null && step.Count > 0)
            {
                var guarded = new IfStatement(new DiscreteExpression("!" + breakFlag, new[] { breakFlag }.ToEquatableArray(), EquatableArray<ScalarExpression>.Empty), step.ToEquatableArray(), EquatableArray<LoopStatement>.Empty);
                step = new List<LoopStatement> { guarded };
            }
        }

        Add(output, new LoopStatementWhile(condition, body.ToEquatableArray(), step.ToEquatableArray(), counter?.Name, counter?.Step ?? 0, breakFlag));
    }

    private static bool ContainsReturn(SyntaxNode node) => Returns(node).Any();

    private static bool IsLoop(SyntaxNode node) => node is ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax or ForEachStatementSyntax;

    /// <summary>
    /// The counter of a counted loop: one incrementor <c>i++</c>, <c>i--</c>, <c>i += c</c> or <c>i -= c</c> (c a constant)
    /// of an integer local that the body never assigns. The backward sweep then walks it down from its last value.
    /// </summary>
    private (string Name, int Step)? CountedBy(ForStatementSyntax loop)
    {
        if (loop.Incrementors.Count != 1)
        {
            return null;
        }

        (ExpressionSyntax Target, int Step)? parsed = loop.Incrementors[0] switch
        {
            PostfixUnaryExpressionSyntax postfix => (postfix.Operand, postfix.IsKind(SyntaxKind.PostIncrementExpression) ? 1 : -1),
            PrefixUnaryExpressionSyntax prefix when prefix.IsKind(SyntaxKind.PreIncrementExpression) || prefix.IsKind(SyntaxKind.PreDecrementExpression) => (prefix.Operand, prefix.IsKind(SyntaxKind.PreIncrementExpression) ? 1 : -1),
            AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.AddAssignmentExpression) || assignment.IsKind(SyntaxKind.SubtractAssignmentExpression)
                => _model.GetConstantValue(assignment.Right, _cancellationToken) is { HasValue: true, Value: int amount } && amount != 0
                    ? (assignment.Left, assignment.IsKind(SyntaxKind.AddAssignmentExpression) ? amount : -amount)
                    : null,
            _ => null,
        };
        if (parsed is null || _model.GetSymbolInfo(parsed.Value.Target, _cancellationToken).Symbol is not ILocalSymbol { Type.SpecialType: SpecialType.System_Int32 } counter)
        {
            return null;
        }

        foreach (var node in loop.Statement.DescendantNodesAndSelf())
        {
            var assigned = node switch
            {
                AssignmentExpressionSyntax a => a.Left,
                PostfixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.PostIncrementExpression) || p.IsKind(SyntaxKind.PostDecrementExpression) => p.Operand,
                PrefixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.PreIncrementExpression) || p.IsKind(SyntaxKind.PreDecrementExpression) => p.Operand,
                _ => null,
            };
            if (assigned is not null && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(assigned, _cancellationToken).Symbol, counter))
            {
                return null;
            }
        }

        return (_names[counter], parsed.Value.Step);
    }

    /// <summary>An expression statement: an assignment, compound assignment, <c>++</c> or <c>--</c>.</summary>
    private void LowerSideEffect(ExpressionSyntax expression, List<LoopStatement> output)
    {
        switch (expression)
        {
            case AssignmentExpressionSyntax assignment:
                LowerAssignment(assignment, output);
                return;

            case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix:
                LowerStep(postfix.Operand, postfix.IsKind(SyntaxKind.PostIncrementExpression), output);
                return;

            case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix:
                LowerStep(prefix.Operand, prefix.IsKind(SyntaxKind.PreIncrementExpression), output);
                return;

            default:
                Fail(Descriptors.UnsupportedSyntax, LocationInfo.From(expression), "The expression statement '" + BodyLowerer.Short(expression) + "'",
                    "a statement must assign a local variable or an element of an output or local array");
                return;
        }
    }

    private void LowerAssignment(AssignmentExpressionSyntax assignment, List<LoopStatement> output)
    {
        if (assignment.Left is ElementAccessExpressionSyntax element)
        {
            var (array, index) = StoreTarget(element);
            var builder = new GraphBuilder(_isFloat);
            var value = LowerWith(builder, lowerer => lowerer.TryLowerAssignedValue(assignment));
            _writtenOutputs.Add(array);
            Add(output, new StoreElement(array, index, value));
            return;
        }

        string target = AssignedVariable(assignment.Left);
        switch (_kinds[target])
        {
            case VariableKind.Scalar:
                {
                    var builder = new GraphBuilder(_isFloat);
                    var value = LowerWith(builder, lowerer => lowerer.TryLowerAssignedValue(assignment));
                    Add(output, new AssignScalar(target, value));
                    return;
                }

            case VariableKind.Discrete:
                {
                    var value = LowerDiscrete(assignment.Right, allowValues: true);
                    if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression))
                    {
                        string op = assignment.OperatorToken.Text.TrimEnd('=');
                        value = value with { Text = target + " " + op + " (" + value.Text + ")", Reads = value.Reads.Concat(new[] { target }).ToEquatableArray() };
                    }

                    Add(output, new AssignDiscrete(target, value));
                    return;
                }

            default:
                Fail(Descriptors.WriteToInput, LocationInfo.From(assignment), "Assigning the span '" + target + "'", _method.Name);
                return;
        }
    }

    private void LowerStep(ExpressionSyntax operand, bool increment, List<LoopStatement> output)
    {
        if (operand is ElementAccessExpressionSyntax element)
        {
            var (array, index) = StoreTarget(element);
            var value = LowerWith(new GraphBuilder(_isFloat), lowerer => lowerer.TryLowerStep(operand, increment));
            Add(output, new StoreElement(array, index, value));
            return;
        }

        string target = AssignedVariable(operand);
        if (_kinds[target] == VariableKind.Scalar)
        {
            var value = LowerWith(new GraphBuilder(_isFloat), lowerer => lowerer.TryLowerStep(operand, increment));
            Add(output, new AssignScalar(target, value));
        }
        else
        {
            output.Add(new AssignDiscrete(target, new DiscreteExpression(target + (increment ? " + 1" : " - 1"), new[] { target }.ToEquatableArray(), EquatableArray<ScalarExpression>.Empty)));
        }
    }

    private (string Array, DiscreteText Index) StoreTarget(ElementAccessExpressionSyntax element)
    {
        var symbol = _model.GetSymbolInfo(element.Expression, _cancellationToken).Symbol;
        if (symbol is null || !_names.TryGetValue(symbol, out string? array) || _kinds[array] != VariableKind.Array || element.ArgumentList.Arguments.Count != 1)
        {
            return Fail<(string, DiscreteText)>(Descriptors.UnsupportedSyntax, LocationInfo.From(element), "Assigning '" + BodyLowerer.Short(element) + "'",
                "only elements of the method's Span<T> outputs and of its local arrays can be assigned");
        }

        if (_arrayRoles[array] == ParameterRole.ArrayInput)
        {
            Fail(Descriptors.WriteToInput, LocationInfo.From(element), "Writing the input '" + symbol.Name + "'", _method.Name);
        }

        return (array, LowerIndex(element.ArgumentList.Arguments[0].Expression));
    }

    private string AssignedVariable(ExpressionSyntax target)
    {
        var symbol = _model.GetSymbolInfo(target, _cancellationToken).Symbol;
        if (symbol is ILocalSymbol or IParameterSymbol && _names.TryGetValue(symbol, out string? name))
        {
            return name;
        }

        return Fail<string>(Descriptors.UnsupportedSyntax, LocationInfo.From(target), "Assignment to '" + BodyLowerer.Short(target) + "'",
            "a [Differentiable] method has no side effects; assign a local variable or an element of an output");
    }

    private DiscreteExpression LowerCondition(ExpressionSyntax condition)
    {
        bool was = _inCondition;
        _inCondition = true;
        try
        {
            return LowerDiscrete(condition, allowValues: true);
        }
        finally
        {
            _inCondition = was;
        }
    }

    private DiscreteText LowerIndex(ExpressionSyntax expression)
    {
        var discrete = LowerDiscrete(expression, allowValues: false);
        return new DiscreteText(discrete.Text, discrete.Reads);
    }

    /// <summary>
    /// An integer or boolean expression as C#: variables (renamed), constants, <c>.Length</c>, arithmetic, comparisons,
    /// logic, casts and <c>Math.Min/Max/Abs</c>. A floating-point sub-expression (<c>x[i] &gt; m</c>) becomes a value
    /// <c>{k}</c> when <paramref name="allowValues"/> (conditions), and an error in an index.
    /// </summary>
    private DiscreteExpression LowerDiscrete(ExpressionSyntax expression, bool allowValues)
    {
        var reads = new List<string>();
        var values = new List<ScalarExpression>();

        string Print(ExpressionSyntax e)
        {
            var constant = _model.GetConstantValue(e, _cancellationToken);
            var type = _model.GetTypeInfo(e, _cancellationToken).Type;
            if (constant.HasValue && constant.Value is bool or int or long or short or byte or sbyte or ushort or uint)
            {
                return constant.Value switch
                {
                    bool b => b ? "true" : "false",
                    long l => l.ToString(CultureInfo.InvariantCulture) + "L",
                    var number => Convert.ToInt64(number, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
                };
            }

            if (type is not null && IsScalar(type))
            {
                if (!allowValues)
                {
                    return Fail<string>(Descriptors.UnsupportedSyntax, LocationInfo.From(e), "An index computed from the floating-point value '" + BodyLowerer.Short(e) + "'",
                        "indices must be integer expressions of counters, sizes and constants");
                }

                values.Add(LowerScalar(e));
                return "{" + (values.Count - 1).ToString(CultureInfo.InvariantCulture) + "}";
            }

            switch (e)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    return "(" + Print(parenthesized.Expression) + ")";

                case IdentifierNameSyntax when _model.GetSymbolInfo(e, _cancellationToken).Symbol is { } symbol && _names.TryGetValue(symbol, out string? name) && _kinds[name] == VariableKind.Discrete:
                    reads.Add(name);
                    return name;

                case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Length" } member
                    when _model.GetSymbolInfo(member.Expression, _cancellationToken).Symbol is { } symbol && _names.TryGetValue(symbol, out string? array) && _kinds[array] == VariableKind.Array:
                    return array + ".Length";

                case BinaryExpressionSyntax binary when binary.Kind() is not (SyntaxKind.IsExpression or SyntaxKind.AsExpression or SyntaxKind.CoalesceExpression):
                    return Print(binary.Left) + " " + binary.OperatorToken.Text + " " + Print(binary.Right);

                case PrefixUnaryExpressionSyntax prefix when prefix.Kind() is SyntaxKind.UnaryMinusExpression or SyntaxKind.UnaryPlusExpression or SyntaxKind.LogicalNotExpression or SyntaxKind.BitwiseNotExpression:
                    return prefix.OperatorToken.Text + Print(prefix.Operand);

                case CastExpressionSyntax cast when _model.GetTypeInfo(cast.Type, _cancellationToken).Type is { } target && (IsDiscrete(target) || target.SpecialType == SpecialType.System_Int32):
                    return "(" + DiscreteType(target) + ")(" + Print(cast.Expression) + ")";

                case ConditionalExpressionSyntax conditional:
                    return "(" + Print(conditional.Condition) + " ? " + Print(conditional.WhenTrue) + " : " + Print(conditional.WhenFalse) + ")";

                case InvocationExpressionSyntax invocation
                    when _model.GetSymbolInfo(invocation, _cancellationToken).Symbol is IMethodSymbol { Name: "Min" or "Max" or "Abs" } callee && KnownFunctions.IsMathType(callee.ContainingType)
                        && invocation.ArgumentList.Arguments.All(a => a.RefKindKeyword.IsKind(SyntaxKind.None)):
                    return "global::System.Math." + callee.Name + "(" + string.Join(", ", invocation.ArgumentList.Arguments.Select(a => Print(a.Expression))) + ")";

                default:
                    return Fail<string>(Descriptors.UnsupportedSyntax, LocationInfo.From(e), BodyLowerer.Describe(e),
                        "an integer or boolean expression may use counters, sizes, constants, .Length, arithmetic, comparisons, logic and Math.Min/Max/Abs");
            }
        }

        string text = Print(expression);
        return new DiscreteExpression(text, reads.Distinct().ToEquatableArray(), values.ToEquatableArray());
    }

    private static DiscreteExpression Constant(string text) =>
        new(text, EquatableArray<string>.Empty, EquatableArray<ScalarExpression>.Empty);

    private ScalarExpression LowerScalar(ExpressionSyntax expression) =>
        LowerWith(new GraphBuilder(_isFloat), lowerer => lowerer.TryLowerExpression(expression));

    /// <summary>Lowers one numeric expression into its own graph, whose parameters are the reads the resolver made.</summary>
    private ScalarExpression LowerWith(GraphBuilder builder, Func<BodyLowerer, int?> lower)
    {
        var outer = _operands;
        _operands = new List<Operand>();
        try
        {
            var lowerer = new BodyLowerer(_model, builder, _method, _diagnostics, this, _cancellationToken);
            int root = lower(lowerer) ?? throw new ParseFailedException();
            var graph = KernelPlanner.Compact(builder.ToGraph(new[] { root })).Graph;
            return new ScalarExpression(graph, _operands.ToEquatableArray());
        }
        finally
        {
            _operands = outer;
        }
    }

    /// <inheritdoc/>
    public int? TryResolve(ExpressionSyntax expression, GraphBuilder builder)
    {
        var type = _model.GetTypeInfo(expression, _cancellationToken).Type;
        switch (expression)
        {
            case ElementAccessExpressionSyntax element when _model.GetSymbolInfo(element.Expression, _cancellationToken).Symbol is { } symbol && _names.TryGetValue(symbol, out string? array):
                if (_kinds[array] != VariableKind.Array || element.ArgumentList.Arguments.Count != 1)
                {
                    return null;
                }

                if (_arrayRoles[array] == ParameterRole.Output && !_writtenOutputs.Contains(array))
                {
                    Fail(Descriptors.OutputReadBeforeWritten, LocationInfo.From(element), _method.Name, symbol.Name, _method.Name);
                }

                return Leaf(builder, new Operand(OperandKind.Element, array, LowerIndex(element.ArgumentList.Arguments[0].Expression)));

            case IdentifierNameSyntax when _model.GetSymbolInfo(expression, _cancellationToken).Symbol is { } symbol && _names.TryGetValue(symbol, out string? name):
                return _kinds[name] switch
                {
                    VariableKind.Scalar => Leaf(builder, new Operand(OperandKind.Scalar, name, null)),
                    VariableKind.Discrete when type?.SpecialType == SpecialType.System_Boolean
                        => Leaf(builder, new Operand(OperandKind.Discrete, string.Empty, new DiscreteText("(" + name + " ? 1 : 0)", new[] { name }.ToEquatableArray()))),
                    VariableKind.Discrete => Leaf(builder, new Operand(OperandKind.Discrete, string.Empty, LowerIndex(expression))),
                    _ => Fail<int>(Descriptors.UnsupportedSyntax, LocationInfo.From(expression), "The span '" + symbol.Name + "' used as a number", "read one element, x[i]"),
                };

            case InvocationExpressionSyntax invocation when _model.GetSymbolInfo(invocation, _cancellationToken).Symbol is IMethodSymbol callee
                && FunctionParser.IsDifferentiable(callee) && IsLoopFunction(callee, _model.Compilation, _cancellationToken):
                return Leaf(builder, new Operand(OperandKind.Scalar, LowerCall(invocation, callee), null));

            case InvocationExpressionSyntax invocation when !_inCondition && !ReferenceEquals(invocation, _opaqueCall) && StopGradientScope.IsOpaqueCall(invocation, _model, _cancellationToken):
                return Leaf(builder, new Operand(OperandKind.Scalar, LowerOpaqueCall(invocation), null));

            case ExpressionSyntax when type is not null && KnownFunctions.IsIntegral(type) && !_model.GetConstantValue(expression, _cancellationToken).HasValue
                && !NeedsNumbers(expression):
                // An integer sub-expression ((float)(i + 1) / n): one leaf, computed as an integer, with no gradient.
                return Leaf(builder, new Operand(OperandKind.Discrete, string.Empty, LowerIndex(expression)));

            default:
                return null;
        }
    }

    /// <summary>
    /// Whether an integer expression inside <c>Grad.StopGradient</c> truncates a floating-point value (<c>(int)x</c>) or
    /// calls a method only an opaque call makes (<c>Bucket(r, 4)</c>): the lowerer computes it as numbers then, where
    /// an integer leaf would be an error; nothing inside the stop-gradient has a gradient anyway.
    /// </summary>
    private bool NeedsNumbers(ExpressionSyntax expression) =>
        expression.DescendantNodesAndSelf().Any(node => node switch
        {
            CastExpressionSyntax cast => !KnownFunctions.IsIntegral(_model.GetTypeInfo(cast.Expression, _cancellationToken).Type),
            InvocationExpressionSyntax call => _model.GetSymbolInfo(call, _cancellationToken).Symbol is IMethodSymbol callee
                && !FunctionParser.IsDifferentiable(callee) && !KnownFunctions.IsMathType(callee.ContainingType),
            _ => false,
        })
        && StopGradientScope.Contains(_model, expression, _cancellationToken);

    private int Leaf(GraphBuilder builder, Operand operand)
    {
        int index = _operands.IndexOf(operand);
        if (index < 0)
        {
            index = _operands.Count;
            _operands.Add(operand);
        }

        return builder.Parameter(index);
    }

    /// <summary>
    /// A call Gradgen does not differentiate, inside <c>Grad.StopGradient</c>: it goes before the statement being lowered,
    /// into a local that the expression reads, so it runs once each time the forward sweep runs the statement. The
    /// backward sweep reads the local (restored from the tape where a loop overwrites it) instead of calling the method
    /// again: the user's method may be costly, count its calls or draw a random number. Conditions keep the call inline,
    /// as they are evaluated in the forward sweep only and a loop's condition runs on every iteration.
    /// </summary>
    private string LowerOpaqueCall(InvocationExpressionSyntax invocation)
    {
        var callee = (IMethodSymbol)_model.GetSymbolInfo(invocation, _cancellationToken).Symbol!;
        var outer = _opaqueCall;
        _opaqueCall = invocation;
        try
        {
            var value = LowerScalar(invocation);
            string temporary = NewLocal(callee.Name + "Value", VariableKind.Scalar, _elementType);
            _pending.Add(new AssignScalar(temporary, value));
            return temporary;
        }
        finally
        {
            _opaqueCall = outer;
        }
    }

    /// <summary>
    /// A call of another span function inside an expression: its arguments and the call go before the statement being
    /// lowered, into locals, and the expression reads the call's value.
    /// </summary>
    private string LowerCall(InvocationExpressionSyntax invocation, IMethodSymbol callee)
    {
        var location = LocationInfo.From(invocation);
        if (_inCondition)
        {
            Fail(Descriptors.UnsupportedSyntax, location, "A call of the span function '" + callee.Name + "' in a condition", "assign its value to a local before the if or loop");
        }

        if (SymbolEqualityComparer.Default.Equals(callee.OriginalDefinition, _method) || CallsBack(callee))
        {
            Fail(Descriptors.Recursion, location, _method.Name, callee.Name);
        }

        var calleeSyntax = callee.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        var calleeDiagnostics = new List<DiagnosticInfo>();
        var calleeParameters = calleeSyntax is null ? null : CheckParameters(callee, calleeSyntax, calleeDiagnostics, out _);
        if (calleeSyntax is not null)
        {
            FunctionParser.CheckShape(callee, calleeSyntax, calleeDiagnostics);
        }

        if (calleeParameters is null || calleeDiagnostics.Count > 0 || callee.ContainingType.IsGenericType || callee.IsGenericMethod)
        {
            Fail(Descriptors.CalleeNotDifferentiable, location, _method.Name, callee.Name);
        }

        if (callee.ReturnsVoid || calleeParameters!.Any(p => p.Role == ParameterRole.Output) || callee.ReturnType.SpecialType != (_isFloat ? SpecialType.System_Single : SpecialType.System_Double))
        {
            Fail(Descriptors.UnsupportedSyntax, location, "The call of '" + callee.Name + "'",
                "a span function called from another returns its element type and has no Span<T> outputs");
        }

        if (calleeParameters!.Any(p => p.Role == ParameterRole.ArrayInput && p.Type.EndsWith("[]", StringComparison.Ordinal)))
        {
            Fail(Descriptors.UnsupportedSyntax, location, "The call of '" + callee.Name + "', which takes an array",
                "declare its array parameters as ReadOnlySpan<T>, so the caller can pass spans and slices");
        }

        // The caller calls the callee's generated members, which a callee with errors of its own does not get (those are
        // reported at its declaration; the row kernels also compose its parse into the caller's).
        bool firstCall = !_calleeParses.TryGetValue(callee.OriginalDefinition, out var calleeFunction);
        if (firstCall)
        {
            calleeFunction = ParseCallee(callee, calleeSyntax!);
            _calleeParses.Add(callee.OriginalDefinition, calleeFunction);
        }

        if (calleeFunction is null)
        {
            Fail(Descriptors.CalleeNotDifferentiable, location, _method.Name, callee.Name);
        }

        var arguments = new List<CallArgument>();
        for (int i = 0; i < calleeParameters!.Count; i++)
        {
            var argument = invocation.ArgumentList.Arguments[i];
            if (argument.NameColon is not null || !argument.RefKindKeyword.IsKind(SyntaxKind.None))
            {
                Fail(Descriptors.UnsupportedSyntax, LocationInfo.From(argument), "The argument '" + argument + "'", "pass arguments by value and in order");
            }

            switch (calleeParameters[i].Role)
            {
                case ParameterRole.ArrayInput:
                    arguments.Add(SpanArgument(argument.Expression));
                    break;
                case ParameterRole.ScalarInput:
                    {
                        var value = LowerScalar(argument.Expression);
                        string temporary = NewLocal(callee.Name + "Argument", VariableKind.Scalar, _elementType);
                        _pending.Add(new AssignScalar(temporary, value));
                        arguments.Add(new CallArgument(VariableKind.Scalar, temporary, null, null, null));
                        break;
                    }

                default:
                    arguments.Add(new CallArgument(VariableKind.Discrete, string.Empty, null, null, LowerIndex(argument.Expression)));
                    break;
            }
        }

        string target = NewLocal(callee.Name + "Value", VariableKind.Scalar, _elementType);
        string qualified = callee.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + "." + callee.Name;
        _pending.Add(new CallFunction(target, qualified, arguments.ToEquatableArray()));
        if (_tensors && firstCall)
        {
            _callees.Add(new LoopCallee(qualified, calleeFunction));
        }

        return target;
    }

    /// <summary>
    /// Whether <paramref name="callee"/>, through the <c>[Differentiable]</c> methods it calls, calls this method again
    /// (Ping calls Pong, which calls Ping): recursion, refused as a direct call to itself is, whatever bounds it at run time.
    /// </summary>
    private bool CallsBack(IMethodSymbol callee)
    {
        var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default) { callee.OriginalDefinition };
        var pending = new Stack<IMethodSymbol>();
        pending.Push(callee.OriginalDefinition);
        while (pending.Count > 0)
        {
            foreach (var syntax in pending.Pop().DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellationToken)).OfType<MethodDeclarationSyntax>())
            {
                var model = SemanticModels.For(_model, syntax.SyntaxTree);
                foreach (var invocation in syntax.DescendantNodes().OfType<InvocationExpressionSyntax>())
                {
                    if (model.GetSymbolInfo(invocation, _cancellationToken).Symbol is IMethodSymbol called && FunctionParser.IsDifferentiable(called))
                    {
                        if (SymbolEqualityComparer.Default.Equals(called.OriginalDefinition, _method))
                        {
                            return true;
                        }

                        if (seen.Add(called.OriginalDefinition))
                        {
                            pending.Push(called.OriginalDefinition);
                        }
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The callee's own parse: whether it has errors (then it gets no generated members to call), and for the row
    /// kernels, which compose its body into the caller's CUDA source (the C# calls its generated members instead). Its
    /// diagnostics are its own, reported at its declaration, not here. Null where it has errors, or where it calls back
    /// into a function whose parse led here (mutual recursion).
    /// </summary>
    private LoopFunction? ParseCallee(IMethodSymbol callee, MethodDeclarationSyntax syntax)
    {
        var callers = new HashSet<IMethodSymbol>(_callers, SymbolEqualityComparer.Default) { _method.OriginalDefinition };
        if (callers.Contains(callee.OriginalDefinition))
        {
            return null;
        }

        if (IncompleteCode.HasSyntaxErrors(syntax))
        {
            return null;
        }

        try
        {
            var model = SemanticModels.For(_model, syntax.SyntaxTree);
            return Parse(callee, syntax, model, new List<DiagnosticInfo>(), callers, _cancellationToken).Loop;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The callee's own parse reports this at its declaration; the caller only goes without row kernels.
            return null;
        }
    }

    /// <summary>A span argument: an array variable, or <c>a.Slice(start)</c> / <c>a.Slice(start, length)</c> of one.</summary>
    private CallArgument SpanArgument(ExpressionSyntax expression)
    {
        string? Array(ExpressionSyntax e) =>
            _model.GetSymbolInfo(e, _cancellationToken).Symbol is { } symbol && _names.TryGetValue(symbol, out string? name) && _kinds[name] == VariableKind.Array ? name : null;

        if (Array(expression) is { } whole)
        {
            CheckReadable(whole, expression);
            return new CallArgument(VariableKind.Array, whole, null, null, null);
        }

        if (expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Slice" } slice } call
            && Array(slice.Expression) is { } sliced && call.ArgumentList.Arguments.Count is 1 or 2)
        {
            CheckReadable(sliced, expression);
            var start = LowerIndex(call.ArgumentList.Arguments[0].Expression);
            var length = call.ArgumentList.Arguments.Count == 2 ? LowerIndex(call.ArgumentList.Arguments[1].Expression) : null;
            return new CallArgument(VariableKind.Array, sliced, start, length, null);
        }

        return Fail<CallArgument>(Descriptors.UnsupportedSyntax, LocationInfo.From(expression), "The span argument '" + BodyLowerer.Short(expression) + "'",
            "pass a span or array variable, or a.Slice(start, length) of one");
    }

    private void CheckReadable(string array, ExpressionSyntax use)
    {
        if (_arrayRoles[array] == ParameterRole.Output && !_writtenOutputs.Contains(array))
        {
            Fail(Descriptors.OutputReadBeforeWritten, LocationInfo.From(use), _method.Name, array, _method.Name);
        }
    }

    /// <summary>Adds <paramref name="statement"/> after the calls its expressions hoisted.</summary>
    private void Add(List<LoopStatement> output, LoopStatement statement)
    {
        output.AddRange(_pending);
        _pending.Clear();
        output.Add(statement);
    }

    private string Declare(ILocalSymbol symbol, VariableKind kind, string type)
    {
        string name = symbol.Name;
        if (_kinds.ContainsKey(FunctionNames.Escape(name)))
        {
            // A second local of the same name in another scope: the generated method hoists both, so they need two names.
            int suffix = 2;
            while (_taken.Contains(name + suffix.ToString(CultureInfo.InvariantCulture)))
            {
                suffix++;
            }

            name += suffix.ToString(CultureInfo.InvariantCulture);
            _taken.Add(name);
        }

        name = FunctionNames.Escape(name);
        _names[symbol] = name;
        _kinds[name] = kind;
        _locals.Add(new LoopLocal(name, kind, type));
        return name;
    }

    private string NewLocal(string baseName, VariableKind kind, string type)
    {
        string name = baseName;
        for (int suffix = 2; !_taken.Add(name); suffix++)
        {
            name = baseName + suffix.ToString(CultureInfo.InvariantCulture);
        }

        _kinds[name] = kind;
        _locals.Add(new LoopLocal(name, kind, type));
        return name;
    }

    private static bool IsScalar(ITypeSymbol type) => type.SpecialType is SpecialType.System_Single or SpecialType.System_Double;

    private static bool IsDiscrete(ITypeSymbol type) => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Boolean;

    private static string DiscreteType(ITypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_Int64 => "long",
        SpecialType.System_Boolean => "bool",
        _ => "int",
    };

    /// <summary>The element type of <c>ReadOnlySpan&lt;T&gt;</c>, <c>Span&lt;T&gt;</c> or <c>T[]</c> for T float or double; null otherwise.</summary>
    private static ITypeSymbol? ArrayElement(ITypeSymbol type)
    {
        var element = type switch
        {
            IArrayTypeSymbol { Rank: 1 } array => array.ElementType,
            INamedTypeSymbol { Name: "Span" or "ReadOnlySpan", TypeArguments.Length: 1 } span when span.ContainingNamespace.ToDisplayString() == "System" => span.TypeArguments[0],
            _ => null,
        };
        return element is not null && IsScalar(element) ? element : null;
    }

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text.Substring(1);

    private void Fail(DiagnosticDescriptor descriptor, LocationInfo location, params string[] arguments)
    {
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));
        throw new ParseFailedException();
    }

    private T Fail<T>(DiagnosticDescriptor descriptor, LocationInfo location, params string[] arguments)
    {
        Fail(descriptor, location, arguments);
        return default!;
    }
}
