using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// <c>[Differentiable(Backward = nameof(B))]</c>: checks that <c>B</c> has the vector-Jacobian product's signature and
/// describes the method as a <see cref="LoopFunction"/> whose generated members call <c>B</c> instead of a derivative
/// of the body.
/// </summary>
internal static class CustomDerivative
{
    public static LoopFunction? Check(IMethodSymbol method, MethodDeclarationSyntax syntax, string backward, List<LoopParameter> parameters, string elementType, bool tensors, List<DiagnosticInfo> diagnostics)
    {
        // The expected parameters: F's inputs as declared, the incoming gradients, then a gradient per float input.
        var expected = new List<(string Display, RefKind RefKind)>();
        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Role != ParameterRole.Output)
            {
                expected.Add((method.Parameters[i].Type.ToDisplayString(), RefKind.None));
            }
        }

        if (method.ReturnsVoid)
        {
            expected.AddRange(parameters.Where(p => p.Role == ParameterRole.Output).Select(_ => ($"System.ReadOnlySpan<{elementType}>", RefKind.None)));
        }
        else
        {
            expected.Add((elementType, RefKind.None));
        }

        foreach (var parameter in parameters)
        {
            if (parameter.Role == ParameterRole.ArrayInput)
            {
                expected.Add(($"System.Span<{elementType}>", RefKind.None));
            }
            else if (parameter.Role == ParameterRole.ScalarInput)
            {
                expected.Add((elementType, RefKind.Ref));
            }
        }

        bool Matches(IMethodSymbol candidate) =>
            candidate.IsStatic && candidate.ReturnsVoid && !candidate.IsGenericMethod && candidate.Parameters.Length == expected.Count
            && candidate.Parameters.Select((p, i) => p.Type.ToDisplayString() == expected[i].Display && p.RefKind == expected[i].RefKind).All(ok => ok);

        if (!method.ContainingType.GetMembers(backward).OfType<IMethodSymbol>().Any(Matches))
        {
            var argument = syntax.AttributeLists.SelectMany(l => l.Attributes).SelectMany(a => a.ArgumentList?.Arguments ?? default)
                .FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "Backward");
            string signature = "static void " + backward + "(" + string.Join(", ", expected.Select(p => (p.RefKind == RefKind.Ref ? "ref " : string.Empty) + p.Display)) + ")";
            diagnostics.Add(DiagnosticInfo.Create(Descriptors.CustomDerivativeSignature, argument is null ? LocationInfo.From(syntax.Identifier) : LocationInfo.From(argument), method.Name, backward, signature));
            return null;
        }

        string result = "value";
        while (parameters.Any(p => p.Name == result))
        {
            result = "_" + result;
        }

        return new LoopFunction(
            FunctionParser.Signature(method, syntax, elementType, tensors),
            parameters.ToEquatableArray(),
            EquatableArray<LoopLocal>.Empty,
            EquatableArray<LoopStatement>.Empty,
            method.ReturnsVoid ? null : result,
            backward);
    }
}
