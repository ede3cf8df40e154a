using System.Collections.Generic;
using System.Linq;

namespace Gradgen.Generator.Emitters.Formulas;

/// <summary>What an atom of a formula is, which also decides where it goes in a product: constants first, then
/// parameters and parenthesised sums, then function calls.</summary>
internal enum AtomKind
{
    /// <summary>A constant that is not a fraction: π, or a number such as 0.6931472 printed as it is.</summary>
    Constant,

    /// <summary>A parameter or the incoming gradient.</summary>
    Symbol,

    /// <summary>A sum of two or more terms used as a factor, <c>(x − 5)</c>.</summary>
    Group,

    /// <summary>A function call (<c>sin(2πx)</c>) or another primitive printed from a format (a select, a comparison).</summary>
    Call,
}

/// <summary>
/// A factor that the normal form does not look inside: a name, a constant, a function of simplified arguments or a
/// sum in parentheses. Atoms are compared by structure (<see cref="SameAs"/>), so equal subexpressions reached through
/// different IR nodes are one atom. The comparison uses a hash computed once from the parts' hashes: a key written out
/// as text, as before, grew with the depth of the formula and was rebuilt at every level.
/// </summary>
internal sealed class Atom
{
    private string? _key;

    private Atom(AtomKind kind, string name, IReadOnlyList<Sum> arguments, Position position)
    {
        (Kind, Name, Arguments, Position) = (kind, name, arguments, position);
        int hash = ((int)kind * 31) + System.StringComparer.Ordinal.GetHashCode(name);
        int length = kind switch
        {
            AtomKind.Constant or AtomKind.Symbol => 1 + name.Length,
            AtomKind.Group => 2,
            _ => name.Length + 2 + System.Math.Max(0, arguments.Count - 1),
        };
        foreach (var argument in arguments)
        {
            hash = (hash * 31) + argument.Hash;
            length += argument.KeyLength;
        }

        (Hash, KeyLength) = (hash, length);
    }

    /// <summary>The format of a select, bracketed by the writer only where the context needs it.</summary>
    public const string ConditionalFormat = "{0} ? {1} : {2}";

    public AtomKind Kind { get; }

    /// <summary>The text of a constant or symbol; for a call, the function name or a format over the arguments
    /// (one that contains <c>{0}</c>, such as <see cref="ConditionalFormat"/>).</summary>
    public string Name { get; }

    /// <summary>The arguments of a call, or the one sum of a group.</summary>
    public IReadOnlyList<Sum> Arguments { get; }

    /// <summary>A hash of the structure: equal atoms have equal hashes.</summary>
    public int Hash { get; }

    /// <summary>The length of <see cref="Key"/>, known without writing it.</summary>
    public int KeyLength { get; }

    /// <summary>
    /// The structure as text (<c>sin[1*$x^1]</c>), written only when asked: it orders factors that sit at the same
    /// place in the source, which is rare.
    /// </summary>
    public string Key => _key ??= Kind switch
    {
        AtomKind.Constant => "#" + Name,
        AtomKind.Symbol => "$" + Name,
        AtomKind.Group => "(" + Arguments[0].Key + ")",
        _ => Name + "[" + string.Join(";", Arguments.Select(a => a.Key)) + "]",
    };

    /// <summary>Where the atom comes from in the source, which orders the factors of a product.</summary>
    public Position Position { get; }

    /// <summary>Whether this is a select (<c>c ? a : b</c>), which binds more loosely than any operator.</summary>
    public bool IsConditional => Kind == AtomKind.Call && Name == ConditionalFormat;

    public static Atom Constant(string text) => new(AtomKind.Constant, text, new Sum[0], new Position(0, 0));

    public static Atom Symbol(string name, Position position) => new(AtomKind.Symbol, name, new Sum[0], position);

    public static Atom Group(Sum sum, Position position) => new(AtomKind.Group, "", new[] { sum }, position);

    public static Atom Call(string name, IReadOnlyList<Sum> arguments, Position position) =>
        new(AtomKind.Call, name, arguments, position);

    /// <summary>Whether the two are the same subexpression: same kind, name and arguments (the position aside).</summary>
    public bool SameAs(Atom other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (Hash != other.Hash || Kind != other.Kind || Arguments.Count != other.Arguments.Count || !string.Equals(Name, other.Name, System.StringComparison.Ordinal))
        {
            return false;
        }

        for (int i = 0; i < Arguments.Count; i++)
        {
            if (!Arguments[i].SameAs(other.Arguments[i]))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// The place of an atom in source order: <see cref="First"/> is the earliest IR node of the computation it holds
/// (parameters and constants left aside), so cos(2πx), which the derivative creates late, still sits where 2πx
/// does; <see cref="Own"/>, the node itself, breaks ties.
/// </summary>
internal readonly struct Position
{
    public Position(int first, int own) => (First, Own) = (first, own);

    public int First { get; }

    public int Own { get; }

    public int CompareTo(Position other) => First != other.First ? First.CompareTo(other.First) : Own.CompareTo(other.Own);

    public static Position Min(Position a, Position b) => a.CompareTo(b) <= 0 ? a : b;
}

/// <summary>Atoms compared by structure (<see cref="Atom.SameAs"/>), hashed with the atom's <see cref="Atom.Hash"/>.</summary>
internal sealed class AtomKeys : IEqualityComparer<Atom>
{
    public static readonly AtomKeys Instance = new();

    public bool Equals(Atom? a, Atom? b) => ReferenceEquals(a, b) || (a is not null && b is not null && a.SameAs(b));

    public int GetHashCode(Atom atom) => atom.Hash;
}
