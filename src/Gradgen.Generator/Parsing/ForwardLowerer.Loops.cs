using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// Loops in Forward: a loop whose count the code shows (<c>for (int i = 0; i &lt; 4; i++)</c>, <c>i &lt; layers.Count</c>,
/// <c>foreach (var layer in layers)</c> over a <c>ModuleList</c> or <c>Sequential</c> field created in place) is
/// unrolled, its variable a constant in each copy of the body, so the graph is as static as if the user had written
/// the copies out. A loop whose count is not visible stays GG0016, naming it.
/// </summary>
internal sealed partial class ForwardLowerer
{
    /// <summary>
    /// The most iterations one loop unrolls into: each copies its body into the graph, so a loop over thousands of steps
    /// would make a graph (and a generated file) that size, where eager execution is the better plan.
    /// </summary>
    internal const int MaxUnrolledIterations = 256;

    // The ModuleList and Sequential fields met so far and their elements, by the C# that reads them.
    private readonly Dictionary<string, ModuleElement> _listFields = new();
    private readonly Dictionary<string, List<ModuleElement>> _listElements = new();

    /// <summary>
    /// A module the code applies: its type, the C# that reads it at run time, its creation if visible, its name in
    /// messages, and for a field the place it is declared (where "Show why" goes when its creation is not visible).
    /// </summary>
    private sealed record ModuleElement(ITypeSymbol Type, string Access, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? Creation, string Name, LocationInfo? Declared = null);

    /// <summary>The module <paramref name="receiver"/> denotes (a field, <c>layers[i]</c> with a constant i, a foreach variable), or null.</summary>
    private ModuleElement? ModuleOf(ExpressionSyntax receiver, Scope scope)
    {
        var model = scope.Model;
        if (receiver is ParenthesizedExpressionSyntax parenthesized)
        {
            return ModuleOf(parenthesized.Expression, scope);
        }

        if (receiver is ElementAccessExpressionSyntax { ArgumentList.Arguments.Count: 1 } element && ModuleListField(element.Expression, scope) is { } list)
        {
            var index = Lower(element.ArgumentList.Arguments[0].Expression, scope);
            var elements = ListElements(list, scope.Type, element);
            if (index.Constant is not { } position || position != System.Math.Floor(position))
            {
                throw new NotCompiledException(LocationInfo.From(element), $"'{Short(element)}' indexes the {list.Type.Name} '{list.Name}' with a value that is not a constant or a loop variable of constant bounds");
            }

            int i = (int)position;
            if (i < 0 || i >= elements.Count)
            {
                throw new NotCompiledException(LocationInfo.From(element), $"'{Short(element)}' reads element {i} of the {list.Type.Name} '{list.Name}', which holds {elements.Count}");
            }

            return elements[i];
        }

        var symbol = model.GetSymbolInfo(receiver, _cancellationToken).Symbol;
        if (symbol is ILocalSymbol local && scope.ModuleLocals.TryGetValue(local, out var bound))
        {
            return bound;
        }

        if (symbol is IFieldSymbol { IsStatic: false } field && IsMemberOf(field, scope.Type))
        {
            return new ModuleElement(field.Type, FieldAccess(field, scope), FieldCreation(scope.Type, field.Name), field.Name, Declaration(field));
        }

        return null;
    }

    /// <summary>The C# that reads <paramref name="field"/> of the model in <paramref name="scope"/> at run time.</summary>
    private static string FieldAccess(IFieldSymbol field, Scope scope) =>
        scope.Access == "this" ? "this." + field.Name : $"(({Global(field.Type)}){scope.Access}.GradgenMember(\"{field.Name}\")!)";

    /// <summary>The field <paramref name="expression"/> reads when it is a <c>ModuleList&lt;T&gt;</c> or <c>Sequential</c> field of the model, else null.</summary>
    private ModuleElement? ModuleListField(ExpressionSyntax expression, Scope scope)
    {
        var symbol = scope.Model.GetSymbolInfo(expression, _cancellationToken).Symbol;
        if (symbol is not IFieldSymbol { IsStatic: false } field || !IsMemberOf(field, scope.Type) || !IsModuleList(field.Type))
        {
            return null;
        }

        // Finding the creation scans the model's declarations: once per list, not once per unrolled iteration.
        string access = FieldAccess(field, scope);
        if (!_listFields.TryGetValue(access, out var list))
        {
            list = new ModuleElement(field.Type, access, FieldCreation(scope.Type, field.Name), field.Name);
            _listFields.Add(access, list);
        }

        return list;
    }

    private static bool IsModuleList(ITypeSymbol type) =>
        type.OriginalDefinition.ToDisplayString() is "Gradgen.Nn.ModuleList<T>" or "Gradgen.Nn.Sequential";

    /// <summary>
    /// The modules of a list created once, in place, with its modules as arguments (<c>new ModuleList&lt;Linear&gt;(new(4, 8),
    /// new(8, 8))</c>), each read at run time through the list's indexer; the compiled path is guarded on the list
    /// still holding modules of those types (an <c>Add</c> after construction sends Call to Forward).
    /// </summary>
    /// <param name="list">The list.</param>
    /// <param name="owner">The model whose field the list is, to find an <c>Add</c> to it; null for a Sequential inside a Sequential.</param>
    /// <param name="at">Where the list is used.</param>
    private List<ModuleElement> ListElements(ModuleElement list, INamedTypeSymbol? owner, SyntaxNode at)
    {
        // A loop reads the list in every iteration (layers[i], layers.Count): its elements are worked out once.
        if (_listElements.TryGetValue(list.Access, out var known))
        {
            return known;
        }

        if (list.Creation is not { } c)
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the {list.Type.Name} '{list.Name}' is not created once, in place, with its modules as arguments");
        }

        if (owner is not null && AddCall(owner, list.Name) is { } add)
        {
            throw new NotCompiledException(LocationInfo.From(add), $"the {list.Type.Name} '{list.Name}' is filled by '{Short(add)}', so its modules are not visible where it is created; create it with its modules as arguments")
            {
                // Added in a loop whose count the code does not show: Show why goes to where the count comes from.
                Cause = LoopCountSource(add, owner),
            };
        }

        var elements = new List<ModuleElement>();
        var types = new List<string>();
        var arguments = Arguments(c.Creation);
        for (int i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i].Expression;
            var elementType = c.Model.GetTypeInfo(argument, _cancellationToken).Type;
            if (argument is not BaseObjectCreationExpressionSyntax creation || elementType is null)
            {
                throw new NotCompiledException(LocationInfo.From(argument), $"element {i} of the {list.Type.Name} '{list.Name}' is not a module created in place");
            }

            types.Add($"typeof({Global(elementType)})");
            elements.Add(new ModuleElement(elementType, $"(({Global(elementType)}){list.Access}[{i}])", (creation, c.Model), $"{list.Name}[{i}]"));
        }

        _guards.Add($"global::Gradgen.Nn.CompiledModel.HasModules({list.Access}{string.Concat(types.Select(t => ", " + t))})");
        _listElements.Add(list.Access, elements);
        return elements;
    }

    /// <summary>A call of <c>field.Add(…)</c> anywhere in the model's declarations, or null.</summary>
    private InvocationExpressionSyntax? AddCall(INamedTypeSymbol type, string field)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax(_cancellationToken);
            var model = SemanticModels.Of(_compilation, declaration.SyntaxTree);
            foreach (var call in declaration.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (call.Expression is MemberAccessExpressionSyntax { Name.Identifier.Text: "Add" } access
                    && model.GetSymbolInfo(access.Expression, _cancellationToken).Symbol is IFieldSymbol f && f.Name == field)
                {
                    return call;
                }
            }
        }

        return null;
    }

    /// <summary><c>layers.Count</c> of a list created in place: a constant.</summary>
    private double? ListCount(ExpressionSyntax expression, Scope scope) =>
        expression is MemberAccessExpressionSyntax { Name.Identifier.Text: "Count" } access && ModuleListField(access.Expression, scope) is { } list
            ? ListElements(list, scope.Type, expression).Count
            : null;

    /// <summary>
    /// <c>for (int i = a; i &lt; b; i++)</c> with constant a and b (also <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>, <c>!=</c>,
    /// <c>i--</c>, <c>i += k</c>, <c>i -= k</c>): the body lowered once per value of i.
    /// </summary>
    private int? UnrollFor(ForStatementSyntax loop, Scope scope)
    {
        var model = scope.Model;
        var header = LocationInfo.From(loop.ForKeyword);
        string shape = "for (int i = a; i < b; i++) with constants a and b (numbers, consts, or a ModuleList's Count)";
        if (loop.Declaration is not { Variables.Count: 1 } declaration || declaration.Variables[0].Initializer is not { } initializer
            || loop.Initializers.Count != 0 || loop.Incrementors.Count != 1
            || model.GetDeclaredSymbol(declaration.Variables[0], _cancellationToken) is not ILocalSymbol variable
            || variable.Type.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64))
        {
            throw new NotCompiledException(header, $"the loop 'for ({Short(loop.Declaration ?? (SyntaxNode)loop)}; …)' is not a counted loop ({shape})");
        }

        if (loop.Condition is not BinaryExpressionSyntax condition
            || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(condition.Left, _cancellationToken).Symbol, variable))
        {
            throw new NotCompiledException(header, $"the loop's condition '{(loop.Condition is null ? "(none)" : Short(loop.Condition))}' does not compare '{variable.Name}' with a bound ({shape})");
        }

        double start = ConstantCount(initializer.Value, scope, "start");
        double bound = ConstantCount(condition.Right, scope, "bound");
        double step = Step(loop.Incrementors[0], variable, scope) ?? throw new NotCompiledException(LocationInfo.From(loop.Incrementors[0]),
            $"the loop's step '{Short(loop.Incrementors[0])}' is not {variable.Name}++, {variable.Name}--, or += / -= a nonzero constant");
        if (AssignsTo(loop.Statement, variable, model) is { } assignment)
        {
            throw new NotCompiledException(LocationInfo.From(assignment), $"'{Short(assignment)}' changes the loop variable '{variable.Name}', so the loop's count is not constant");
        }

        bool Continues(double i) => condition.Kind() switch
        {
            SyntaxKind.LessThanExpression => i < bound,
            SyntaxKind.LessThanOrEqualExpression => i <= bound,
            SyntaxKind.GreaterThanExpression => i > bound,
            SyntaxKind.GreaterThanOrEqualExpression => i >= bound,
            SyntaxKind.NotEqualsExpression => i != bound,
            _ => throw new NotCompiledException(LocationInfo.From(condition.OperatorToken), $"the loop's condition '{Short(condition)}' is not <, <=, >, >= or !="),
        };

        int iterations = 0;
        for (double i = start; Continues(i); i += step)
        {
            if (++iterations > MaxUnrolledIterations)
            {
                throw new NotCompiledException(header, $"the loop '{Short(loop.Declaration)}; {Short(condition)}' runs more than {MaxUnrolledIterations} times, more than the compiler unrolls");
            }

            scope.Locals[variable] = new Value(-1, i, null);
            if (LowerStatement(loop.Statement, scope) is { } output)
            {
                return output;
            }
        }

        scope.Locals.Remove(variable);
        return null;
    }

    /// <summary><c>foreach (var layer in layers)</c> over a ModuleList or Sequential field created in place: the body once per module.</summary>
    private int? UnrollForEach(ForEachStatementSyntax loop, Scope scope)
    {
        if (ModuleListField(loop.Expression, scope) is not { } list)
        {
            // A module array is the likely case, and PyTorch's pitfall: its layers are not registered (no parameters).
            bool moduleArray = scope.Model.GetTypeInfo(loop.Expression, _cancellationToken).Type is IArrayTypeSymbol { ElementType: INamedTypeSymbol element } && ModelParser.DerivesFromModule(element);
            throw new NotCompiledException(LocationInfo.From(loop.Expression), $"the loop 'foreach ({Short(loop.Type)} {loop.Identifier.Text} in {Short(loop.Expression)})' is not over a ModuleList or Sequential field of the model, so its count is not visible"
                + (moduleArray ? "; an array's modules are not even registered as children (no parameters): hold them in a ModuleList created with its modules as arguments" : string.Empty))
            {
                // A field or property of the model: Show why goes to where its elements come from.
                Cause = CountSource(loop.Expression, scope),
            };
        }

        var variable = scope.Model.GetDeclaredSymbol(loop, _cancellationToken)!;
        foreach (var element in ListElements(list, scope.Type, loop.Expression))
        {
            scope.ModuleLocals[variable] = element;
            if (LowerStatement(loop.Statement, scope) is { } output)
            {
                return output;
            }
        }

        scope.ModuleLocals.Remove(variable);
        return null;
    }

    /// <summary>A loop's start or bound: an integer the code shows (a number, a const, a loop variable of an enclosing loop, a list's Count).</summary>
    private double ConstantCount(ExpressionSyntax expression, Scope scope, string what)
    {
        var value = ListCount(expression, scope) ?? Lower(expression, scope).Constant;
        return value is { } v && v == System.Math.Floor(v)
            ? v
            : throw new NotCompiledException(LocationInfo.From(expression), $"the loop's {what} '{Short(expression)}' is not a constant integer, so its count is not static")
            {
                Cause = CountSource(expression, scope),
            };
    }

    /// <summary>
    /// Where a count (or a collection a loop runs over) read from a field or property of the model comes from, for
    /// "Show why": the constructor parameter that is its one source (<c>_depth = depth;</c> in a constructor, or
    /// <c>int _depth = depth;</c> under a primary constructor), else the member's declaration; null when it is not such
    /// a member.
    /// </summary>
    private LocationInfo? CountSource(ExpressionSyntax expression, Scope scope) => CountSource(expression, scope.Model, scope.Type);

    private LocationInfo? CountSource(ExpressionSyntax expression, SemanticModel model, INamedTypeSymbol type)
    {
        while (expression is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            expression = expression is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)expression).Expression;
        }

        var member = model.GetSymbolInfo(expression, _cancellationToken).Symbol;
        if (member is not (IFieldSymbol or IPropertySymbol) || !IsMemberOf(member, type))
        {
            return null;
        }

        var parameters = ValuesAssignedTo(member).Select(v => SemanticModels.Of(_compilation, v.SyntaxTree).GetSymbolInfo(v, _cancellationToken).Symbol).ToList();
        return parameters.Count == 1 && parameters[0] is IParameterSymbol { ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Constructor } } parameter
            ? Declaration(parameter)
            : Declaration(member);
    }

    /// <summary>
    /// Where the count of the loop around a list's <c>Add</c> comes from, for "Show why": the parameter or the model's
    /// member (through <see cref="CountSource(ExpressionSyntax, SemanticModel, INamedTypeSymbol)"/>) that a
    /// <c>for</c> loop's bound, or the collection a <c>foreach</c> runs over, reads (<c>i &lt; depth</c>,
    /// <c>widths.Length</c>, <c>foreach (var w in widths)</c>); null for an <c>Add</c> outside a loop or a loop whose
    /// count the code shows (the code fix that creates the list in place handles those).
    /// </summary>
    private LocationInfo? LoopCountSource(InvocationExpressionSyntax add, INamedTypeSymbol owner)
    {
        var count = add.Ancestors().Select(a => a switch
        {
            ForStatementSyntax { Condition: BinaryExpressionSyntax condition } => condition.Right,
            ForEachStatementSyntax loop => loop.Expression,
            WhileStatementSyntax loop => loop.Condition,
            _ => null,
        }).FirstOrDefault(e => e is not null);
        if (count is null)
        {
            return null;
        }

        // depth, widths.Length, widths.Length - 1, this.depth: the first parameter or member of the model the count reads.
        var model = SemanticModels.Of(_compilation, add.SyntaxTree);
        var read = count.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
            .Select(name => (Name: name, Symbol: model.GetSymbolInfo(name, _cancellationToken).Symbol))
            .FirstOrDefault(n => n.Symbol is IParameterSymbol || (n.Symbol is IFieldSymbol or IPropertySymbol && IsMemberOf(n.Symbol, owner)));
        return read.Symbol switch
        {
            IParameterSymbol parameter => Declaration(parameter),
            IFieldSymbol or IPropertySymbol => CountSource(read.Name, model, owner),
            _ => null,
        };
    }

    /// <summary>Every value the declarations of <paramref name="member"/>'s type give it: its initializer and each assignment to it.</summary>
    private IEnumerable<ExpressionSyntax> ValuesAssignedTo(ISymbol member)
    {
        foreach (var reference in member.ContainingType.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax(_cancellationToken);
            var model = SemanticModels.Of(_compilation, declaration.SyntaxTree);
            foreach (var node in declaration.DescendantNodes())
            {
                switch (node)
                {
                    case VariableDeclaratorSyntax { Initializer.Value: { } value } variable
                        when SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(variable, _cancellationToken), member):
                        yield return value;
                        break;
                    case PropertyDeclarationSyntax { Initializer.Value: { } value } property
                        when SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(property, _cancellationToken), member):
                        yield return value;
                        break;
                    case AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                        && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(assignment.Left, _cancellationToken).Symbol, member):
                        yield return assignment.Right;
                        break;
                }
            }
        }
    }

    /// <summary>The change of <paramref name="variable"/> per iteration: ±1 or ± a constant, or null.</summary>
    private double? Step(ExpressionSyntax incrementor, ILocalSymbol variable, Scope scope)
    {
        bool IsVariable(ExpressionSyntax e) => SymbolEqualityComparer.Default.Equals(scope.Model.GetSymbolInfo(e, _cancellationToken).Symbol, variable);
        double? step = incrementor switch
        {
            PostfixUnaryExpressionSyntax postfix when IsVariable(postfix.Operand) => postfix.IsKind(SyntaxKind.PostIncrementExpression) ? 1 : -1,
            PrefixUnaryExpressionSyntax prefix when IsVariable(prefix.Operand) => prefix.IsKind(SyntaxKind.PreIncrementExpression) ? 1 : -1,
            AssignmentExpressionSyntax assignment when IsVariable(assignment.Left) && assignment.Kind() is SyntaxKind.AddAssignmentExpression or SyntaxKind.SubtractAssignmentExpression
                => Lower(assignment.Right, scope).Constant is { } k ? (assignment.IsKind(SyntaxKind.AddAssignmentExpression) ? k : -k) : null,
            _ => null,
        };
        return step is { } s && s != 0 && s == System.Math.Floor(s) ? s : null;
    }

    /// <summary>The first assignment, increment or decrement of <paramref name="variable"/> inside <paramref name="body"/>, or null.</summary>
    private SyntaxNode? AssignsTo(StatementSyntax body, ILocalSymbol variable, SemanticModel model)
    {
        foreach (var node in body.DescendantNodesAndSelf())
        {
            var target = node switch
            {
                AssignmentExpressionSyntax assignment => assignment.Left,
                PostfixUnaryExpressionSyntax postfix when postfix.Kind() is SyntaxKind.PostIncrementExpression or SyntaxKind.PostDecrementExpression => postfix.Operand,
                PrefixUnaryExpressionSyntax prefix when prefix.Kind() is SyntaxKind.PreIncrementExpression or SyntaxKind.PreDecrementExpression => prefix.Operand,
                ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument => argument.Expression,
                _ => null,
            };
            if (target is not null && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(target, _cancellationToken).Symbol, variable))
            {
                return node;
            }
        }

        return null;
    }
}
