using System;

namespace Gradgen.Generator.Emitters.Formulas;

/// <summary>
/// The constants a derivative formula writes by name rather than as digits: ln 2 and ln 10 (the derivatives of log₂
/// and log₁₀), √2 and 1/√2 (GELU's erf form), √(2/π) (GELU's tanh form), √(2π) and 1/√(2π) (the normal density), 2/√π (the
/// derivative of erf) and e. A name is used only where the value is the constant at the function's precision, so no
/// other number is ever printed as one of them.
/// </summary>
internal static class NamedConstants
{
    /// <summary>Each constant as the atom it prints as, raised to a power (1/√2 is √2 to the −1), times a whole coefficient (2/√π is 2·√π⁻¹).</summary>
    private static readonly (double Value, string Name, int Exponent, int Coefficient)[] Table =
    {
        (Math.Log(2), "ln 2", 1, 1),
        (Math.Log(10), "ln 10", 1, 1),
        (Math.Sqrt(2), "√2", 1, 1),
        (1 / Math.Sqrt(2), "√2", -1, 1),
        (Math.Sqrt(2 / Math.PI), "√(2/π)", 1, 1),
        (Math.Sqrt(2 * Math.PI), "√(2π)", 1, 1),
        (1 / Math.Sqrt(2 * Math.PI), "√(2π)", -1, 1),
        (2 / Math.Sqrt(Math.PI), "√π", -1, 2),
        (Math.E, "e", 1, 1),
    };

    /// <summary>
    /// Whether <paramref name="magnitude"/> (positive) is one of the constants at the function's precision: the same
    /// float for a float function; for a double one the same double or its neighbour, since computing a constant in
    /// another order (<c>Math.Sqrt(0.5)</c> or <c>1 / Math.Sqrt(2)</c>) may round its last bit the other way.
    /// </summary>
    public static bool TryMatch(double magnitude, bool isFloat, out string name, out int exponent, out int coefficient)
    {
        foreach (var constant in Table)
        {
            if (isFloat ? (float)magnitude == (float)constant.Value : Math.Abs(BitConverter.DoubleToInt64Bits(magnitude) - BitConverter.DoubleToInt64Bits(constant.Value)) <= 1)
            {
                (name, exponent, coefficient) = (constant.Name, constant.Exponent, constant.Coefficient);
                return true;
            }
        }

        (name, exponent, coefficient) = (string.Empty, 0, 0);
        return false;
    }

    /// <summary>Whether <paramref name="text"/> is the name of one of the constants (a name, unlike a number or π, is never written next to a factor without a dot).</summary>
    public static bool IsName(string text) => Array.Exists(Table, c => c.Name == text);
}
