using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// Helper methods of the model class (<c>Tensor Block(Tensor h) =&gt; h + fc.Forward(Relu(h));</c>): a call from
/// <c>Forward</c> is inlined, its parameters bound to the lowered arguments, so factoring <c>Forward</c> into methods
/// does not cost the compiled path. Only methods of the class itself (not of other classes: those stay calls into
/// other code), non-virtual, non-generic, returning a tensor and taking tensors and numbers by value.
/// </summary>
internal sealed partial class ForwardLowerer
{
    // The helpers being inlined: one met again inside its own body would inline forever.
    private readonly HashSet<IMethodSymbol> _inliningHelpers = new(SymbolEqualityComparer.Default);

    /// <summary>The declaration of <paramref name="method"/> if it is a helper this class's Forward may inline, else null.</summary>
    private MethodDeclarationSyntax? HelperOf(IMethodSymbol method, Scope scope)
    {
        if (!SymbolEqualityComparer.Default.Equals(method.ContainingType.OriginalDefinition, scope.Type.OriginalDefinition)
            || method.IsAbstract || method.IsVirtual || method.IsOverride || method.IsGenericMethod || method.ReturnsByRef
            || method.ReturnType.ToDisplayString() != TensorType
            || method.Parameters.Any(p => p.RefKind != RefKind.None || p.IsParams || (p.Type.ToDisplayString() != TensorType && !IsNumber(p.Type))))
        {
            return null;
        }

        return method.DeclaringSyntaxReferences.Length == 1
            && method.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken) is MethodDeclarationSyntax declaration
            && (declaration.Body is not null || declaration.ExpressionBody is not null)
            ? declaration
            : null;
    }

    /// <summary>
    /// Lowers <paramref name="helper"/>'s body with its parameters bound to the call's arguments (named and default
    /// ones too). What its body cannot compile is reported at the call, with the construct in the body as the cause.
    /// </summary>
    private Value InlineHelper(MethodDeclarationSyntax helper, IMethodSymbol method, InvocationExpressionSyntax invocation, Scope scope)
    {
        // The arguments first: Block(Block(x)) is two calls one after the other, not recursion.
        var at = LocationInfo.From(invocation);
        var parameters = new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default);
        var arguments = invocation.ArgumentList.Arguments;
        for (int i = 0; i < arguments.Count; i++)
        {
            var parameter = arguments[i].NameColon is { } named
                ? method.Parameters.First(p => p.Name == named.Name.Identifier.ValueText)
                : method.Parameters[i];
            parameters[parameter] = Lower(arguments[i].Expression, scope);
        }

        foreach (var parameter in method.Parameters.Where(p => !parameters.ContainsKey(p)))
        {
            parameters[parameter] = DefaultNumber(parameter) is { } number
                ? new Value(-1, number, null)
                : throw new NotCompiledException(at, $"'{Short(invocation)}' leaves {method.Name}'s parameter '{parameter.Name}' to a default that is not a number");
        }

        if (!_inliningHelpers.Add(method))
        {
            throw new NotCompiledException(at, $"'{Short(invocation)}' calls {method.Name}, which calls itself (recursion is not static)");
        }

        try
        {
            var body = new Scope(scope.Type, scope.Access, SemanticModels.Of(_compilation, helper.SyntaxTree), scope.Input, scope.InputNode, parameters);
            try
            {
                if (helper.ExpressionBody is { } arrow)
                {
                    return Value.Tensor(TensorOf(Lower(arrow.Expression, body), arrow.Expression));
                }

                return Value.Tensor(LowerStatements(helper.Body!.Statements, body)
                    ?? throw new NotCompiledException(LocationInfo.From(helper.Identifier), $"{method.Name} has no return statement"));
            }
            catch (NotCompiledException inner)
            {
                throw new NotCompiledException(at, $"the helper {method.Name} is not compiled: {inner.Reason}")
                {
                    Cause = inner.Cause ?? inner.Location,
                };
            }
        }
        finally
        {
            _inliningHelpers.Remove(method);
        }
    }
}
