using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.CodeFixes;

/// <summary>
/// Folds integer arithmetic on literals in an expression a fix wrote (<c>16 * (2 + 1)</c> → <c>48</c>), so that an
/// unrolled loop's copies read as the numbers they are. Only + − * / % on integer literals are folded, as C# computes
/// them (truncating division); anything else is kept as written.
/// </summary>
internal sealed class IntegerFolding : CSharpSyntaxRewriter
{
    private static readonly IntegerFolding Instance = new();

    /// <summary><paramref name="expression"/> with its integer-literal arithmetic folded.</summary>
    public static ExpressionSyntax Fold(ExpressionSyntax expression) => (ExpressionSyntax)Instance.Visit(expression);

    /// <inheritdoc/>
    public override SyntaxNode? VisitParenthesizedExpression(ParenthesizedExpressionSyntax node)
    {
        var inner = (ExpressionSyntax)Visit(node.Expression);
        return inner is LiteralExpressionSyntax literal ? literal.WithTriviaFrom(node) : node.WithExpression(inner);
    }

    /// <inheritdoc/>
    public override SyntaxNode? VisitBinaryExpression(BinaryExpressionSyntax node)
    {
        var left = (ExpressionSyntax)Visit(node.Left);
        var right = (ExpressionSyntax)Visit(node.Right);
        if (Integer(left) is { } a && Integer(right) is { } b)
        {
            long? value = node.Kind() switch
            {
                SyntaxKind.AddExpression => a + b,
                SyntaxKind.SubtractExpression => a - b,
                SyntaxKind.MultiplyExpression => a * b,
                SyntaxKind.DivideExpression when b != 0 => a / b,
                SyntaxKind.ModuloExpression when b != 0 => a % b,
                _ => null,
            };
            if (value is { } v && v is >= int.MinValue and <= int.MaxValue)
            {
                return Literal(v).WithTriviaFrom(node);
            }
        }

        return node.Update(left, node.OperatorToken, right);
    }

    /// <inheritdoc/>
    public override SyntaxNode? VisitPrefixUnaryExpression(PrefixUnaryExpressionSyntax node)
    {
        var operand = (ExpressionSyntax)Visit(node.Operand);
        return node.IsKind(SyntaxKind.UnaryMinusExpression) && Integer(operand) is { } a
            ? Literal(-a).WithTriviaFrom(node)
            : node.WithOperand(operand);
    }

    private static long? Integer(ExpressionSyntax expression) =>
        expression is LiteralExpressionSyntax { Token.Value: int or long } literal ? System.Convert.ToInt64(literal.Token.Value, CultureInfo.InvariantCulture) : null;

    /// <summary>An int literal of <paramref name="value"/> (a negation of one when negative: C# has no negative literals).</summary>
    public static ExpressionSyntax Literal(long value) =>
        value < 0
            ? SyntaxFactory.PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal((int)-value)))
            : SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal((int)value));
}
