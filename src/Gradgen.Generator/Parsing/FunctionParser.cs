using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>The parse step's output: a lowered function, or none, and the diagnostics found on the way.</summary>
/// <param name="Function">A function over float or double values (the fused elementwise kernels).</param>
/// <param name="Diagnostics">What was reported.</param>
/// <param name="Loop">A function over spans, arrays and loops (reverse mode with a tape).</param>
internal sealed record ParseResult(ParsedFunction? Function, EquatableArray<DiagnosticInfo> Diagnostics, LoopFunction? Loop = null);

/// <summary>
/// Checks a <c>[Differentiable]</c> method's declaration and lowers its body to the IR. With <see cref="BodyLowerer"/>
/// this is the only code that touches Roslyn's symbols and semantic model.
/// </summary>
internal static class FunctionParser
{
    public const string AttributeMetadataName = "Gradgen.DifferentiableAttribute";

    /// <summary>Whether <paramref name="method"/> is marked <c>[Differentiable]</c>.</summary>
    public static bool IsDifferentiable(IMethodSymbol method) =>
        method.GetAttributes().Any(SymbolNames.IsDifferentiableAttribute);

    /// <summary>The generator's entry: the method <c>ForAttributeWithMetadataName</c> found, bound with <paramref name="semanticModel"/>.</summary>
    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not IMethodSymbol method || context.TargetNode is not MethodDeclarationSyntax syntax)
        {
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
        }

        return Parse(method, syntax, semanticModel, cancellationToken);
    }

    /// <summary>
    /// The analyzer's entry (and the generator's, through the overload above): the same checks and lowering for a
    /// method and the declaration that carries its <c>[Differentiable]</c>.
    /// </summary>
    public static ParseResult Parse(IMethodSymbol method, MethodDeclarationSyntax syntax, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();

        // Generated members cannot join a file-local type (its partial declarations must share its file): nothing is
        // generated, and a call to a generated member is the compiler's ordinary error.
        if (IncompleteCode.HasSyntaxErrors(syntax) || ModelParser.IsFileLocal(method.ContainingType))
        {
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
        }

        try
        {
            FaultInjection.ThrowIfRequested(method.Name);
            if (LoopParser.IsLoopFunction(method, semanticModel.Compilation, cancellationToken))
            {
                return LoopParser.Parse(method, syntax, semanticModel, diagnostics, cancellationToken);
            }

            var signature = CheckDeclaration(method, syntax, semanticModel.Compilation, diagnostics);
            if (signature is null)
            {
                return new ParseResult(null, diagnostics.ToEquatableArray());
            }

            var lowerer = new BodyLowerer(semanticModel, signature.IsFloat, method, diagnostics, cancellationToken);
            var body = lowerer.LowerMethod(syntax);
            var function = body is null ? null : new ParsedFunction(signature, body);
            return new ParseResult(function, diagnostics.ToEquatableArray());
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception exception)
        {
            // The generator must never throw out of the compiler: an unexpected failure becomes a diagnostic, unless
            // the method's own errors explain it (incomplete code, which the compiler reports).
            if (IncompleteCode.HasErrors(syntax, semanticModel, cancellationToken))
            {
                return new ParseResult(null, diagnostics.ToEquatableArray());
            }

            diagnostics.Add(DiagnosticInfo.Create(Descriptors.InternalError, LocationInfo.From(syntax.Identifier), method.Name, exception.GetType().Name + ": " + exception.Message));
            return new ParseResult(null, diagnostics.ToEquatableArray());
        }
    }

    /// <summary>Validates everything but the body; returns null (with diagnostics) when the declaration is unusable.</summary>
    public static FunctionSignature? CheckDeclaration(IMethodSymbol method, MethodDeclarationSyntax syntax, Compilation compilation, List<DiagnosticInfo> diagnostics)
    {
        int before = diagnostics.Count;
        CheckShape(method, syntax, diagnostics);
        string? elementType = null;
        string? firstTypeOwner = null;
        void CheckType(ITypeSymbol type, TypeSyntax typeSyntax, string owner)
        {
            string? name = type.SpecialType switch
            {
                SpecialType.System_Single => "float",
                SpecialType.System_Double => "double",
                _ => null,
            };
            if (name is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedType, LocationInfo.From(typeSyntax), Capitalize(owner), method.Name, type.ToDisplayString()));
            }
            else if (elementType is null)
            {
                (elementType, firstTypeOwner) = (name, owner);
            }
            else if (elementType != name)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.MixedPrecision, LocationInfo.From(typeSyntax), Capitalize(owner), method.Name, name, firstTypeOwner!, elementType));
            }
        }

        for (int i = 0; i < method.Parameters.Length; i++)
        {
            var parameter = method.Parameters[i];
            var parameterSyntax = syntax.ParameterList.Parameters[i];
            if (parameter.RefKind != RefKind.None)
            {
                var modifier = parameterSyntax.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.RefKeyword) || m.IsKind(SyntaxKind.OutKeyword) || m.IsKind(SyntaxKind.InKeyword) || m.IsKind(SyntaxKind.ReadOnlyKeyword));
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.RefParameter, LocationInfo.From(modifier == default ? parameterSyntax.Identifier : modifier), parameter.Name, method.Name, parameterSyntax.Modifiers.ToString()));
            }

            if (parameterSyntax.Modifiers.Any(SyntaxKind.ParamsKeyword) || parameterSyntax.Type is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedType, LocationInfo.From(parameterSyntax), "Parameter '" + parameter.Name + "'", method.Name, parameter.Type.ToDisplayString()));
                continue;
            }

            CheckType(parameter.Type, parameterSyntax.Type, "parameter '" + parameter.Name + "'");
        }

        CheckType(method.ReturnType, syntax.ReturnType, "the return type");

        if (diagnostics.Count > before || elementType is null)
        {
            return null;
        }

        return Signature(method, syntax, elementType, method.Parameters.Length > 0 && compilation.GetTypeByMetadataName("Gradgen.Tensor") is not null);
    }

    /// <summary>
    /// The checks every [Differentiable] method gets, whatever its types: static, not generic, in partial types, not
    /// overloaded, no member named like a generated one, a body.
    /// </summary>
    public static void CheckShape(IMethodSymbol method, MethodDeclarationSyntax syntax, List<DiagnosticInfo> diagnostics)
    {
        if (!method.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.MethodMustBeStatic, LocationInfo.From(syntax.Identifier), method.Name));
        }

        if (method.IsGenericMethod)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.GenericMethod, LocationInfo.From(syntax.TypeParameterList!), method.Name));
        }

        foreach (var typeSyntax in syntax.Ancestors().OfType<TypeDeclarationSyntax>())
        {
            if (!typeSyntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(DiagnosticInfo.Create(Descriptors.TypeMustBePartial, LocationInfo.From(typeSyntax.Identifier), typeSyntax.Identifier.Text, method.Name));
            }
        }

        // Overloads would generate members with the same names (FCudaSource, kernel types): the first declared wins.
        var sameName = method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>()
            .Where(m => m.GetAttributes().Any(SymbolNames.IsDifferentiableAttribute))
            .OrderBy(m => m.Locations.FirstOrDefault()?.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(m => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
            .ToList();
        if (sameName.Count > 1 && !SymbolEqualityComparer.Default.Equals(sameName[0], method))
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.OverloadedMethod, LocationInfo.From(syntax.Identifier), method.ContainingType.Name, method.Name));
        }

        if (GeneratedNames.FunctionCollision(method.ContainingType, method.Name) is { } collision)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.NameCollision, GeneratedNames.LocationOf(collision), collision.Name, method.Name));
        }

        if (syntax.Body is null && syntax.ExpressionBody is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.UnsupportedSyntax, LocationInfo.From(syntax.Identifier), "A method without a body", "Gradgen differentiates the body, so the method must have one"));
        }
    }

    /// <summary>Where and how the generated members of <paramref name="method"/> are declared.</summary>
    public static FunctionSignature Signature(IMethodSymbol method, MethodDeclarationSyntax syntax, string elementType, bool emitTensorOverload) => new(
        method.ContainingNamespace.IsGlobalNamespace ? string.Empty : method.ContainingNamespace.ToDisplayString(),
        ContainingTypes(method.ContainingType),
        MetadataName(method.ContainingType),
        method.Name,
        Accessibility(method),
        elementType,
        method.Parameters.Select(p => p.Name).ToEquatableArray(),
        SourceText(syntax),
        emitTensorOverload);

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text.Substring(1);

    internal static EquatableArray<ContainingType> ContainingTypes(INamedTypeSymbol type)
    {
        var types = new List<ContainingType>();
        for (var current = type; current is not null; current = current.ContainingType)
        {
            string keyword = current.IsRecord
                ? (current.IsValueType ? "record struct" : "record")
                : current.TypeKind switch
                {
                    TypeKind.Struct => "struct",
                    TypeKind.Interface => "interface",
                    _ => "class",
                };
            string name = current.Name + (current.TypeParameters.Length == 0 ? string.Empty : "<" + string.Join(", ", current.TypeParameters.Select(t => t.Name)) + ">");
            types.Insert(0, new ContainingType(keyword, name));
        }

        return types.ToEquatableArray();
    }

    internal static string MetadataName(INamedTypeSymbol type)
    {
        string name = type.MetadataName;
        for (var current = type.ContainingType; current is not null; current = current.ContainingType)
        {
            name = current.MetadataName + "+" + name;
        }

        return type.ContainingNamespace.IsGlobalNamespace ? name : type.ContainingNamespace.ToDisplayString() + "." + name;
    }

    internal static string Accessibility(IMethodSymbol method) => method.DeclaredAccessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Public => "public",
        Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        _ => "private",
    };

    private static string SourceText(MethodDeclarationSyntax syntax)
    {
        string signature = syntax.Identifier.Text + syntax.ParameterList.ToString();
        if (syntax.ExpressionBody is { } arrow)
        {
            return signature + " => " + Normalize(arrow.Expression.ToString());
        }

        return signature + " " + (syntax.Body?.ToString() ?? string.Empty);
    }

    /// <summary>Collapses runs of whitespace so multi-line expressions read as one line in comments.</summary>
    public static string Normalize(string text) => string.Join(" ", text.Split(new[] { ' ', '\t', '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries));
}
