using System;
using Gradgen.Generator.Diagnostics;

namespace Gradgen.Generator.Parsing;

/// <summary>Thrown where Forward uses something the graph compiler cannot compile (reported as GG0016 at the span).</summary>
internal sealed class NotCompiledException : Exception
{
    public NotCompiledException(LocationInfo location, string reason)
        : base(reason) => (Location, Reason) = (location, reason);

    public LocationInfo Location { get; }

    public string Reason { get; }

    /// <summary>
    /// Where the reason lies when it is not the construct itself: the construct inside a nested model's own
    /// <c>Forward</c>, or the declaration of a helper that <c>Forward</c> calls. The diagnostic carries it as an
    /// additional location, and the "Show why" code action navigates there.
    /// </summary>
    public LocationInfo? Cause { get; init; }
}

/// <summary>
/// A shape error at a span: GG0017 with the message, or GG0015 (<see cref="LayerSizes"/>) where a layer is fed by
/// another layer whose output width differs from its input width.
/// </summary>
internal sealed class ShapeErrorException : Exception
{
    public ShapeErrorException(LocationInfo location, string message)
        : base(message) => Location = location;

    public LocationInfo Location { get; }

    /// <summary>The input rank the failing operation needs (a convolution's 4), when the input's rank was the problem; else 0.</summary>
    public int NeedsRank { get; init; }

    /// <summary>For GG0015: the layer, its input size, the layer that feeds it and that one's output size.</summary>
    public string[]? LayerSizes { get; init; }

    /// <summary>For GG0015: the second layer's input-size argument, which the code fix sets to <see cref="LayerSizes"/>[3].</summary>
    public LocationInfo? InFeaturesArgument { get; init; }

    public DiagnosticInfo ToDiagnostic(string model) => LayerSizes is { } sizes
        ? DiagnosticInfo.Create(Descriptors.LayerSizeMismatch, Location, sizes) with { ReplaceAt = InFeaturesArgument, Replacement = InFeaturesArgument is null ? null : sizes[3] }
        : DiagnosticInfo.Create(Descriptors.ShapeMismatch, Location, model, Message);
}
