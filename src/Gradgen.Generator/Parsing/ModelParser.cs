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
/// Reads a <c>partial</c> class deriving from <c>Gradgen.Nn.Module</c>: its <c>Forward</c> becomes a differentiated
/// tensor graph (<see cref="GraphModelParser"/>), planned and emitted as a whole; a chain of Linear layers also gets the
/// narrow and device strategies (<see cref="LinearChainStrategy"/>). What cannot be compiled becomes an Info
/// diagnostic (GG0016), and <c>Call</c> then runs <c>Forward</c> eagerly; sizes that cannot fit are errors (GG0015
/// between two layers, GG0017 elsewhere).
/// </summary>
internal static class ModelParser
{
    /// <summary>The cheap syntax test: a partial class with a base list.</summary>
    public static bool IsCandidate(SyntaxNode node) =>
        node is ClassDeclarationSyntax { BaseList: not null } type && type.Modifiers.Any(SyntaxKind.PartialKeyword);

    /// <summary>
    /// The analyzer's entry and the generator's (for a node that passed <see cref="IsCandidate"/>): null when the class
    /// is not a model compiled from this declaration.
    /// </summary>
    public static ModelParseResult? Parse(ClassDeclarationSyntax syntax, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        if (semanticModel.GetDeclaredSymbol(syntax, cancellationToken) is not INamedTypeSymbol type || !DerivesFromModule(type))
        {
            return null;
        }

        var forward = type.GetMembers("Forward").OfType<IMethodSymbol>()
            .FirstOrDefault(m => m.IsOverride && m.Parameters.Length == 1 && !m.IsStatic);
        var forwardSyntax = forward?.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();

        // A class in several partial declarations is compiled once: from the declaration that holds Forward.
        // Incomplete code (a syntax error in the class) gets the compiler's errors and nothing from the generator.
        if (forward is null || forwardSyntax is null || forwardSyntax.Parent != syntax || IncompleteCode.HasSyntaxErrors(syntax))
        {
            return null;
        }

        try
        {
            FaultInjection.ThrowIfRequested(type.Name);
            if (IsFileLocal(type))
            {
                throw new NotCompiledException(LocationInfo.From(syntax.Identifier), "it is a file-local class, which code generated into another file cannot extend");
            }

            if (GeneratedNames.ModelCollision(type) is { } collision)
            {
                return Failed(DiagnosticInfo.Create(Descriptors.NameCollision, GeneratedNames.LocationOf(collision), collision.Name, type.Name));
            }

            foreach (var outer in syntax.Ancestors().OfType<TypeDeclarationSyntax>())
            {
                if (!outer.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    throw new NotCompiledException(LocationInfo.From(outer.Identifier), $"its enclosing type '{outer.Identifier.Text}' is not partial");
                }
            }

            var graph = GraphModelParser.Parse(type, forwardSyntax, forward, semanticModel.Compilation, RegisteredMembers(type), cancellationToken);

            // A chain of Linear layers and activations also gets the narrow and device strategies, which its generated
            // code tries before the general plan (the shapes decide at run time).
            if (graph.RowWise && LinearChainStrategy.Match(graph.Graphs[0]) is { } layers)
            {
                graph = graph with { Chain = Chain(type, layers) };
            }

            return new ModelParseResult(graph, EquatableArray<DiagnosticInfo>.Empty);
        }
        catch (NotCompiledException notCompiled)
        {
            return Failed(DiagnosticInfo.Create(Descriptors.ModelNotCompiled, notCompiled.Location, type.Name, notCompiled.Reason) with { Cause = notCompiled.Cause });
        }
        catch (ShapeErrorException shape)
        {
            return Failed(shape.ToDiagnostic(type.Name));
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception exception)
        {
            if (IncompleteCode.HasErrors(syntax, semanticModel, cancellationToken))
            {
                return null;
            }

            return Failed(DiagnosticInfo.Create(Descriptors.InternalError, LocationInfo.From(syntax.Identifier), type.Name, exception.GetType().Name + ": " + exception.Message));
        }
    }

    private static ModelParseResult Failed(DiagnosticInfo diagnostic) => new(null, new[] { diagnostic }.ToEquatableArray());

    /// <summary>The narrow strategy's layers, and each activation's kernels planned like a [Differentiable] function's.</summary>
    private static LinearChain Chain(INamedTypeSymbol type, List<ModelLayer> layers)
    {
        var activationNames = layers.Select(l => l.Activation).Where(a => a.Length > 0).Distinct().OrderBy(a => a, StringComparer.Ordinal).ToList();
        return new LinearChain(
            layers.ToEquatableArray(),
            activationNames.Select(a => PlanActivation(a, type)).ToEquatableArray());
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
                || (fieldType is INamedTypeSymbol named && (IsModuleType(named) || DerivesFromModule(named)));
            if (mayHold)
            {
                yield return field.AssociatedSymbol?.Name ?? field.Name;
            }
        }
    }

    /// <summary>Whether the type or one that encloses it is <c>file</c>-local: its partial declarations must all be in its own file.</summary>
    internal static bool IsFileLocal(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsFileLocal)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsModuleType(INamedTypeSymbol type) => SymbolNames.Is(type, "Gradgen.Nn", "Module");

    internal static bool DerivesFromModule(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (IsModuleType(current))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The one object creation assigned to the field (in its initializer or a constructor), or null.</summary>
    internal static (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? FieldCreation(INamedTypeSymbol type, string field, Compilation compilation, CancellationToken cancellationToken) =>
        FieldValue(type, field, compilation, cancellationToken) is { Value: BaseObjectCreationExpressionSyntax creation } found ? (creation, found.Model) : null;

    /// <summary>The one value <paramref name="field"/> is given (its initializer or the one assignment to it in the type), or null where it is given none or several.</summary>
    internal static (ExpressionSyntax Value, SemanticModel Model)? FieldValue(INamedTypeSymbol type, string field, Compilation compilation, CancellationToken cancellationToken)
    {
        var values = new List<(ExpressionSyntax Value, SemanticModel Model)>();
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            var declaration = reference.GetSyntax(cancellationToken);
            var model = SemanticModels.Of(compilation, declaration.SyntaxTree);
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
                    values.Add((value, model));
                }
            }
        }

        return values.Count == 1 ? values[0] : null;
    }

    /// <summary>The activation as a one-parameter function, planned like a [Differentiable] one: its forward and backward kernels.</summary>
    private static PlannedFunction PlanActivation(string activation, INamedTypeSymbol type)
    {
        var body = LinearChainStrategy.Body(activation);
        var builder = GraphBuilder.FromGraph(body, isFloat: true);
        builder.Label(body.Outputs[0], activation.ToLowerInvariant() + "(z)");
        var names = new[] { "z" };
        var signature = new FunctionSignature(string.Empty, EquatableArray<ContainingType>.Empty, FunctionParser.MetadataName(type), activation, "private",
            "float", names.ToEquatableArray(), activation.ToLowerInvariant() + "(z)", EmitTensorOverload: false);
        return new PlannedFunction(signature, KernelPlanner.Plan(builder.ToGraph(body.Outputs), names, isFloat: true));
    }
}
