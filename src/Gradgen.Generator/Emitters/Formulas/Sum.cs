using System.Collections.Generic;
using System.Linq;

namespace Gradgen.Generator.Emitters.Formulas;

/// <summary>
/// The normal form of a formula: a sum of <see cref="Term"/>s with like terms collected and no zero terms, in print
/// order. Products of sums are not multiplied out ((x − 5)² stays a square); a sum used as a factor becomes a
/// <see cref="AtomKind.Group"/> with its fraction pulled out, so −(x − 5) and 2(x − 5) share the atom (x − 5).
/// </summary>
internal sealed class Sum
{
    /// <summary>
    /// A shared subexpression is written out wherever it occurs, so a formula can grow exponentially in the size of its
    /// graph (an unrolled loop); past this length of <see cref="Key"/> the printer gives up and inlines the IR, cut.
    /// </summary>
    private const int MaxKeyLength = 4000;

    public static readonly Sum Zero = new(new Term[0]);

    private string? _key;

    private Sum(IEnumerable<Term> terms)
    {
        var list = terms.ToList();
        list.Sort(Term.Compare);
        Terms = list;
        int hash = 19, length = System.Math.Max(0, list.Count - 1);
        foreach (var term in list)
        {
            hash = (hash * 31) + term.Hash;
            length += term.KeyLength;
        }

        if (length > MaxKeyLength)
        {
            throw new System.OverflowException($"The formula has grown past {MaxKeyLength} characters; it is too long to simplify for printing.");
        }

        (Hash, KeyLength) = (hash, length);
    }

    public IReadOnlyList<Term> Terms { get; }

    /// <summary>A hash of the structure: equal sums have equal hashes.</summary>
    public int Hash { get; }

    /// <summary>The length of <see cref="Key"/>, known without writing it: it measures how far the formula has grown.</summary>
    public int KeyLength { get; }

    /// <summary>The structure as text (<c>1*$x^1+-5*</c>), written only when a tie in the order of factors needs it.</summary>
    public string Key => _key ??= string.Join("+", Terms.Select(t => t.Key));

    /// <summary>Whether the two are the same sum: the same terms, coefficients included, in the same order.</summary>
    public bool SameAs(Sum other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (Hash != other.Hash || Terms.Count != other.Terms.Count)
        {
            return false;
        }

        for (int i = 0; i < Terms.Count; i++)
        {
            if (!Terms[i].Coefficient.Equals(other.Terms[i].Coefficient) || !Terms[i].SameFactors(other.Terms[i]))
            {
                return false;
            }
        }

        return true;
    }

    public static Sum Of(Term term) => term.Coefficient.IsZero ? Zero : new Sum(new[] { term });

    public static Sum Of(Rational value) => Of(new Term(value, new Factor[0]));

    public static Sum Of(Atom atom) => Of(new Term(Rational.One, new[] { new Factor(atom, 1) }));

    /// <summary>a + b with like terms collected; a term that is only a fraction times a group adds its terms.</summary>
    public static Sum Add(Sum a, Sum b)
    {
        // Like terms by their factors; each keeps the place of the first of them.
        var collected = new Dictionary<Term, int>(LikeTerms.Instance);
        var order = new List<Term>();
        foreach (var term in a.Terms.Concat(b.Terms).SelectMany(Ungroup))
        {
            if (collected.TryGetValue(term, out int index))
            {
                order[index] = order[index].WithCoefficient(order[index].Coefficient + term.Coefficient);
            }
            else
            {
                collected.Add(term, order.Count);
                order.Add(term);
            }
        }

        return new Sum(order.Where(t => !t.Coefficient.IsZero));
    }

    public static Sum Scale(Sum a, Rational factor) =>
        factor.IsZero ? Zero : new Sum(a.Terms.Select(t => t.WithCoefficient(t.Coefficient * factor)));

    /// <summary>a·b as one term; a sum of several terms enters it as a group (no multiplying out).</summary>
    public static Sum Multiply(Sum a, Position aPosition, Sum b, Position bPosition) =>
        Of(AsTerm(a, aPosition) * AsTerm(b, bPosition));

    /// <summary>aⁿ for an integer n; a zero base with a negative n throws <see cref="System.DivideByZeroException"/>.</summary>
    public static Sum Power(Sum a, Position position, int exponent) =>
        exponent == 0 ? Of(Rational.One) : Of(AsTerm(a, position).Power(exponent));

    /// <summary>The sum as one term: itself if it has one, else its fraction times the group of the rest.</summary>
    public static Term AsTerm(Sum sum, Position position)
    {
        if (sum.Terms.Count == 0)
        {
            return new Term(Rational.Zero, new Factor[0]);
        }

        if (sum.Terms.Count == 1)
        {
            return sum.Terms[0];
        }

        var content = Content(sum);
        return new Term(content, new[] { new Factor(Atom.Group(Scale(sum, content.Reciprocal()), position), 1) });
    }

    /// <summary>
    /// The fraction that leaves integer coefficients with no common divisor and a positive first term:
    /// −⅔a − ⅔b has content −⅔ and leaves a + b.
    /// </summary>
    private static Rational Content(Sum sum)
    {
        long numerators = 0, denominators = 1;
        foreach (var term in sum.Terms)
        {
            numerators = Rational.Gcd(numerators, System.Math.Abs(term.Coefficient.Numerator));
            denominators = checked(denominators / Rational.Gcd(denominators, term.Coefficient.Denominator) * term.Coefficient.Denominator);
        }

        var content = Rational.Of(numerators, denominators);
        return sum.Terms[0].Coefficient.Sign < 0 ? -content : content;
    }

    private static IEnumerable<Term> Ungroup(Term term)
    {
        if (term.Factors.Count == 1 && term.Factors[0].Exponent == 1 && term.Factors[0].Atom.Kind == AtomKind.Group)
        {
            return Scale(term.Factors[0].Atom.Arguments[0], term.Coefficient).Terms;
        }

        return new[] { term };
    }

    /// <summary>Terms compared by their factors alone, so like terms meet.</summary>
    private sealed class LikeTerms : IEqualityComparer<Term>
    {
        public static readonly LikeTerms Instance = new();

        public bool Equals(Term? a, Term? b) => ReferenceEquals(a, b) || (a is not null && b is not null && a.SameFactors(b));

        public int GetHashCode(Term term) => term.FactorHash;
    }
}
