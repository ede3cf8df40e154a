using System.Globalization;
using System.Text;

namespace Gradgen.Nn;

/// <summary>Numbers as Python's <c>repr</c> writes them, for module printing that matches PyTorch's (<c>eps=1e-05</c>, <c>momentum=0.1</c>).</summary>
internal static class PythonRepr
{
    /// <summary>
    /// A double as Python's <c>repr(float)</c>: the shortest digits that round-trip, in positional notation when the
    /// decimal exponent is in [−4, 16) (<c>0.0001</c>, <c>1.0</c>, <c>1000000000000000.0</c>), else scientific with a
    /// signed exponent of at least two digits (<c>1e-05</c>, <c>2.5e-07</c>, <c>1e+16</c>); <c>nan</c>, <c>inf</c>, <c>-inf</c>.
    /// </summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";

        // "R" gives the shortest round-trip digits, as "1.2345E-05" or "123.45"; normalise to digits and exponent.
        string r = Math.Abs(value).ToString("E16", CultureInfo.InvariantCulture);
        string shortest = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        int exponent = int.Parse(r.AsSpan(r.IndexOf('E') + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        string mantissa = shortest.Contains('E', StringComparison.Ordinal) ? shortest[..shortest.IndexOf('E')] : shortest;
        string digits = mantissa.Replace(".", "", StringComparison.Ordinal).TrimStart('0').TrimEnd('0');
        if (digits.Length == 0) digits = "0";

        var sb = new StringBuilder(value < 0 ? "-" : "");
        if (exponent is >= -4 and < 16)
        {
            if (exponent >= 0)
            {
                string whole = digits.Length > exponent + 1 ? digits[..(exponent + 1)] : digits.PadRight(exponent + 1, '0');
                string fraction = digits.Length > exponent + 1 ? digits[(exponent + 1)..] : "0";
                sb.Append(whole).Append('.').Append(fraction);
            }
            else
            {
                sb.Append("0.").Append('0', -exponent - 1).Append(digits);
            }
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exponent < 0 ? '-' : '+').Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }
}
