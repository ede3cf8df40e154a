using System;
using System.Globalization;

namespace Gradgen.Generator.Emitters.Formulas;

/// <summary>
/// An exact fraction for the coefficients of a printed formula (−a/3 − a/3 is −⅔a, not −0.6666667a). Arithmetic is
/// checked: a formula whose coefficients outgrow a long throws <see cref="OverflowException"/>, and the printer falls
/// back to inlining the IR as it stands.
/// </summary>
internal readonly struct Rational : IEquatable<Rational>
{
    public static readonly Rational Zero = new(0, 1);
    public static readonly Rational One = new(1, 1);

    private Rational(long numerator, long denominator) => (Numerator, Denominator) = (numerator, denominator);

    public long Numerator { get; }

    /// <summary>Always positive; the sign is the numerator's.</summary>
    public long Denominator { get; }

    public bool IsZero => Numerator == 0;

    public bool IsOne => Numerator == 1 && Denominator == 1;

    public int Sign => Math.Sign(Numerator);

    public static Rational Of(long numerator, long denominator)
    {
        if (denominator == 0)
        {
            throw new DivideByZeroException($"The fraction {numerator}/0 has no value.");
        }

        long divisor = Gcd(Math.Abs(numerator), Math.Abs(denominator));
        long sign = denominator < 0 ? -1 : 1;
        return new Rational(checked(sign * (numerator / divisor)), checked(sign * (denominator / divisor)));
    }

    /// <summary>
    /// The fraction a constant of the IR stands for: an integer, or a fraction with a small denominator that rounds to
    /// exactly this double (or float, in a float function: 0.1f is ⅒). Other constants (ln 2, 1e-7) are not fractions.
    /// </summary>
    public static bool TryFrom(double value, out Rational rational)
    {
        rational = Zero;
        if (double.IsNaN(value) || double.IsInfinity(value) || Math.Abs(value) > 1e15)
        {
            return false;
        }

        for (long denominator = 1; denominator <= 64; denominator++)
        {
            double numerator = Math.Round(value * denominator);
            double exact = numerator / denominator;
            if (exact == value || (float)exact == value)
            {
                rational = Of((long)numerator, denominator);
                return true;
            }
        }

        return false;
    }

    public static Rational operator +(Rational a, Rational b) =>
        Of(checked((a.Numerator * b.Denominator) + (b.Numerator * a.Denominator)), checked(a.Denominator * b.Denominator));

    public static Rational operator -(Rational a) => new(checked(-a.Numerator), a.Denominator);

    public static Rational operator *(Rational a, Rational b) =>
        Of(checked(a.Numerator * b.Numerator), checked(a.Denominator * b.Denominator));

    public Rational Reciprocal() => Of(Denominator, Numerator);

    public Rational Abs() => new(Math.Abs(Numerator), Denominator);

    public Rational Power(int exponent)
    {
        var result = One;
        var factor = exponent < 0 ? Reciprocal() : this;
        for (int i = 0; i < Math.Abs(exponent); i++)
        {
            result *= factor;
        }

        return result;
    }

    public double ToDouble() => (double)Numerator / Denominator;

    public bool Equals(Rational other) => Numerator == other.Numerator && Denominator == other.Denominator;

    public override bool Equals(object? obj) => obj is Rational other && Equals(other);

    public override int GetHashCode() => unchecked((Numerator.GetHashCode() * 397) ^ Denominator.GetHashCode());

    public override string ToString() =>
        Denominator == 1 ? Numerator.ToString(CultureInfo.InvariantCulture) : Numerator.ToString(CultureInfo.InvariantCulture) + "/" + Denominator.ToString(CultureInfo.InvariantCulture);

    /// <summary>The greatest common divisor of two non-negative numbers (gcd(0, 0) = 1, so 0/d normalises to 0/1).</summary>
    public static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a == 0 ? 1 : a;
    }
}
