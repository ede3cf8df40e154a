using System.Globalization;

namespace Gradgen.Generator.Emitters;

/// <summary>Numbers as source text, culture-invariant and round-tripping.</summary>
internal static class Literals
{
    /// <summary>A constant of a kernel body generic over float and double: a double literal (or ±∞/NaN).</summary>
    public static string CSharpConstant(double value)
    {
        if (double.IsNaN(value)) return "double.NaN";
        if (double.IsPositiveInfinity(value)) return "double.PositiveInfinity";
        if (double.IsNegativeInfinity(value)) return "double.NegativeInfinity";
        return WithPoint(value.ToString("R", CultureInfo.InvariantCulture));
    }

    public static string Cuda(double value, bool isFloat)
    {
        if (double.IsNaN(value)) return isFloat ? "__int_as_float(0x7fc00000)" : "__longlong_as_double(0x7ff8000000000000LL)";
        if (double.IsPositiveInfinity(value)) return isFloat ? "__int_as_float(0x7f800000)" : "__longlong_as_double(0x7ff0000000000000LL)";
        if (double.IsNegativeInfinity(value)) return isFloat ? "__int_as_float(0xff800000)" : "__longlong_as_double(0xfff0000000000000LL)";
        string text = isFloat
            ? WithPoint(((float)value).ToString("R", CultureInfo.InvariantCulture)) + "f"
            : WithPoint(value.ToString("R", CultureInfo.InvariantCulture));
        return value < 0 ? "(" + text + ")" : text;
    }

    /// <summary>
    /// The number as it reads in a formula: no suffix, π for the common constant, and the shortest text that reads
    /// back as the same number at the function's precision (<paramref name="isFloat"/>): 0.044715 for a float, not
    /// the double 0.044714998453855515 that holds it.
    /// </summary>
    public static string Math(double value, bool isFloat)
    {
        if (System.Math.Abs(value - System.Math.PI) < 1e-6) return "π";
        if (System.Math.Abs(value - (2 * System.Math.PI)) < 1e-6) return "2π";
        return isFloat ? ((float)value).ToString("R", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
    }

    private static string WithPoint(string text) =>
        text.IndexOf('.') >= 0 || text.IndexOf('E') >= 0 || text.IndexOf('e') >= 0 ? text : text + ".0";
}
