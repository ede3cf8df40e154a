using Gradgen.Generator.Ir;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Gradgen.Generator.Diagnostics;

/// <summary>A location as plain values, so it can sit in a cached step output (a <see cref="Location"/> holds the syntax tree).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo From(Location location) =>
        new(location.SourceTree?.FilePath ?? string.Empty, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo From(SyntaxNode node) => From(node.GetLocation());

    public static LocationInfo From(SyntaxToken token) => From(token.GetLocation());

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}

/// <summary>A diagnostic as plain values; turned into a <see cref="Diagnostic"/> only when reported.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo Location, EquatableArray<string> Arguments)
{
    /// <summary>The key of <see cref="Replacement"/> in the reported diagnostic's properties.</summary>
    public const string ReplacementProperty = "Replacement";

    /// <summary>Code a code fix replaces with <see cref="Replacement"/>: the reported diagnostic's first additional location.</summary>
    public LocationInfo? ReplaceAt { get; init; }

    /// <summary>The text a code fix puts at <see cref="ReplaceAt"/>.</summary>
    public string? Replacement { get; init; }

    /// <summary>The key, in the reported diagnostic's properties, of the index of <see cref="Cause"/> among its additional locations.</summary>
    public const string CauseProperty = "CauseLocation";

    /// <summary>Where the reason lies when it is elsewhere than the diagnostic's location (GG0016: a nested model's construct, a helper's declaration).</summary>
    public LocationInfo? Cause { get; init; }

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());

    /// <summary>
    /// The diagnostic at <paramref name="location"/> (the analyzer's locations are in the compilation's trees). Its
    /// additional locations are <paramref name="replaceAt"/> and then <paramref name="cause"/>, each where present.
    /// </summary>
    public Diagnostic ToDiagnostic(Location location, Location? replaceAt, Location? cause)
    {
        var additional = new System.Collections.Generic.List<Location>(2);
        var properties = System.Collections.Immutable.ImmutableDictionary<string, string?>.Empty;
        if (replaceAt is not null)
        {
            additional.Add(replaceAt);
        }

        if (Replacement is not null)
        {
            properties = properties.Add(ReplacementProperty, Replacement);
        }

        if (cause is not null)
        {
            properties = properties.Add(CauseProperty, additional.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            additional.Add(cause);
        }

        return Diagnostic.Create(
            Descriptors.ById(Id),
            location,
            additional,
            properties,
            System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Cast<object>(Arguments)));
    }
}
