using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace Gradgen.CodeFixes;

/// <summary>Writes <c>Grad.StopGradient(…)</c> around an expression, the edit of the GG0006 and GG0009 fixes.</summary>
internal static class StopGradientSyntax
{
    /// <summary>
    /// <c>global::Gradgen.Grad.StopGradient(expression)</c>, the name marked for simplification (it prints as
    /// <c>Grad.StopGradient</c> where <c>using Gradgen;</c> is in scope), keeping the expression's trivia outside.
    /// </summary>
    public static ExpressionSyntax Wrap(ExpressionSyntax expression) =>
        SyntaxFactory.InvocationExpression(
                SyntaxFactory.ParseExpression("global::Gradgen.Grad.StopGradient").WithAdditionalAnnotations(Simplifier.Annotation),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(expression.WithoutTrivia()))))
            .WithTriviaFrom(expression);
}
