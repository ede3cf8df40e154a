using System.IO.Compression;
using System.Xml.Linq;

namespace Gradgen.Package.Tests;

/// <summary>
/// Packs src/Gradgen.Runtime once per test class into a fresh temporary folder:
/// <c>dotnet pack -c Release -o &lt;tmp&gt;/feed --artifacts-path &lt;tmp&gt;/artifacts</c>. The artifacts path keeps
/// the pack's build (of the runtime and of the generator) out of the repository's bin/ and obj/, so it neither races
/// the test run's own build nor reuses its outputs, and it proves that the package does not depend on the generator
/// sitting at bin/$(Configuration).
/// </summary>
public sealed class PackedGradgen : IDisposable
{
    static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);

    public PackedGradgen()
    {
        RepositoryRoot = FindRepositoryRoot();
        Root = Path.Combine(Path.GetTempPath(), "gradgen-package-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Feed = Path.Combine(Root, "feed");
        Directory.CreateDirectory(Feed);

        string project = Path.Combine(RepositoryRoot, "src", "Gradgen.Runtime", "Gradgen.Runtime.csproj");
        Pack = DotNet.Run(
            RepositoryRoot,
            ["pack", project, "-c", "Release", "-o", Feed, "--artifacts-path", Path.Combine(Root, "artifacts"),
             "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            PackTimeout);

        Packages = Directory.GetFiles(Feed, "*.nupkg").OrderBy(p => p, StringComparer.Ordinal).ToArray();
        if (Pack.Succeeded && Packages.Length == 1)
        {
            using ZipArchive zip = ZipFile.OpenRead(Packages[0]);
            Entries = zip.Entries.Select(e => e.FullName).OrderBy(e => e, StringComparer.Ordinal).ToArray();
            ZipArchiveEntry nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
            using Stream stream = nuspecEntry.Open();
            Nuspec = XDocument.Load(stream);
            XNamespace ns = Nuspec.Root!.Name.Namespace;
            XElement metadata = Nuspec.Root.Element(ns + "metadata")!;
            Id = metadata.Element(ns + "id")!.Value;
            Version = metadata.Element(ns + "version")!.Value;
        }
    }

    /// <summary>The folder holding Gradgen.sln.</summary>
    public string RepositoryRoot { get; }

    /// <summary>This fixture's temporary folder; deleted on dispose.</summary>
    public string Root { get; }

    /// <summary>The local feed the package was packed into.</summary>
    public string Feed { get; }

    /// <summary>The pack command and its output.</summary>
    public DotNetResult Pack { get; }

    /// <summary>Every .nupkg the pack produced.</summary>
    public string[] Packages { get; }

    /// <summary>The entry names of the one package, or empty.</summary>
    public string[] Entries { get; } = [];

    /// <summary>The package's .nuspec, or null.</summary>
    public XDocument? Nuspec { get; }

    /// <summary>The package id from the nuspec, or null.</summary>
    public string? Id { get; }

    /// <summary>The package version from the nuspec, or null.</summary>
    public string? Version { get; }

    /// <summary>Fails the calling test unless the pack produced exactly one package, with the pack's output.</summary>
    public void AssertPacked()
    {
        Assert.True(Pack.Succeeded, Pack.Describe("dotnet pack of src/Gradgen.Runtime failed"));
        Assert.True(
            Packages.Length == 1,
            $"dotnet pack should produce exactly one package (Gradgen), but {Feed} holds {Packages.Length}: " +
            $"[{string.Join(", ", Packages.Select(Path.GetFileName))}]\n{Pack.Describe("pack")}");
    }

    static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gradgen.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Gradgen.sln in {AppContext.BaseDirectory} or any folder above it");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary folder must not fail the run.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
