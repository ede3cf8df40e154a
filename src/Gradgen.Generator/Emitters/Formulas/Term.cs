using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Gradgen.Generator.Emitters.Formulas;

/// <summary>An atom raised to a non-zero integer power; a negative power divides.</summary>
internal readonly struct Factor
{
    public Factor(Atom atom, int exponent) => (Atom, Exponent) = (atom, exponent);

    public Atom Atom { get; }

    public int Exponent { get; }
}

/// <summary>
/// A product: a fraction times atoms raised to integer powers, the factors in print order (constants, then
/// parameters and sums, then calls, each in source order). Two terms with the same factors (<see cref="SameFactors"/>)
/// are like terms and add by their coefficients.
/// </summary>
internal sealed class Term
{
    private string? _factorKey;
    private string? _key;

    public Term(Rational coefficient, IEnumerable<Factor> factors)
    {
        Coefficient = coefficient;
        var sorted = factors.Where(f => f.Exponent != 0).ToArray();
        SortStably(sorted);
        Factors = sorted;

        int hash = 17, length = System.Math.Max(0, sorted.Length - 1);
        foreach (var factor in sorted)
        {
            hash = (((hash * 31) + factor.Atom.Hash) * 31) + factor.Exponent;
            length += factor.Atom.KeyLength + 1 + Digits(factor.Exponent);
            if (factor.Atom.Kind != AtomKind.Constant)
            {
                Variables++;
            }
        }

        (FactorHash, FactorKeyLength) = (hash, length);
    }

    private Term(Rational coefficient, Term factors) =>
        (Coefficient, Factors, FactorHash, FactorKeyLength, Variables, _factorKey) =
        (coefficient, factors.Factors, factors.FactorHash, factors.FactorKeyLength, factors.Variables, factors._factorKey);

    public Rational Coefficient { get; }

    public IReadOnlyList<Factor> Factors { get; }

    /// <summary>A hash of the factors (not the coefficient): like terms have equal hashes.</summary>
    public int FactorHash { get; }

    /// <summary>A hash of the whole term.</summary>
    public int Hash => (FactorHash * 31) + Coefficient.GetHashCode();

    /// <summary>The length of <see cref="Key"/>, known without writing it.</summary>
    public int KeyLength => Digits(Coefficient.Numerator) + (Coefficient.Denominator == 1 ? 0 : 1 + Digits(Coefficient.Denominator)) + 1 + FactorKeyLength;

    /// <summary>The structure as text (<c>2*$x^1*sin[1*$x^1]^2</c>), written only to order terms that nothing else orders.</summary>
    public string Key => _key ??= Coefficient + "*" + FactorKey;

    /// <summary>How many of the factors are not constants: terms of fewer come first in a sum.</summary>
    public int Variables { get; }

    private int FactorKeyLength { get; }

    private string FactorKey => _factorKey ??= string.Join("*", Factors.Select(f => f.Atom.Key + "^" + f.Exponent.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The same factors (already in order) times another coefficient.</summary>
    public Term WithCoefficient(Rational coefficient) => new(coefficient, this);

    /// <summary>Whether the two are like terms: the same atoms to the same powers, in the same order.</summary>
    public bool SameFactors(Term other)
    {
        if (ReferenceEquals(Factors, other.Factors))
        {
            return true;
        }

        if (FactorHash != other.FactorHash || Factors.Count != other.Factors.Count)
        {
            return false;
        }

        for (int i = 0; i < Factors.Count; i++)
        {
            if (Factors[i].Exponent != other.Factors[i].Exponent || !Factors[i].Atom.SameAs(other.Factors[i].Atom))
            {
                return false;
            }
        }

        return true;
    }

    public static Term operator *(Term a, Term b)
    {
        var exponents = new Dictionary<Atom, Factor>(AtomKeys.Instance);
        foreach (var factor in a.Factors.Concat(b.Factors))
        {
            exponents[factor.Atom] = exponents.TryGetValue(factor.Atom, out var seen)
                ? new Factor(seen.Atom.Position.CompareTo(factor.Atom.Position) <= 0 ? seen.Atom : factor.Atom, checked(seen.Exponent + factor.Exponent))
                : factor;
        }

        return new Term(a.Coefficient * b.Coefficient, exponents.Values);
    }

    public Term Power(int exponent) =>
        new(Coefficient.Power(exponent), Factors.Select(f => new Factor(f.Atom, checked(f.Exponent * exponent))));

    /// <summary>Orders the terms of a sum: fewer factors first, the constant last, then the factors in print order.</summary>
    public static int Compare(Term a, Term b)
    {
        if (ReferenceEquals(a, b))
        {
            return 0;
        }

        bool aConstant = a.Factors.Count == 0, bConstant = b.Factors.Count == 0;
        if (aConstant != bConstant)
        {
            return aConstant ? 1 : -1;
        }

        int count = a.Variables.CompareTo(b.Variables);
        if (count != 0)
        {
            return count;
        }

        for (int i = 0; i < Math.Min(a.Factors.Count, b.Factors.Count); i++)
        {
            int order = FactorOrder.Instance.Compare(a.Factors[i], b.Factors[i]);
            if (order != 0)
            {
                return order;
            }
        }

        return string.CompareOrdinal(a.Key, b.Key);
    }

    /// <summary>The number of characters of the value written in decimal, with its minus sign.</summary>
    private static int Digits(long value)
    {
        int digits = value < 0 ? 2 : 1;
        for (long rest = value / 10; rest != 0; rest /= 10)
        {
            digits++;
        }

        return digits;
    }

    /// <summary>
    /// Sorts the factors in print order, keeping the given order of factors that compare equal, as OrderBy did. A
    /// product has a few factors: an insertion sort in place, where OrderBy buffered and copied them several times.
    /// </summary>
    private static void SortStably(Factor[] factors)
    {
        for (int i = 1; i < factors.Length; i++)
        {
            var factor = factors[i];
            int j = i - 1;
            for (; j >= 0 && FactorOrder.Instance.Compare(factors[j], factor) > 0; j--)
            {
                factors[j + 1] = factors[j];
            }

            factors[j + 1] = factor;
        }
    }

    private sealed class FactorOrder : IComparer<Factor>
    {
        public static readonly FactorOrder Instance = new();

        public int Compare(Factor a, Factor b)
        {
            int kind = Rank(a.Atom.Kind).CompareTo(Rank(b.Atom.Kind));
            if (kind != 0)
            {
                return kind;
            }

            int position = a.Atom.Position.CompareTo(b.Atom.Position);
            return position != 0 ? position : a.Atom.SameAs(b.Atom) ? 0 : string.CompareOrdinal(a.Atom.Key, b.Atom.Key);
        }

        // Parameters and parenthesised sums read as one kind of factor: ⅔(x − 5)·sin(2πx), x·(y + 1).
        private static int Rank(AtomKind kind) => kind switch
        {
            AtomKind.Constant => 0,
            AtomKind.Call => 2,
            _ => 1,
        };
    }
}
