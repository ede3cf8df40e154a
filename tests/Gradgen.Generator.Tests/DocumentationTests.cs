using System.Runtime.CompilerServices;
using Gradgen.Generator.Diagnostics;

namespace Gradgen.Generator.Tests;

/// <summary>Every GG diagnostic has its documentation page, which its help link points to.</summary>
public sealed class DocumentationTests
{
    [Fact]
    public void EveryDiagnosticHasAPageAndIsListedInTheIndex()
    {
        string folder = Path.Combine(RepositoryRoot(), "docs", "diagnostics");
        string index = File.ReadAllText(Path.Combine(folder, "README.md"));
        foreach (var descriptor in Descriptors.All)
        {
            string page = Path.Combine(folder, descriptor.Id + ".md");
            Assert.True(File.Exists(page), $"{page} is missing");
            Assert.StartsWith($"# {descriptor.Id}: {descriptor.Title}", File.ReadAllText(page), StringComparison.Ordinal);
            Assert.Contains($"[{descriptor.Id}]({descriptor.Id}.md)", index, StringComparison.Ordinal);
            Assert.EndsWith($"docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void DiagnosticIdsAreUniqueAndInOrder()
    {
        var ids = Descriptors.All.Select(d => d.Id).ToList();
        Assert.Equal(ids.OrderBy(i => i, StringComparer.Ordinal), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    private static string RepositoryRoot([CallerFilePath] string thisFile = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));
}
