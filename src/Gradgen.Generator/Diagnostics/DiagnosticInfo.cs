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

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());

    /// <summary>The diagnostic at <paramref name="location"/> (the analyzer's locations are in the compilation's trees).</summary>
    public Diagnostic ToDiagnostic(Location location, Location? replaceAt) =>
        Diagnostic.Create(
            Descriptors.ById(Id),
            location,
            replaceAt is null ? null : new[] { replaceAt },
            Replacement is null ? null : System.Collections.Immutable.ImmutableDictionary<string, string?>.Empty.Add(ReplacementProperty, Replacement),
            System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Cast<object>(Arguments)));
}
