using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Gradgen.Generator.Emitters.Formulas;

/// <summary>
/// Prints a <see cref="Sum"/> as a formula a person reads: factors common to every term of a sum pulled out
/// (<c>(2π·cos(2πx) − ⅔(x − 5)·sin(2πx))·exp(…)</c>), fractions as ⅔ or <c>x/3</c>, powers as superscripts,
/// a number next to a one-letter name or a parenthesis without a dot (<c>2πx</c>), and a long subexpression that
/// still occurs more than once given a name: <c>…, where e = exp(−(x − 5)²/3)</c>.
/// </summary>
internal sealed class FormulaWriter
{
    /// <summary>A repeated subexpression shorter than this stays inline: naming it would not make the formula shorter.</summary>
    private const int MinNamedLength = 12;

    private const int MaxNames = 4;

    private static readonly bool[] NumeratorThenDenominator = { true, false };

    private static readonly string[] SpareNames = { "u", "v", "w", "a", "b", "c", "d", "f", "h", "k", "m", "n", "p", "q", "r", "s", "z" };

    private readonly Dictionary<Atom, string> _names = new(AtomKeys.Instance);
    private readonly List<Atom> _named = new();
    private readonly HashSet<string> _taken;

    // Each pass of NameOneRepeat walks the whole formula again; a sum's common factors are the same in every pass.
    private readonly Dictionary<Sum, Term?> _pulledOut = new();

    // The text of each atom (by key) while the names stay as they are: a subexpression that occurs many times is written once.
    private readonly Dictionary<Atom, string> _written = new(AtomKeys.Instance);

    private FormulaWriter(IEnumerable<string> reserved) => _taken = new HashSet<string>(reserved);

    /// <summary>The formula; <paramref name="reserved"/> are the names in it (parameters), which a definition must not reuse.</summary>
    public static string Write(Sum sum, IEnumerable<string> reserved)
    {
        var writer = new FormulaWriter(reserved);
        while (writer._named.Count < MaxNames && writer.NameOneRepeat(sum))
        {
        }

        var texts = writer.WriteAll(sum);
        var text = new StringBuilder(texts[0]);
        for (int i = 0; i < writer._named.Count; i++)
        {
            text.Append(i == 0 ? ", where " : "; ").Append(writer._names[writer._named[i]]).Append(" = ").Append(texts[i + 1]);
        }

        return text.ToString();
    }

    /// <summary>
    /// Counts the subexpressions as the formula and the definitions of the names given so far would print them, and
    /// names the longest that occurs twice; false if none does.
    /// </summary>
    private bool NameOneRepeat(Sum sum)
    {
        var counts = new Dictionary<Atom, int>(AtomKeys.Instance);
        var atoms = new Dictionary<Atom, Atom>(AtomKeys.Instance);
        CountSum(sum, counts, atoms);
        foreach (var named in _named)
        {
            CountAtom(named, inline: true, counts, atoms);
        }

        var repeated = counts.Where(c => c.Value >= 2 && !_names.ContainsKey(c.Key))
            .Select(c => (Atom: atoms[c.Key], Text: WriteAtom(atoms[c.Key], inline: false)))
            .Where(t => t.Text.Length >= MinNamedLength)
            .OrderByDescending(t => t.Text.Length)
            .ThenBy(t => t.Text, System.StringComparer.Ordinal)
            .ToList();
        if (repeated.Count == 0)
        {
            return false;
        }

        var chosen = repeated[0].Atom;
        string preferred = chosen.Kind == AtomKind.Call && chosen.Name.Length > 0 && chosen.Name[0] is >= 'a' and <= 'z' ? chosen.Name.Substring(0, 1) : "u";
        string name = new[] { preferred }.Concat(SpareNames).First(n => !_taken.Contains(n));
        _taken.Add(name);
        _names.Add(chosen, name);
        _named.Add(chosen);
        _written.Clear();
        return true;
    }

    /// <summary>
    /// How often <see cref="WriteSum"/> would write each call and group of <paramref name="sum"/> (by key), and the
    /// last atom of each key it would write, without writing them; a name met stands for its atom and is not entered.
    /// </summary>
    private void CountSum(Sum sum, Dictionary<Atom, int> counts, Dictionary<Atom, Atom> atoms)
    {
        if (sum.Terms.Count == 0)
        {
            return;
        }

        var terms = PulledOut(sum) is { } product ? new[] { product } : sum.Terms;
        foreach (var term in terms)
        {
            // WriteTerm writes the numerator's factors, then the denominator's.
            foreach (bool numerator in NumeratorThenDenominator)
            {
                foreach (var factor in term.Factors)
                {
                    if (factor.Exponent > 0 == numerator)
                    {
                        CountAtom(factor.Atom, inline: false, counts, atoms);
                    }
                }
            }
        }
    }

    private void CountAtom(Atom atom, bool inline, Dictionary<Atom, int> counts, Dictionary<Atom, Atom> atoms)
    {
        if (atom.Kind == AtomKind.Constant && atom.Name.Length == 1 && char.IsLetter(atom.Name[0]))
        {
            // A one-letter constant (e) keeps its letter: no name given to a subexpression may take it.
            _taken.Add(atom.Name);
        }

        if ((!inline && _names.ContainsKey(atom)) || atom.Kind is not (AtomKind.Call or AtomKind.Group))
        {
            return;
        }

        foreach (var argument in atom.Arguments)
        {
            CountSum(argument, counts, atoms);
        }

        counts[atom] = counts.TryGetValue(atom, out int count) ? count + 1 : 1;
        atoms[atom] = atom;
    }

    /// <summary>The formula and the definitions of the names given so far.</summary>
    private string[] WriteAll(Sum sum)
    {
        var texts = new string[_named.Count + 1];
        texts[0] = WriteSum(sum, bare: true);
        for (int i = 0; i < _named.Count; i++)
        {
            texts[i + 1] = WriteAtom(_named[i], inline: true, bare: true);
        }

        return texts;
    }

    private Term? PulledOut(Sum sum)
    {
        if (!_pulledOut.TryGetValue(sum, out var product))
        {
            product = PullOutCommonFactors(sum);
            _pulledOut.Add(sum, product);
        }

        return product;
    }

    /// <summary>
    /// The sum; <paramref name="bare"/> where nothing binds to it (the whole formula, a function's argument), so a
    /// select alone needs no brackets: <c>max(x &lt; −3 ? −3 : x, −2)</c>, not <c>max((x &lt; −3 ? −3 : x), −2)</c>.
    /// </summary>
    private string WriteSum(Sum sum, bool bare = false)
    {
        if (sum.Terms.Count == 0)
        {
            return "0";
        }

        if (bare && sum.Terms.Count == 1 && sum.Terms[0] is { Coefficient.IsOne: true, Factors: { Count: 1 } factors } && factors[0] is { Exponent: 1, Atom.IsConditional: true })
        {
            return WriteAtom(factors[0].Atom, inline: false, bare: true);
        }

        if (PulledOut(sum) is { } product)
        {
            return WriteSigned(product, first: true);
        }

        var text = new StringBuilder();
        for (int i = 0; i < sum.Terms.Count; i++)
        {
            text.Append(WriteSigned(sum.Terms[i], first: i == 0));
        }

        return text.ToString();
    }

    /// <summary>
    /// The sum as one product when every term has a factor in common (a·b + a·c = a·(b + c)); null when they share none.
    /// </summary>
    private static Term? PullOutCommonFactors(Sum sum)
    {
        if (sum.Terms.Count < 2)
        {
            return null;
        }

        var common = new List<Factor>();
        foreach (var factor in sum.Terms[0].Factors.Where(f => f.Exponent > 0))
        {
            int exponent = factor.Exponent;
            foreach (var term in sum.Terms.Skip(1))
            {
                var match = term.Factors.FirstOrDefault(f => f.Atom.SameAs(factor.Atom));
                exponent = match.Atom is null || match.Exponent <= 0 ? 0 : System.Math.Min(exponent, match.Exponent);
            }

            if (exponent > 0)
            {
                common.Add(new Factor(factor.Atom, exponent));
            }
        }

        if (common.Count == 0)
        {
            return null;
        }

        var divisor = new Term(Rational.One, common.Select(f => new Factor(f.Atom, -f.Exponent)));
        // The rest keeps its coefficients: (2π·cos(2πx) − ⅔(x − 5)·sin(2πx)) reads better than ⅔(3π·cos(2πx) − …).
        var rest = sum.Terms.Aggregate(Sum.Zero, (total, term) => Sum.Add(total, Sum.Of(term * divisor)));
        var group = Atom.Group(rest, new Position(int.MaxValue, int.MaxValue));
        return new Term(Rational.One, common.Concat(new[] { new Factor(group, 1) }));
    }

    private string WriteSigned(Term term, bool first)
    {
        string body = WriteTerm(term);
        bool negative = term.Coefficient.Sign < 0;
        return first ? (negative ? "−" : "") + body : (negative ? " − " : " + ") + body;
    }

    /// <summary>The term without its sign: coefficient and factors, over the factors with negative powers.</summary>
    private string WriteTerm(Term term)
    {
        var coefficient = term.Coefficient.Abs();
        long p = coefficient.Numerator, q = coefficient.Denominator;
        var numerator = term.Factors.Where(f => f.Exponent > 0).ToList();
        var denominator = term.Factors.Where(f => f.Exponent < 0).Select(f => new Factor(f.Atom, -f.Exponent)).ToList();

        string leading;
        long divisor = 1;
        if (numerator.Count == 0)
        {
            leading = q == 1 ? Integer(p) : denominator.Count == 0 ? Fraction(p, q) : Integer(p);
            divisor = denominator.Count == 0 ? 1 : q;
        }
        else if (q == 1 || p == 1 || denominator.Count > 0 || !VulgarFractions.ContainsKey((p, q)))
        {
            // x/3 rather than ⅓x; 5x/7 where no single character writes the fraction.
            leading = p == 1 ? "" : Integer(p);
            divisor = q;
        }
        else
        {
            leading = VulgarFractions[(p, q)];
        }

        string top = Juxtapose(leading, numerator);
        var bottom = new List<string>();
        if (divisor != 1)
        {
            bottom.Add(Integer(divisor));
        }

        bottom.AddRange(denominator.Select(WriteFactor));
        return bottom.Count == 0 ? top : top + "/" + (bottom.Count == 1 ? bottom[0] : "(" + string.Join("·", bottom) + ")");
    }

    /// <summary>The factors joined by ·, except after a number where the next factor is a one-letter name or starts with a parenthesis (2πx, ⅔(x − 5)).</summary>
    private string Juxtapose(string leading, List<Factor> factors)
    {
        var text = new StringBuilder(leading);
        bool afterNumber = leading.Length > 0;
        foreach (var factor in factors)
        {
            string written = WriteFactor(factor);
            if (text.Length > 0)
            {
                bool compact = afterNumber && (written[0] == '(' || (factor.Atom.Kind is AtomKind.Symbol or AtomKind.Constant && factor.Atom.Name.Length == 1 && char.IsLetter(factor.Atom.Name[0])));
                text.Append(compact ? "" : "·");
            }

            text.Append(written);
            // 2πx and 0.5x, but 2·√2·x and √(2/π)·x: a named constant reads as a word, not a number.
            afterNumber = factor.Atom.Kind == AtomKind.Constant && factor.Exponent == 1 && !NamedConstants.IsName(factor.Atom.Name);
        }

        return text.Length > 0 ? text.ToString() : "1";
    }

    private string WriteFactor(Factor factor)
    {
        string text = WriteAtom(factor.Atom, inline: false);
        if (factor.Exponent == 1)
        {
            return text;
        }

        bool parenthesize = factor.Atom.Kind == AtomKind.Constant && text.Length > 1;
        return (parenthesize ? "(" + text + ")" : text) + Superscript(factor.Exponent);
    }

    /// <summary>
    /// The atom, or its name where it has one (unless <paramref name="inline"/>: the definition of the name). A select
    /// is bracketed unless <paramref name="bare"/>: as a factor, a term or an operand its brackets are needed.
    /// </summary>
    private string WriteAtom(Atom atom, bool inline, bool bare = false)
    {
        if (!inline && _names.TryGetValue(atom, out string? name))
        {
            return name;
        }

        if (!_written.TryGetValue(atom, out string? text))
        {
            text = atom.Kind switch
            {
                AtomKind.Constant or AtomKind.Symbol => atom.Name,
                AtomKind.Group => "(" + WriteSum(atom.Arguments[0]) + ")",
                _ when atom.Name.Contains("{0}") => string.Format(CultureInfo.InvariantCulture, atom.Name, atom.Arguments.Select(a => (object)WriteSum(a)).ToArray()),
                _ => atom.Name + "(" + string.Join(", ", atom.Arguments.Select(a => WriteSum(a, bare: true))) + ")",
            };
            _written.Add(atom, text);
        }

        return bare || !atom.IsConditional ? text : "(" + text + ")";
    }

    private static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Fraction(long p, long q) =>
        VulgarFractions.TryGetValue((p, q), out string? glyph) ? glyph : Integer(p) + "/" + Integer(q);

    private static string Superscript(int exponent) =>
        new(Integer(exponent).Select(c => "⁰¹²³⁴⁵⁶⁷⁸⁹"[c - '0']).ToArray());

    private static readonly Dictionary<(long, long), string> VulgarFractions = new()
    {
        [(1, 2)] = "½",
        [(1, 3)] = "⅓",
        [(2, 3)] = "⅔",
        [(1, 4)] = "¼",
        [(3, 4)] = "¾",
        [(1, 5)] = "⅕",
        [(2, 5)] = "⅖",
        [(3, 5)] = "⅗",
        [(4, 5)] = "⅘",
        [(1, 6)] = "⅙",
        [(5, 6)] = "⅚",
        [(1, 8)] = "⅛",
        [(3, 8)] = "⅜",
        [(5, 8)] = "⅝",
        [(7, 8)] = "⅞",
    };
}
