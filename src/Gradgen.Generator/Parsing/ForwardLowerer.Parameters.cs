using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// <c>Parameter</c> fields read in <c>Forward</c> (PyTorch's <c>nn.Parameter</c> in a custom layer: <c>x.MatMul(weight)
/// * scale + shift</c>): each is a parameter node of the graph, its gradient one of the node's results. Its shape is
/// read from its one creation, <c>new Parameter(Tensor.Randn(6, 8) * 0.3f)</c>: the dims the code shows as constants
/// are constants, the others symbols that shape inference unifies with the rest of the graph.
/// </summary>
internal sealed partial class ForwardLowerer
{
    private const string ParameterType = "Gradgen.Nn.Parameter";

    private static bool IsParameterField(IFieldSymbol field, Scope scope) =>
        field.Type.ToDisplayString() == ParameterType && IsMemberOf(field, scope.Type);

    /// <summary>The parameter node for <paramref name="field"/>, read where the generated code reads the model's members.</summary>
    private int ParameterField(IFieldSymbol field, SyntaxNode at, Scope scope)
    {
        string access = FieldAccess(field, scope);
        var shape = ModelParser.FieldValue(scope.Type, field.Name, _compilation, _cancellationToken) is { } created
            && created.Value is BaseObjectCreationExpressionSyntax { ArgumentList.Arguments: { Count: > 0 } arguments }
            ? CreatedShape(arguments[0].Expression, created.Model, access)
            : null;
        if (shape is null)
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the Parameter '{field.Name}' is not created once, in place, from a tensor whose rank the code shows (new Parameter(Tensor.Randn(6, 8)))")
            {
                Cause = Declaration(field),
            };
        }

        return _b.Parameter(access, shape, field.Name);
    }

    /// <summary>
    /// The shape of the tensor <paramref name="data"/> creates, where the code shows its rank: <c>Tensor.Randn</c>,
    /// <c>Rand</c>, <c>Zeros</c>, <c>Ones</c> or <c>Full</c> with the dims as arguments or an array written in place,
    /// possibly in parentheses, scaled or shifted by a number; else null.
    /// </summary>
    private int[]? CreatedShape(ExpressionSyntax data, SemanticModel model, string access)
    {
        while (true)
        {
            switch (data)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    data = parenthesized.Expression;
                    continue;
                case BinaryExpressionSyntax binary:
                    data = IsTensor(binary.Left, model) ? binary.Left : binary.Right;
                    continue;
                case InvocationExpressionSyntax call when model.GetSymbolInfo(call, _cancellationToken).Symbol is IMethodSymbol method
                    && method.IsStatic && method.ContainingType.ToDisplayString() == TensorType && method.Name is "Randn" or "Rand" or "Zeros" or "Ones" or "Full"
                    && call.ArgumentList.Arguments.Count > 0:
                    var arguments = call.ArgumentList.Arguments;
                    var first = arguments[0].Expression;
                    IEnumerable<ExpressionSyntax> dims = method.Parameters[0].IsParams && !IsArray(first, model)
                        ? arguments.Select(a => a.Expression)
                        : first is ImplicitArrayCreationExpressionSyntax or ArrayCreationExpressionSyntax or CollectionExpressionSyntax ? ArrayElements(first) : [];
                    var shape = dims.Select((dim, i) => model.GetConstantValue(dim, _cancellationToken) is { HasValue: true, Value: int size } ? size : FeatureSymbol($"{access}[{i}]")).ToArray();
                    return shape.Length > 0 ? shape : null;
                default:
                    return null;
            }
        }
    }

    private bool IsTensor(ExpressionSyntax expression, SemanticModel model) =>
        model.GetTypeInfo(expression, _cancellationToken).Type?.ToDisplayString() is TensorType or ParameterType;

    private bool IsArray(ExpressionSyntax expression, SemanticModel model) =>
        model.GetTypeInfo(expression, _cancellationToken).Type is IArrayTypeSymbol;
}
