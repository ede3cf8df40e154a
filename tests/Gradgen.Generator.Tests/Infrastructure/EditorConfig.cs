using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Gradgen.Generator.Tests.Infrastructure;

/// <summary>
/// Applies an <c>.editorconfig</c> to an in-memory compilation as the compiler does: parsed with
/// <see cref="AnalyzerConfig"/>, resolved per file by <see cref="AnalyzerConfigSet"/>, and handed to the compilation as
/// its syntax-tree options, where the compiler looks up <c>dotnet_diagnostic.ID.severity</c>.
/// </summary>
internal static class EditorConfig
{
    public static Compilation Apply(Compilation compilation, string editorConfig)
    {
        var set = AnalyzerConfigSet.Create(ImmutableArray.Create(AnalyzerConfig.Parse(editorConfig, "/.editorconfig")));
        var options = compilation.SyntaxTrees.ToDictionary(t => t, t => set.GetOptionsForSourcePath("/" + t.FilePath).TreeOptions);
        return compilation.WithOptions(((CSharpCompilationOptions)compilation.Options).WithSyntaxTreeOptionsProvider(new Provider(options)));
    }

    private sealed class Provider(Dictionary<SyntaxTree, ImmutableDictionary<string, ReportDiagnostic>> options) : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.Unknown;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = default;
            return options.TryGetValue(tree, out var treeOptions) && treeOptions.TryGetValue(diagnosticId, out severity);
        }

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = default;
            return false;
        }
    }
}
