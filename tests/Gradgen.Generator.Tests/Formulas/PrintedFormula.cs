using System.Globalization;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Tests.Formulas;

/// <summary>
/// Reads back a formula as FormulaPrinter writes it and evaluates it: sums, products written with · or by juxtaposition
/// (2πx), quotients, superscript powers, ⅔-style fractions, π and the named constants (ln 2, √2, e, …), calls of the functions of the rule table (by their
/// math names), conditionals with comparisons, and the names defined after ", where ". A test of the printer can so
/// check the printed text itself, not only the normal form behind it.
/// </summary>
internal sealed class PrintedFormula
{
    private const string Superscripts = "⁰¹²³⁴⁵⁶⁷⁸⁹";

    private static readonly Dictionary<char, double> Fractions = new()
    {
        ['½'] = 1.0 / 2,
        ['⅓'] = 1.0 / 3,
        ['⅔'] = 2.0 / 3,
        ['¼'] = 1.0 / 4,
        ['¾'] = 3.0 / 4,
        ['⅕'] = 1.0 / 5,
        ['⅖'] = 2.0 / 5,
        ['⅗'] = 3.0 / 5,
        ['⅘'] = 4.0 / 5,
        ['⅙'] = 1.0 / 6,
        ['⅚'] = 5.0 / 6,
        ['⅛'] = 1.0 / 8,
        ['⅜'] = 3.0 / 8,
        ['⅝'] = 5.0 / 8,
        ['⅞'] = 7.0 / 8,
    };

    /// <summary>The constants the printer writes by name (e is read as a name, after the variables and definitions), with their values written here independently of the printer's table.</summary>
    private static readonly (string Name, double Value)[] NamedConstants =
    {
        ("ln 10", Math.Log(10)),
        ("ln 2", Math.Log(2)),
        ("√2", Math.Sqrt(2)),
        ("√π", Math.Sqrt(Math.PI)),
    };

    private readonly string _text;
    private readonly IReadOnlyDictionary<string, double> _variables;
    private readonly Dictionary<string, string> _definitions = new();
    private int _at;

    private PrintedFormula(string text, IReadOnlyDictionary<string, double> variables, Dictionary<string, string> definitions) =>
        (_text, _variables, _definitions) = (text, variables, definitions);

    /// <summary>The value of <paramref name="formula"/> with the given values of its parameters.</summary>
    public static double Evaluate(string formula, IReadOnlyDictionary<string, double> variables)
    {
        var definitions = new Dictionary<string, string>();
        string[] parts = formula.Split(new[] { ", where " }, StringSplitOptions.None);
        if (parts.Length > 1)
        {
            foreach (string definition in parts[1].Split(new[] { "; " }, StringSplitOptions.None))
            {
                int equals = definition.IndexOf(" = ", StringComparison.Ordinal);
                definitions.Add(definition.Substring(0, equals), definition.Substring(equals + 3));
            }
        }

        return new PrintedFormula(parts[0], variables, definitions).ReadAll();
    }

    private double ReadAll()
    {
        // The whole formula may be a select, unbracketed: y > x ? y : −x.
        double value = Conditional();
        SkipSpaces();
        if (_at != _text.Length)
        {
            throw new FormatException($"Unexpected '{_text.Substring(_at)}' at {_at} in {_text}");
        }

        return value;
    }

    private double Expression()
    {
        SkipSpaces();
        bool negative = Accept('−');
        double value = Term();
        if (negative)
        {
            value = -value;
        }

        while (true)
        {
            SkipSpaces();
            if (Accept('+'))
            {
                value += Term();
            }
            else if (Accept('−'))
            {
                value -= Term();
            }
            else
            {
                return value;
            }
        }
    }

    private double Term()
    {
        SkipSpaces();
        double value = Power();
        while (_at < _text.Length)
        {
            if (Accept('·'))
            {
                value *= Power();
            }
            else if (Accept('/'))
            {
                value /= Power();
            }
            else if (StartsPrimary(_text[_at]))
            {
                value *= Power();
            }
            else
            {
                break;
            }
        }

        return value;
    }

    private double Power()
    {
        double value = Primary();
        int start = _at;
        while (_at < _text.Length && Superscripts.IndexOf(_text[_at]) >= 0)
        {
            _at++;
        }

        if (_at > start)
        {
            string digits = new(_text.Substring(start, _at - start).Select(c => (char)('0' + Superscripts.IndexOf(c))).ToArray());
            value = Math.Pow(value, int.Parse(digits, CultureInfo.InvariantCulture));
        }

        return value;
    }

    private double Primary()
    {
        char c = _text[_at];
        if (char.IsDigit(c))
        {
            int start = _at;
            while (_at < _text.Length && (char.IsDigit(_text[_at]) || _text[_at] is '.' or 'E' || (_text[_at] == '-' && _text[_at - 1] == 'E')))
            {
                _at++;
            }

            return double.Parse(_text.Substring(start, _at - start), CultureInfo.InvariantCulture);
        }

        if (Fractions.TryGetValue(c, out double fraction))
        {
            _at++;
            return fraction;
        }

        if (Accept('π'))
        {
            return Math.PI;
        }

        foreach (var (constantName, constant) in NamedConstants)
        {
            if (string.CompareOrdinal(_text, _at, constantName, 0, constantName.Length) == 0)
            {
                _at += constantName.Length;
                return constant;
            }
        }

        if (Accept('('))
        {
            double value = Conditional();
            Expect(')');
            return value;
        }

        int nameStart = _at;
        while (_at < _text.Length && IsNameCharacter(_text[_at]))
        {
            _at++;
        }

        if (_at == nameStart)
        {
            throw new FormatException($"Unexpected '{c}' at {_at} in {_text}");
        }

        string name = _text.Substring(nameStart, _at - nameStart);
        if (!Accept('('))
        {
            return _variables.TryGetValue(name, out double variable) ? variable
                : _definitions.TryGetValue(name, out string? definition) ? new PrintedFormula(definition, _variables, _definitions).ReadAll()
                : name == "e" ? Math.E
                : throw new FormatException($"Unknown name {name} in {_text}");
        }

        var arguments = new List<double> { Conditional() };
        while (Accept(','))
        {
            arguments.Add(Conditional());
        }

        Expect(')');
        var rule = PrimitiveRules.All.FirstOrDefault(r => r.MathName == name && r.Fold is not null)
            ?? throw new FormatException($"Unknown function {name} in {_text}");
        return rule.Fold!(arguments.ToArray());
    }

    /// <summary>An expression, a comparison, or <c>comparison ? a : b</c>.</summary>
    private double Conditional()
    {
        double left = Expression();
        SkipSpaces();
        foreach (var comparison in PrimitiveRules.All.Where(r => r.IsMask && r.Arity == 2 && r.MathName.Length == 1 && !"∧∨".Contains(r.MathName)))
        {
            if (Accept(comparison.MathName[0]))
            {
                double condition = comparison.Fold!(new[] { left, Expression() });
                SkipSpaces();
                if (!Accept('?'))
                {
                    return condition;
                }

                double ifTrue = Conditional();
                SkipSpaces();
                Expect(':');
                double ifFalse = Conditional();
                return condition != 0 ? ifTrue : ifFalse;
            }
        }

        // A bracketed condition, ((a > b) ? c : d), as the printer wrote it before: the bracket read as a primary gives 1 or 0.
        if (Accept('?'))
        {
            double ifTrue = Conditional();
            SkipSpaces();
            Expect(':');
            double ifFalse = Conditional();
            return left != 0 ? ifTrue : ifFalse;
        }

        return left;
    }

    private static bool StartsPrimary(char c) => char.IsLetterOrDigit(c) || c is '(' or 'π' or '√' || Fractions.ContainsKey(c);

    private static bool IsNameCharacter(char c) => (char.IsLetterOrDigit(c) || c is '_' or '√' or '₂' or '₁' or '₀') && c != 'π';

    private void SkipSpaces()
    {
        while (_at < _text.Length && _text[_at] == ' ')
        {
            _at++;
        }
    }

    private bool Accept(char c)
    {
        SkipSpaces();
        if (_at < _text.Length && _text[_at] == c)
        {
            _at++;
            return true;
        }

        return false;
    }

    private void Expect(char c)
    {
        if (!Accept(c))
        {
            throw new FormatException($"Expected '{c}' at {_at} in {_text}");
        }
    }
}
