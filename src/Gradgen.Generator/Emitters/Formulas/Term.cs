using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

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
/// parameters and sums, then calls, each in source order). Two terms whose <see cref="FactorKey"/> is the same are
/// like terms and add by their coefficients.
/// </summary>
internal sealed class Term
{
    private string? _key;

    public Term(Rational coefficient, IEnumerable<Factor> factors)
    {
        Coefficient = coefficient;
        var sorted = factors.Where(f => f.Exponent != 0).ToArray();
        SortStably(sorted);
        Factors = sorted;

        // The keys are built often and nest (a group's key holds its sum's), so they are written once, in one buffer.
        var key = new StringBuilder();
        for (int i = 0; i < sorted.Length; i++)
        {
            var factor = sorted[i];
            key.Append(i == 0 ? "" : "*").Append(factor.Atom.Key).Append('^').Append(factor.Exponent.ToString(CultureInfo.InvariantCulture));
            if (factor.Atom.Kind != AtomKind.Constant)
            {
                Variables++;
            }
        }

        FactorKey = key.ToString();
    }

    private Term(Rational coefficient, Term factors) =>
        (Coefficient, Factors, FactorKey, Variables) = (coefficient, factors.Factors, factors.FactorKey, factors.Variables);

    public Rational Coefficient { get; }

    public IReadOnlyList<Factor> Factors { get; }

    public string FactorKey { get; }

    public string Key => _key ??= Coefficient + "*" + FactorKey;

    /// <summary>How many of the factors are not constants: terms of fewer come first in a sum.</summary>
    public int Variables { get; }

    /// <summary>The same factors (already in order, with their key) times another coefficient.</summary>
    public Term WithCoefficient(Rational coefficient) => new(coefficient, this);

    public static Term operator *(Term a, Term b)
    {
        var exponents = new Dictionary<string, Factor>();
        foreach (var factor in a.Factors.Concat(b.Factors))
        {
            exponents[factor.Atom.Key] = exponents.TryGetValue(factor.Atom.Key, out var seen)
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
            return position != 0 ? position : string.CompareOrdinal(a.Atom.Key, b.Atom.Key);
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
