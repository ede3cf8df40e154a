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
/// sum in parentheses. Atoms are compared by <see cref="Key"/>, their structure as text, so equal subexpressions
/// reached through different IR nodes are one atom.
/// </summary>
internal sealed class Atom
{
    private Atom(AtomKind kind, string name, IReadOnlyList<Sum> arguments, string key, Position position) =>
        (Kind, Name, Arguments, Key, Position) = (kind, name, arguments, key, position);

    /// <summary>The format of a select, bracketed by the writer only where the context needs it.</summary>
    public const string ConditionalFormat = "{0} ? {1} : {2}";

    public AtomKind Kind { get; }

    /// <summary>The text of a constant or symbol; for a call, the function name or a format over the arguments
    /// (one that contains <c>{0}</c>, such as <see cref="ConditionalFormat"/>).</summary>
    public string Name { get; }

    /// <summary>The arguments of a call, or the one sum of a group.</summary>
    public IReadOnlyList<Sum> Arguments { get; }

    public string Key { get; }

    /// <summary>The hash of <see cref="Key"/>, computed once: keys nest and grow long, and the writer looks atoms up by key at every occurrence.</summary>
    public int KeyHash => _keyHash ??= System.StringComparer.Ordinal.GetHashCode(Key);

    private int? _keyHash;

    /// <summary>Where the atom comes from in the source, which orders the factors of a product.</summary>
    public Position Position { get; }

    /// <summary>Whether this is a select (<c>c ? a : b</c>), which binds more loosely than any operator.</summary>
    public bool IsConditional => Kind == AtomKind.Call && Name == ConditionalFormat;

    public static Atom Constant(string text) => new(AtomKind.Constant, text, new Sum[0], "#" + text, new Position(0, 0));

    public static Atom Symbol(string name, Position position) => new(AtomKind.Symbol, name, new Sum[0], "$" + name, position);

    public static Atom Group(Sum sum, Position position) => new(AtomKind.Group, "", new[] { sum }, "(" + sum.Key + ")", position);

    public static Atom Call(string name, IReadOnlyList<Sum> arguments, Position position) =>
        new(AtomKind.Call, name, arguments, name + "[" + string.Join(";", arguments.Select(a => a.Key)) + "]", position);
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

/// <summary>Atoms compared by <see cref="Atom.Key"/>, hashed with the atom's cached <see cref="Atom.KeyHash"/>.</summary>
internal sealed class AtomKeys : IEqualityComparer<Atom>
{
    public static readonly AtomKeys Instance = new();

    public bool Equals(Atom? a, Atom? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.KeyHash == b.KeyHash && string.Equals(a.Key, b.Key, System.StringComparison.Ordinal));

    public int GetHashCode(Atom atom) => atom.KeyHash;
}
