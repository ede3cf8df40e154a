using System.Reflection;
using Gradgen.Generator.Analysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Gradgen.CodeFixes.Tests;

/// <summary>Every fix names a diagnostic the analyzer reports, and every fix that edits code supports Fix All.</summary>
public sealed class FixableIdsTests
{
    private static readonly CodeFixProvider[] Fixes = typeof(MakeStaticCodeFix).Assembly.GetTypes()
        .Where(t => t.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null)
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
        .ToArray();

    [Fact]
    public void EachFixedIdIsOneTheAnalyzerReports()
    {
        var supported = new GradgenAnalyzer().SupportedDiagnostics.Select(d => d.Id).ToHashSet();
        var fixedIds = Fixes.SelectMany(f => f.FixableDiagnosticIds).ToList();
        Assert.Equal(["GG0001", "GG0002", "GG0004", "GG0005", "GG0006", "GG0006", "GG0009", "GG0015", "GG0016", "GG0016"], fixedIds.Order());
        Assert.All(fixedIds, id => Assert.Contains(id, supported));

        // GG0016's "Show why" only navigates: there is nothing to apply in bulk.
        Assert.All(Fixes.Where(f => f is not ShowWhyCodeAction), f => Assert.NotNull(f.GetFixAllProvider()));
        Assert.Null(new ShowWhyCodeAction().GetFixAllProvider());
    }
}
