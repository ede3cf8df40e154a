using Microsoft.CodeAnalysis.Text;

namespace Gradgen.Generator.Tests.Infrastructure;

/// <summary>
/// Source with the expected diagnostic span marked as <c>[|…|]</c>, as in Roslyn's analyzer tests: <see cref="Parse"/>
/// returns the plain source and the span.
/// </summary>
internal static class Markup
{
    public static (string Source, TextSpan Span) Parse(string markup)
    {
        int start = markup.IndexOf("[|", StringComparison.Ordinal);
        int end = markup.IndexOf("|]", StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            throw new ArgumentException("The markup needs one [|span|].");
        }

        string source = markup.Remove(end, 2).Remove(start, 2);
        return (source, TextSpan.FromBounds(start, end - 2));
    }
}
