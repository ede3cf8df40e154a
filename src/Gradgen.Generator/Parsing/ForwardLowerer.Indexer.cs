using System;
using Gradgen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// The tensor indexer in <c>Forward</c> (<c>x[0]</c>, <c>x[.., ^1]</c>, <c>x[1..3]</c>, <c>x[^2.., 0]</c>): one entry
/// per leading dim, as the runtime's <c>Tensor this[params TensorIndex[]]</c> reads them. An integer or <c>^k</c>
/// selects (the graph's Select: a narrow of one position and a squeeze), a range slices (the graph's Slice, clamped as
/// the runtime clamps it), <c>..</c> keeps the dim. Indices and bounds must be constants (or loop variables of
/// constant bounds); from-end ones are resolved against a constant size here, and left to the run time as negative
/// positions where the size is the caller's (a batch dim), which the Select and Slice nodes express.
/// </summary>
internal sealed partial class ForwardLowerer
{
    /// <summary>Lowers <c>x[…]</c>, <paramref name="indexer"/> one of the runtime tensor's indexers.</summary>
    private Value LowerIndexer(ElementAccessExpressionSyntax element, IPropertySymbol indexer, Scope scope)
    {
        string label = Short(element);
        if (indexer.Parameters.Length == 1 && indexer.Parameters[0].Type.ToDisplayString() == TensorType)
        {
            throw new NotCompiledException(LocationInfo.From(element), $"'{label}' indexes by a boolean mask, whose result's size depends on the mask's values (not static)");
        }

        int x = TensorOf(Lower(element.Expression, scope), element.Expression);
        var entries = element.ArgumentList.Arguments;
        if (entries.Count > _b.Rank(x))
        {
            throw new ShapeErrorException(LocationInfo.From(element), $"'{label}' gives {entries.Count} indices for {_b.Format(x)}, which has {_b.Rank(x)} dims");
        }

        // A selected dim is gone, so the next entry indexes the dim that took its place.
        int dim = 0;
        foreach (var entry in entries)
        {
            var expression = entry.Expression;
            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            if (expression is RangeExpressionSyntax range)
            {
                int start = range.LeftOperand is { } left ? SliceBound(left, label, scope) : 0;
                int end = range.RightOperand is { } right ? SliceBound(right, label, scope) : int.MaxValue;
                int d = dim;
                if (start != 0 || end != int.MaxValue)
                {
                    x = Shape(entry, () => _b.Slice(x, d, start, end, 1, label));
                }

                dim++;
                continue;
            }

            var (position, fromEnd) = IndexConstant(expression, entry: true, label, scope);
            int index = fromEnd ? -position : position;
            if (fromEnd && position == 0)
            {
                throw new ShapeErrorException(LocationInfo.From(expression), $"'{label}' selects ^0 of dim {dim} of {_b.Format(x)}: ^0 is one past the end of any size");
            }

            x = Select(x, dim, index, expression, label);
        }

        return Value.Tensor(x);
    }

    /// <summary>
    /// A range bound as the position the graph's Slice takes: <c>k</c> itself, <c>^k</c> as −k (Slice counts a negative
    /// position from the end, clamped at 0 as the indexer clamps <c>size − k</c>), and <c>^0</c>, the end, as
    /// <see cref="int.MaxValue"/> (clamped to the size).
    /// </summary>
    private int SliceBound(ExpressionSyntax bound, string label, Scope scope)
    {
        var (position, fromEnd) = IndexConstant(bound, entry: false, label, scope);
        return !fromEnd ? position : position == 0 ? int.MaxValue : -position;
    }

    /// <summary>
    /// An index entry or a range bound (<c>1</c>, <c>^1</c>, <c>-1</c>, a loop variable) as a constant position and
    /// whether it counts from the end. A negative integer counts from the end as an entry (the runtime's
    /// <c>TensorIndex</c> converts it so) and is an error as a range bound or after <c>^</c> (<c>System.Index</c>
    /// throws for it).
    /// </summary>
    private (int Position, bool FromEnd) IndexConstant(ExpressionSyntax expression, bool entry, string label, Scope scope)
    {
        bool hat = expression is PrefixUnaryExpressionSyntax prefix && prefix.IsKind(SyntaxKind.IndexExpression);
        var operand = hat ? ((PrefixUnaryExpressionSyntax)expression).Operand : expression;
        int value = ConstantIndex(operand, label, scope);
        if (value >= 0)
        {
            return (value, hat);
        }

        if (!hat && entry)
        {
            return (-value, true);
        }

        throw new ShapeErrorException(LocationInfo.From(expression), $"'{label}' has the index '{Short(expression)}', which is negative: System.Index throws for it (write ^{-value} to count from the end)");
    }

    /// <summary>
    /// A constant int, or one computed from loop variables in the unrolled copy being lowered (<c>i</c>, <c>i + 1</c>);
    /// else GG0016 naming it.
    /// </summary>
    private int ConstantIndex(ExpressionSyntax expression, string label, Scope scope)
    {
        if (scope.Model.GetConstantValue(expression, _cancellationToken) is { HasValue: true, Value: int constant })
        {
            return constant;
        }

        double? number;
        try
        {
            number = Lower(expression, scope) is { IsTensor: false, Constant: { } value } ? value : null;
        }
        catch (NotCompiledException)
        {
            number = null;
        }

        return number is { } n && n == Math.Floor(n) && n >= int.MinValue && n <= int.MaxValue ? (int)n
            : throw new NotCompiledException(LocationInfo.From(expression), $"'{label}' indexes with '{Short(expression)}', which is not a constant int or a loop variable of constant bounds (indices must be constants)");
    }
}
