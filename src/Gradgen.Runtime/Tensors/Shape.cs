using System.Collections;

namespace Gradgen;

/// <summary>The sizes of a tensor's dimensions (PyTorch's <c>torch.Size</c>); prints as <c>[10, 20, 30]</c>.</summary>
public readonly struct Shape : IReadOnlyList<int>, IEquatable<Shape>
{
    readonly int[]? dims;

    /// <summary>A shape with the given sizes (copied).</summary>
    /// <param name="dims">The size of each dimension.</param>
    public Shape(params ReadOnlySpan<int> dims) => this.dims = dims.ToArray();

    private Shape(int[] dims, bool _) => this.dims = dims;

    internal static Shape Wrap(int[] dims) => new(dims, false);

    internal int[] Dims => dims ?? [];

    /// <summary>The size of dimension <paramref name="index"/>; negative indices count from the end.</summary>
    /// <param name="index">The dimension.</param>
    public int this[int index]
    {
        get
        {
            var d = Dims;
            if (index < 0) index += d.Length;
            if ((uint)index >= (uint)d.Length)
                throw new ArgumentOutOfRangeException(nameof(index), $"Dimension {index} is out of range for shape {this} with {d.Length} dimensions.");
            return d[index];
        }
    }

    /// <summary>The number of dimensions.</summary>
    public int Count => Dims.Length;

    /// <summary>The number of elements: the product of the sizes (1 for a zero-dimensional shape).</summary>
    public int NumElements
    {
        get
        {
            int n = 1;
            foreach (int d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>A copy of the sizes.</summary>
    public int[] ToArray() => (int[])Dims.Clone();

    /// <summary>Enumerates the sizes.</summary>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)Dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Whether both shapes have the same sizes.</summary>
    /// <param name="other">The other shape.</param>
    public bool Equals(Shape other) => Dims.AsSpan().SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Whether both shapes have the same sizes.</summary>
    /// <param name="a">A shape.</param>
    /// <param name="b">A shape.</param>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    /// <summary>Whether the shapes differ.</summary>
    /// <param name="a">A shape.</param>
    /// <param name="b">A shape.</param>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>A shape from sizes.</summary>
    /// <param name="dims">The sizes.</param>
    public static implicit operator Shape(int[] dims) => new(dims);

    /// <summary><c>[10, 20, 30]</c></summary>
    public override string ToString() => Format(Dims);

    internal static string Format(ReadOnlySpan<int> dims)
    {
        var sb = new System.Text.StringBuilder("[");
        for (int i = 0; i < dims.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.Append(']').ToString();
    }
}
