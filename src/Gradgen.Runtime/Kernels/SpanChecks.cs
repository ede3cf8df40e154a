using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Gradgen.Kernels;

/// <summary>Argument checks that generated kernels call before they touch any memory.</summary>
public static class SpanChecks
{
    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming both spans and their lengths unless
    /// <paramref name="actual"/> equals <paramref name="expected"/>.
    /// </summary>
    /// <param name="expected">The length of the first span, which the others must have.</param>
    /// <param name="expectedName">The parameter name of the first span.</param>
    /// <param name="actual">The length of the span being checked.</param>
    /// <param name="actualName">Its parameter name; becomes <see cref="ArgumentException.ParamName"/>.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SameLength(int expected, string expectedName, int actual, string actualName)
    {
        if (expected != actual)
        {
            ThrowLengthsDiffer(expected, expectedName, actual, actualName);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLengthsDiffer(int expected, string expectedName, int actual, string actualName)
    {
        string message = string.Create(
            CultureInfo.InvariantCulture,
            $"Span lengths differ: '{expectedName}' has {expected} {Elements(expected)} but '{actualName}' has {actual}; every span passed to a generated kernel must have the same length.");
        throw new ArgumentException(message, actualName);
    }

    private static string Elements(int count) => count == 1 ? "element" : "elements";
}
