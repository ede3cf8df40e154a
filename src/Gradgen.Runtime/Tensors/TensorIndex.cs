namespace Gradgen;

/// <summary>
/// One entry of a tensor indexer: an integer (selects and removes the dimension, negative counts from the end), a
/// <see cref="System.Index"/> (<c>^1</c>) or a <see cref="System.Range"/> (<c>1..3</c>, <c>..</c>; clamped like
/// Python slices). <c>x[0]</c>, <c>x[.., 1]</c>, <c>x[1..^1, ^1]</c>.
/// </summary>
public readonly struct TensorIndex
{
    internal readonly Range range;
    internal readonly Index index;
    internal readonly bool isRange;

    TensorIndex(Index index)
    {
        this.index = index;
        isRange = false;
    }

    TensorIndex(Range range)
    {
        this.range = range;
        isRange = true;
    }

    /// <summary>Selects position <paramref name="i"/> (negative counts from the end).</summary>
    /// <param name="i">The position.</param>
    public static implicit operator TensorIndex(int i) => new(i < 0 ? Index.FromEnd(-i) : Index.FromStart(i));

    /// <summary>Selects one position.</summary>
    /// <param name="i">The position.</param>
    public static implicit operator TensorIndex(Index i) => new(i);

    /// <summary>Keeps a range of positions as a view.</summary>
    /// <param name="r">The range.</param>
    public static implicit operator TensorIndex(Range r) => new(r);
}
