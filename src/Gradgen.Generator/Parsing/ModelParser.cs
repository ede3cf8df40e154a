using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;
using Gradgen.Generator.Models;
using Gradgen.Generator.Planning;
using Gradgen.Generator.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// Reads a <c>partial</c> class deriving from <c>Gradgen.Nn.Module</c>: lowers its <c>Forward</c> to a chain of linear
/// layers, each optionally followed by an activation, and checks the layer sizes it can see at compile time. What it
/// cannot compile becomes an Info diagnostic (GG0016), and <c>Call</c> then runs <c>Forward</c> eagerly.
/// </summary>
internal static class ModelParser
{
    private const string ModuleType = "Gradgen.Nn.Module";
    private const string LinearType = "Gradgen.Nn.Linear";
    private const string SequentialType = "Gradgen.Nn.Sequential";

    private static readonly Dictionary<string, string> ActivationModules = new()
    {
        ["Gradgen.Nn.Sigmoid"] = "Sigmoid",
        ["Gradgen.Nn.ReLU"] = "Relu",
        ["Gradgen.Nn.Tanh"] = "Tanh",
    };

    private static readonly Dictionary<string, string> ActivationFunctions = new()
    {
        ["Sigmoid"] = "Sigmoid",
        ["Relu"] = "Relu",
        ["Tanh"] = "Tanh",
    };

    /// <summary>The cheap syntax test: a partial class with a base list.</summary>
    public static bool IsCandidate(SyntaxNode node) =>
        node is ClassDeclarationSyntax { BaseList: not null } type && type.Modifiers.Any(SyntaxKind.PartialKeyword);

    /// <summary>
    /// One step of the lowered Forward: a layer call or an activation, with the span that wrote it. A layer inside a
    /// Sequential carries the C# that reads it and the sizes it was created with, when constant.
    /// </summary>
    private sealed record Step(string? LinearField, string? Activation, SyntaxNode Syntax, string? Access = null, (int In, int Out)? Sizes = null);

    public static ModelParseResult? Parse(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        var syntax = (ClassDeclarationSyntax)context.Node;
        if (context.SemanticModel.GetDeclaredSymbol(syntax, cancellationToken) is not INamedTypeSymbol type || !DerivesFromModule(type))
        {
            return null;
        }

        var forward = type.GetMembers("Forward").OfType<IMethodSymbol>()
            .FirstOrDefault(m => m.IsOverride && m.Parameters.Length == 1 && !m.IsStatic);
        var forwardSyntax = forward?.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();

        // A class in several partial declarations is compiled once: from the declaration that holds Forward.
        if (forward is null || forwardSyntax is null || forwardSyntax.Parent != syntax)
        {
            return null;
        }

        var diagnostics = new List<DiagnosticInfo>();
        try
        {
            foreach (var outer in syntax.Ancestors().OfType<TypeDeclarationSyntax>())
            {
                if (!outer.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    throw new NotCompiledException(LocationInfo.From(outer.Identifier), $"its enclosing type '{outer.Identifier.Text}' is not partial");
                }
            }

            var model = forwardSyntax.SyntaxTree == context.SemanticModel.SyntaxTree ? context.SemanticModel : context.SemanticModel.Compilation.GetSemanticModel(forwardSyntax.SyntaxTree);
            var sequentials = new List<SequentialShape>();
            var nested = new List<NestedModel>();
            var steps = LowerForward(forwardSyntax, forward.Parameters[0], type, model, sequentials, nested, cancellationToken);
            var layers = ToLayers(steps, forwardSyntax);
            CheckSizes(type, steps, context.SemanticModel.Compilation, diagnostics, cancellationToken);
            if (diagnostics.Count > 0)
            {
                return new ModelParseResult(null, diagnostics.ToEquatableArray());
            }

            var activationNames = layers.Select(l => l.Activation).Where(a => a.Length > 0).Distinct().OrderBy(a => a, StringComparer.Ordinal).ToList();
            var activations = activationNames.Select(a => PlanActivation(a, type)).ToEquatableArray();
            var derivatives = activationNames.Select(a => PlanDerivativeFromOutput(a, type)).ToEquatableArray();
            var info = new CompiledModelInfo(
                type.ContainingNamespace.IsGlobalNamespace ? string.Empty : type.ContainingNamespace.ToDisplayString(),
                FunctionParser.ContainingTypes(type),
                FunctionParser.MetadataName(type),
                type.Name,
                layers.ToEquatableArray(),
                sequentials.ToEquatableArray(),
                nested.ToEquatableArray(),
                activations,
                derivatives,
                RegisteredMembers(type).ToEquatableArray(),
                type.BaseType?.ToDisplayString() == ModuleType);
            return new ModelParseResult(info, EquatableArray<DiagnosticInfo>.Empty);
        }
        catch (NotCompiledException)
        {
            // Not a chain of Linear layers: the tensor-graph compiler takes every other Forward.
            return ParseGraph(type, forwardSyntax, forward, context.SemanticModel.Compilation, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception exception)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InternalError, LocationInfo.From(syntax.Identifier), type.Name, exception.GetType().Name + ": " + exception.Message));
            return new ModelParseResult(null, diagnostics.ToEquatableArray());
        }
    }

    private static ModelParseResult ParseGraph(INamedTypeSymbol type, MethodDeclarationSyntax forwardSyntax, IMethodSymbol forward, Compilation compilation, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var outer in forwardSyntax.Parent!.Ancestors().OfType<TypeDeclarationSyntax>())
            {
                if (!outer.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    throw new NotCompiledException(LocationInfo.From(outer.Identifier), $"its enclosing type '{outer.Identifier.Text}' is not partial");
                }
            }

            var graph = GraphModelParser.Parse(type, forwardSyntax, forward, compilation, RegisteredMembers(type), cancellationToken);
            return new ModelParseResult(null, EquatableArray<DiagnosticInfo>.Empty) { Graph = graph };
        }
        catch (NotCompiledException notCompiled)
        {
            return new ModelParseResult(null, new[] { DiagnosticInfo.Create(Descriptors.ModelNotCompiled, notCompiled.Location, type.Name, notCompiled.Reason) }.ToEquatableArray());
        }
        catch (ShapeErrorException shape)
        {
            return new ModelParseResult(null, new[] { DiagnosticInfo.Create(Descriptors.ShapeMismatch, shape.Location, type.Name, shape.Message) }.ToEquatableArray());
        }
    }

    /// <summary>
    /// The instance fields and auto-properties whose values may be modules or parameters (typed as a module, a
    /// parameter, a tensor or object), in declaration order: what reflection-based discovery would look at.
    /// </summary>
    private static IEnumerable<string> RegisteredMembers(INamedTypeSymbol type)
    {
        foreach (var field in type.GetMembers().OfType<IFieldSymbol>())
        {
            if (field.IsStatic || field.IsConst)
            {
                continue;
            }

            var fieldType = field.Type;
            bool mayHold = fieldType.SpecialType == SpecialType.System_Object
                || fieldType.ToDisplayString() is "Gradgen.Tensor" or "Gradgen.Nn.Parameter"
                || (fieldType is INamedTypeSymbol named && (named.ToDisplayString() == ModuleType || DerivesFromModule(named)));
            if (mayHold)
            {
                yield return field.AssociatedSymbol?.Name ?? field.Name;
            }
        }
    }

    internal static bool DerivesFromModule(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == ModuleType)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Lowers Forward's body (an expression, or locals and a return) to the steps applied to its input.</summary>
    private static List<Step> LowerForward(MethodDeclarationSyntax forward, IParameterSymbol input, INamedTypeSymbol type, SemanticModel model,
        List<SequentialShape> sequentials, List<NestedModel> nested, CancellationToken cancellationToken)
    {
        var locals = new Dictionary<ISymbol, List<Step>>(SymbolEqualityComparer.Default);
        if (forward.ExpressionBody is { } arrow)
        {
            return Lower(arrow.Expression);
        }

        foreach (var statement in forward.Body!.Statements)
        {
            switch (statement)
            {
                case LocalDeclarationStatementSyntax declaration:
                    foreach (var variable in declaration.Declaration.Variables)
                    {
                        if (variable.Initializer is null)
                        {
                            throw new NotCompiledException(LocationInfo.From(variable), $"the local '{variable.Identifier.Text}' has no initializer");
                        }

                        locals[model.GetDeclaredSymbol(variable, cancellationToken)!] = Lower(variable.Initializer.Value);
                    }

                    break;
                case ReturnStatementSyntax { Expression: { } returned }:
                    return Lower(returned);
                default:
                    throw new NotCompiledException(LocationInfo.From(statement), "Forward may only declare locals and return a value");
            }
        }

        throw new NotCompiledException(LocationInfo.From(forward.Identifier), "Forward has no return statement");

        List<Step> Lower(ExpressionSyntax expression)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                return Lower(parenthesized.Expression);
            }

            var symbol = model.GetSymbolInfo(expression, cancellationToken).Symbol;
            if (expression is IdentifierNameSyntax)
            {
                if (SymbolEqualityComparer.Default.Equals(symbol, input))
                {
                    return new List<Step>();
                }

                if (symbol is ILocalSymbol local && locals.TryGetValue(local, out var steps))
                {
                    return new List<Step>(steps);
                }
            }

            if (expression is InvocationExpressionSyntax invocation && symbol is IMethodSymbol method)
            {
                var arguments = invocation.ArgumentList.Arguments;

                // layer.Forward(x), layer.Call(x)
                if (invocation.Expression is MemberAccessExpressionSyntax { Expression: var receiver } && method.Name is "Forward" or "Call" && arguments.Count == 1
                    && model.GetSymbolInfo(receiver, cancellationToken).Symbol is IFieldSymbol { IsStatic: false } field
                    && SymbolEqualityComparer.Default.Equals(field.ContainingType, type))
                {
                    string fieldType = field.Type.ToDisplayString();
                    var steps = Lower(arguments[0].Expression);
                    if (fieldType == LinearType)
                    {
                        steps.Add(new Step(field.Name, null, invocation));
                        return steps;
                    }

                    if (ActivationModules.TryGetValue(fieldType, out var activation))
                    {
                        steps.Add(new Step(null, activation, invocation));
                        return steps;
                    }

                    if (fieldType == SequentialType)
                    {
                        steps.AddRange(LowerSequential(type, field.Name, invocation, model.Compilation, sequentials, cancellationToken));
                        return steps;
                    }

                    if (field.Type is INamedTypeSymbol nestedType && DerivesFromModule(nestedType) && nestedType.DeclaringSyntaxReferences.Length > 0)
                    {
                        steps.AddRange(LowerNested(field.Name, nestedType, invocation, model.Compilation, nested, cancellationToken));
                        return steps;
                    }
                }

                // Functional.Sigmoid(x), Tensor.Sigmoid(x), x.Sigmoid()
                if (ActivationFunctions.TryGetValue(method.Name, out var function))
                {
                    string owner = method.ContainingType.ToDisplayString();
                    if (method.IsStatic && owner is "Gradgen.Nn.Functional" or "Gradgen.Tensor" && arguments.Count == 1)
                    {
                        var steps = Lower(arguments[0].Expression);
                        steps.Add(new Step(null, function, invocation));
                        return steps;
                    }

                    if (!method.IsStatic && owner == "Gradgen.Tensor" && arguments.Count == 0 && invocation.Expression is MemberAccessExpressionSyntax access)
                    {
                        var steps = Lower(access.Expression);
                        steps.Add(new Step(null, function, invocation));
                        return steps;
                    }
                }
            }

            throw new NotCompiledException(LocationInfo.From(expression),
                $"'{FunctionParser.Normalize(expression.ToString())}' is not a call of a Linear or Sequential field or of Sigmoid, Relu or Tanh");
        }
    }

    /// <summary>
    /// The steps of a Sequential field created in place (<c>new Sequential(new Linear(2, 2), new Sigmoid(), …)</c>):
    /// each element a Linear or an activation module. The shape is recorded so that the generated code can check at run
    /// time that the Sequential still holds those modules.
    /// </summary>
    private static IEnumerable<Step> LowerSequential(INamedTypeSymbol type, string field, InvocationExpressionSyntax call, Compilation compilation,
        List<SequentialShape> sequentials, CancellationToken cancellationToken)
    {
        if (FieldCreation(type, field, compilation, cancellationToken) is not { } found || found.Creation.ArgumentList is null)
        {
            throw new NotCompiledException(LocationInfo.From(call), $"the Sequential '{field}' is not created once, in place, with its modules as arguments");
        }

        var (creation, model) = found;
        var steps = new List<Step>();
        var elementTypes = new List<string>();
        var arguments = creation.ArgumentList.Arguments;
        for (int i = 0; i < arguments.Count; i++)
        {
            var element = arguments[i].Expression;
            string elementType = model.GetTypeInfo(element, cancellationToken).Type?.ToDisplayString() ?? string.Empty;
            if (element is not ObjectCreationExpressionSyntax elementCreation || (elementType != LinearType && !ActivationModules.ContainsKey(elementType)))
            {
                throw new NotCompiledException(LocationInfo.From(element),
                    $"element {i} of the Sequential '{field}' is not a Linear, Sigmoid, ReLU or Tanh created in place");
            }

            elementTypes.Add("global::" + elementType);
            string name = $"{field}[{i}]";
            steps.Add(elementType == LinearType
                ? new Step(name, null, element, $"((global::{LinearType})this.{field}[{i}])", LinearSizes(elementCreation, model, cancellationToken))
                : new Step(null, ActivationModules[elementType], element));
        }

        sequentials.Add(new SequentialShape(field, elementTypes.ToEquatableArray()));
        return steps;
    }

    /// <summary>
    /// The steps of a field holding another model class that the generator compiles: its own Forward lowered, each of
    /// its layers read through its generated <c>GradgenLayer(k)</c> (its fields are its own, maybe private). A nested
    /// model that would not compile on its own is not inlined: the reason is reported at the call.
    /// </summary>
    private static IEnumerable<Step> LowerNested(string field, INamedTypeSymbol nestedType, InvocationExpressionSyntax call, Compilation compilation,
        List<NestedModel> nested, CancellationToken cancellationToken)
    {
        string name = nestedType.ToDisplayString();
        var forward = nestedType.GetMembers("Forward").OfType<IMethodSymbol>().FirstOrDefault(m => m.IsOverride && m.Parameters.Length == 1 && !m.IsStatic);
        var forwardSyntax = forward?.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (forward is null || forwardSyntax?.Parent is not ClassDeclarationSyntax declaration || !IsCandidate(declaration)
            || declaration.Ancestors().OfType<TypeDeclarationSyntax>().Any(t => !t.Modifiers.Any(SyntaxKind.PartialKeyword)))
        {
            throw new NotCompiledException(LocationInfo.From(call), $"the model in '{field}' ({name}) is not a partial class that the generator compiles");
        }

        List<Step> inner;
        try
        {
            var innerModel = compilation.GetSemanticModel(forwardSyntax.SyntaxTree);
            inner = LowerForward(forwardSyntax, forward.Parameters[0], nestedType, innerModel, new List<SequentialShape>(), new List<NestedModel>(), cancellationToken);
            ToLayers(inner, forwardSyntax);
            var innerDiagnostics = new List<DiagnosticInfo>();
            CheckSizes(nestedType, inner, compilation, innerDiagnostics, cancellationToken);
            if (innerDiagnostics.Count > 0)
            {
                throw new NotCompiledException(LocationInfo.From(call), "its layer sizes do not chain (GG0015)");
            }
        }
        catch (NotCompiledException notCompiled)
        {
            throw new NotCompiledException(LocationInfo.From(call), $"the model in '{field}' ({name}) is not compiled: {notCompiled.Reason}");
        }

        nested.Add(new NestedModel(field, "global::" + name));
        var steps = new List<Step>();
        int layer = 0;
        foreach (var step in inner)
        {
            if (step.LinearField is { } innerField)
            {
                var sizes = step.Access is null ? ConstantSizes(nestedType, innerField, compilation, cancellationToken) : step.Sizes;
                steps.Add(new Step($"{field}.{innerField}", null, call, $"this.{field}.GradgenLayer({layer++})", sizes));
            }
            else
            {
                steps.Add(step with { Syntax = call });
            }
        }

        return steps;
    }

    /// <summary>Groups the steps into layers: each Linear, then at most one activation.</summary>
    private static List<ModelLayer> ToLayers(List<Step> steps, MethodDeclarationSyntax forward)
    {
        var layers = new List<ModelLayer>();
        foreach (var step in steps)
        {
            if (step.LinearField is { } field)
            {
                if (layers.Any(l => l.Field == field))
                {
                    throw new NotCompiledException(LocationInfo.From(step.Syntax), $"the layer '{field}' is applied twice (shared weights are not compiled yet)");
                }

                layers.Add(new ModelLayer(field, string.Empty, step.Access ?? "this." + field));
            }
            else if (layers.Count == 0)
            {
                throw new NotCompiledException(LocationInfo.From(step.Syntax), "an activation is applied before the first Linear layer");
            }
            else if (layers[layers.Count - 1].Activation.Length > 0)
            {
                throw new NotCompiledException(LocationInfo.From(step.Syntax), "two activations follow one Linear layer");
            }
            else
            {
                layers[layers.Count - 1] = layers[layers.Count - 1] with { Activation = step.Activation! };
            }
        }

        if (layers.Count == 0)
        {
            throw new NotCompiledException(LocationInfo.From(forward.Identifier), "Forward applies no Linear layer");
        }

        return layers;
    }

    /// <summary>Reports GG0015 where a layer built with constant sizes is fed by one whose output size differs.</summary>
    private static void CheckSizes(INamedTypeSymbol type, List<Step> steps, Compilation compilation, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        string? previousField = null;
        (int In, int Out)? previous = null;
        foreach (var step in steps.Where(s => s.LinearField is not null))
        {
            var sizes = step.Access is null ? ConstantSizes(type, step.LinearField!, compilation, cancellationToken) : step.Sizes;
            if (previous is { } p && sizes is { } s && p.Out != s.In)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.LayerSizeMismatch, LocationInfo.From(step.Syntax),
                    step.LinearField!, s.In.ToString(System.Globalization.CultureInfo.InvariantCulture), previousField!, p.Out.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            previous = sizes;
            previousField = step.LinearField;
        }
    }

    /// <summary>The (in, out) sizes of the one <c>new Linear(in, out, …)</c> assigned to the field, when both are constants.</summary>
    private static (int In, int Out)? ConstantSizes(INamedTypeSymbol type, string field, Compilation compilation, CancellationToken cancellationToken) =>
        FieldCreation(type, field, compilation, cancellationToken) is { } found ? LinearSizes(found.Creation, found.Model, cancellationToken) : null;

    /// <summary>The sizes of <c>new Linear(in, out, …)</c> when both are constants.</summary>
    private static (int In, int Out)? LinearSizes(BaseObjectCreationExpressionSyntax creation, SemanticModel model, CancellationToken cancellationToken)
    {
        if (creation.ArgumentList is not { Arguments.Count: >= 2 } arguments)
        {
            return null;
        }

        var sizes = arguments.Arguments.Take(2).Select(a => model.GetConstantValue(a.Expression, cancellationToken)).ToList();
        return sizes.All(c => c.HasValue && c.Value is int) ? ((int)sizes[0].Value!, (int)sizes[1].Value!) : null;
    }

    /// <summary>The one object creation assigned to the field (in its initializer or a constructor), or null.</summary>
    internal static (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? FieldCreation(INamedTypeSymbol type, string field, Compilation compilation, CancellationToken cancellationToken)
    {
        var creations = new List<(BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)>();
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax(cancellationToken);
            var model = compilation.GetSemanticModel(declaration.SyntaxTree);
            foreach (var node in declaration.DescendantNodes())
            {
                ExpressionSyntax? value = node switch
                {
                    AssignmentExpressionSyntax assignment when model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol is IFieldSymbol f && f.Name == field => assignment.Right,
                    VariableDeclaratorSyntax { Initializer: { } initializer } declarator when declarator.Identifier.Text == field && declarator.Parent?.Parent is FieldDeclarationSyntax => initializer.Value,
                    _ => null,
                };
                if (value is not null)
                {
                    if (value is not BaseObjectCreationExpressionSyntax creation)
                    {
                        return null;
                    }

                    creations.Add((creation, model));
                }
            }
        }

        return creations.Count == 1 ? creations[0] : null;
    }

    /// <summary>
    /// g·act′ as a function of the activation's output y and the gradient g: the backward of a layer whose matrix
    /// product applied the activation as its epilogue, so that z was never stored. Sigmoid's and tanh's rules in the
    /// table read only y and g (they get no input node: a rule that read one would fail here, not compute garbage);
    /// relu's derivative is 1 where y &gt; 0, which is exactly where z &gt; 0 (0 at 0, as PyTorch).
    /// </summary>
    private static PlannedFunction PlanDerivativeFromOutput(string activation, INamedTypeSymbol type)
    {
        var builder = new GraphBuilder(isFloat: true);
        int y = builder.Parameter(0), g = builder.Parameter(1);
        int dz = activation switch
        {
            "Sigmoid" => PrimitiveRules.Get(Op.Sigmoid).Vjp!(builder, new[] { -1 }, y, g)[0],
            "Tanh" => PrimitiveRules.Get(Op.Tanh).Vjp!(builder, new[] { -1 }, y, g)[0],
            _ => builder.Select(builder.Apply(Op.GreaterThan, y, builder.Constant(0)), g, builder.Constant(0)),
        };
        string text = "gradOutput·" + activation.ToLowerInvariant() + "′ from y";
        builder.Label(dz, text);
        var names = new[] { "y", "gradOutput" };
        var signature = new FunctionSignature(string.Empty, EquatableArray<ContainingType>.Empty, FunctionParser.MetadataName(type), activation + "Derivative", "private",
            "float", names.ToEquatableArray(), text, EmitTensorOverload: false);
        return new PlannedFunction(signature, KernelPlanner.Plan(builder.ToGraph(new[] { dz }), names, isFloat: true));
    }

    /// <summary>The activation as a one-parameter function, planned like a [Differentiable] one: its forward and backward kernels.</summary>
    private static PlannedFunction PlanActivation(string activation, INamedTypeSymbol type)
    {
        var builder = new GraphBuilder(isFloat: true);
        int z = builder.Parameter(0);
        int y = activation switch
        {
            "Sigmoid" => builder.Apply(Op.Sigmoid, z),
            "Tanh" => builder.Apply(Op.Tanh, z),
            // PyTorch's relu: gradient 0 at 0, which select(z > 0, z, 0) gives.
            _ => builder.Select(builder.Apply(Op.GreaterThan, z, builder.Constant(0)), z, builder.Constant(0)),
        };
        builder.Label(y, activation.ToLowerInvariant() + "(z)");
        var names = new[] { "z" };
        var signature = new FunctionSignature(string.Empty, EquatableArray<ContainingType>.Empty, FunctionParser.MetadataName(type), activation, "private",
            "float", names.ToEquatableArray(), activation.ToLowerInvariant() + "(z)", EmitTensorOverload: false);
        return new PlannedFunction(signature, KernelPlanner.Plan(builder.ToGraph(new[] { y }), names, isFloat: true));
    }
}
