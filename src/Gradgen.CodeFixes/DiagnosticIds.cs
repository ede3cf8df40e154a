namespace Gradgen.CodeFixes;

/// <summary>
/// The IDs of the GG diagnostics that have a fix. The analyzer (Gradgen.Generator's GradgenAnalyzer) owns the
/// descriptors; a test checks that each ID here is one it supports.
/// </summary>
internal static class DiagnosticIds
{
    public const string MethodMustBeStatic = "GG0001";
    public const string TypeMustBePartial = "GG0002";
    public const string MixedPrecision = "GG0004";
    public const string RefParameter = "GG0005";
    public const string UnknownCall = "GG0006";
    public const string IntegerZeroGradient = "GG0009";
    public const string LayerSizeMismatch = "GG0015";
    public const string ModelNotCompiled = "GG0016";

    /// <summary>The key of the text GG0015's fix puts at the diagnostic's first additional location (the analyzer's DiagnosticInfo.ReplacementProperty).</summary>
    public const string ReplacementProperty = "Replacement";

    /// <summary>The key of the index of GG0016's cause among its additional locations (the analyzer's DiagnosticInfo.CauseProperty).</summary>
    public const string CauseProperty = "CauseLocation";
}
