using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Gradgen.Package.Tests;

/// <summary>
/// The Gradgen package as a user gets it: one package holding the runtime and the source generator, and a consumer
/// project that references only that package, builds with the generator running inside its compiler, and runs.
/// </summary>
public sealed class GradgenPackageTests(PackedGradgen package) : IClassFixture<PackedGradgen>
{
    const string RuntimePath = "lib/net10.0/Gradgen.Runtime.dll";
    const string GeneratorPath = "analyzers/dotnet/cs/Gradgen.Generator.dll";
    const string CodeFixesPath = "analyzers/dotnet/cs/Gradgen.CodeFixes.dll";

    static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(4);
    static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public void Package_is_one_Gradgen_package_with_the_runtime_and_the_generator_at_their_paths()
    {
        package.AssertPacked();
        string listing = $"entries of {Path.GetFileName(package.Packages[0])}:\n  {string.Join("\n  ", package.Entries)}";

        Assert.True(package.Id == "Gradgen", $"package id is '{package.Id}', expected 'Gradgen'");
        Assert.True(package.Entries.Contains(RuntimePath), $"{RuntimePath} is missing; {listing}");
        Assert.True(package.Entries.Contains(GeneratorPath), $"{GeneratorPath} is missing; {listing}");

        // The generator is an analyzer only: never a compile reference of the consumer, never a dependency.
        string[] strayGenerator = package.Entries
            .Where(e => e.EndsWith("/Gradgen.Generator.dll", StringComparison.Ordinal) && e != GeneratorPath)
            .ToArray();
        Assert.True(strayGenerator.Length == 0, $"Gradgen.Generator.dll must sit only at {GeneratorPath}; {listing}");
        string nuspec = package.Nuspec!.ToString();
        Assert.False(
            nuspec.Contains("Gradgen.Generator", StringComparison.Ordinal),
            $"the nuspec must not name Gradgen.Generator (a package dependency on it cannot be restored):\n{nuspec}");

        // What sits at each path is the right assembly, and the analyzer is built against Roslyn.
        using ZipArchive zip = ZipFile.OpenRead(package.Packages[0]);
        (string runtimeName, _) = ReadAssembly(zip, RuntimePath);
        Assert.Equal("Gradgen.Runtime", runtimeName);
        (string generatorName, string[] generatorReferences) = ReadAssembly(zip, GeneratorPath);
        Assert.Equal("Gradgen.Generator", generatorName);
        Assert.True(
            generatorReferences.Contains("Microsoft.CodeAnalysis"),
            $"{GeneratorPath} should reference Microsoft.CodeAnalysis; it references [{string.Join(", ", generatorReferences)}]");
        Assert.False(
            generatorReferences.Contains("Gradgen.Runtime"),
            $"{GeneratorPath} must not reference Gradgen.Runtime (DESIGN.md 2): it runs inside the compiler");
    }

    [Fact]
    public void Package_has_the_code_fixes_beside_the_generator_and_they_load()
    {
        package.AssertPacked();
        string listing = $"entries of {Path.GetFileName(package.Packages[0])}:\n  {string.Join("\n  ", package.Entries)}";
        Assert.True(package.Entries.Contains(CodeFixesPath), $"{CodeFixesPath} is missing; {listing}");
        Assert.True(
            package.Entries.Count(e => e.EndsWith("/Gradgen.CodeFixes.dll", StringComparison.Ordinal)) == 1,
            $"Gradgen.CodeFixes.dll must sit only at {CodeFixesPath}; {listing}");
        Assert.False(
            package.Nuspec!.ToString().Contains("Gradgen.CodeFixes", StringComparison.Ordinal),
            "the nuspec must not name Gradgen.CodeFixes: it is part of the package, not a dependency");

        using ZipArchive zip = ZipFile.OpenRead(package.Packages[0]);
        (string name, string[] references) = ReadAssembly(zip, CodeFixesPath);
        Assert.Equal("Gradgen.CodeFixes", name);
        Assert.Contains("Microsoft.CodeAnalysis.Workspaces", references);
        Assert.DoesNotContain("Gradgen.Runtime", references);

        // Load both assemblies as the IDE does (Roslyn from the host), create every fix and the analyzer, and check that
        // each fix is for a diagnostic the analyzer reports.
        var context = new AssemblyLoadContext("gradgen-package", isCollectible: true);
        try
        {
            Assembly codeFixes = Load(context, zip, CodeFixesPath);
            Assembly generator = Load(context, zip, GeneratorPath);
            CodeFixProvider[] fixes = Create<CodeFixProvider, ExportCodeFixProviderAttribute>(codeFixes);
            DiagnosticAnalyzer[] analyzers = Create<DiagnosticAnalyzer, DiagnosticAnalyzerAttribute>(generator);
            Assert.NotEmpty(fixes);
            var supported = Assert.Single(analyzers).SupportedDiagnostics.Select(d => d.Id).ToHashSet();
            foreach (CodeFixProvider fix in fixes)
            {
                // GG0016's "Show why" only navigates: there is nothing to apply in bulk (FixableIdsTests).
                bool navigationOnly = fix.GetType().Name == "ShowWhyCodeAction";
                Assert.Equal(navigationOnly, fix.GetFixAllProvider() is null);
                Assert.All(fix.FixableDiagnosticIds, id => Assert.Contains(id, supported));
            }
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void Consumer_of_the_package_gets_the_generated_BumpWithGradient_and_its_derivative_is_right()
    {
        package.AssertPacked();
        string consumer = Path.Combine(package.Root, "consumer");
        string packages = Path.Combine(package.Root, "packages");
        WriteConsumer(consumer, package.Feed, package.Version!);

        // A fresh global packages folder: a Gradgen cached by an earlier pack of the same version can never stand in
        // for the one just packed.
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = packages };

        DotNetResult build = DotNet.Run(
            consumer,
            ["build", "Consumer.csproj", "-c", "Release", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            BuildTimeout,
            environment);
        Assert.True(
            build.Succeeded,
            build.Describe(
                "the consumer of the Gradgen package did not build (CS0117 on BumpWithGradient means the generator " +
                "in the package emitted no BumpWithGradient: expected until the generator lands)"));

        string restored = Path.Combine(packages, "gradgen", package.Version!.ToLowerInvariant(), "analyzers", "dotnet", "cs", "Gradgen.Generator.dll");
        Assert.True(File.Exists(restored), $"the consumer did not restore Gradgen {package.Version} from the local feed into {packages}");

        DotNetResult run = DotNet.Run(
            consumer, [Path.Combine(consumer, "bin", "Release", "net10.0", "Consumer.dll")], RunTimeout, environment);
        Assert.True(run.Succeeded, run.Describe("the consumer did not run"));

        // The GG0009 warnings suppressed by #pragma and by .editorconfig did not fail the build (warnings are errors
        // there), and the methods were generated.
        Assert.Equal(5f, ReadLabelled(run, "Stair(2.5) = "));
        Assert.Equal(2f, ReadLabelled(run, "dStair/dx(2.5) = "));
        Assert.Equal(5f, ReadLabelled(run, "Floors.Stair(2.5) = "));

        float value = ReadLabelled(run, "Bump(1.5) = ");
        float derivative = ReadLabelled(run, "dBump/dx(1.5) = ");

        // By hand: Bump(x) = sin(2πx)·e with e = exp(−(x−5)²/3), Bump'(x) = 2π·cos(2πx)·e − (2/3)(x−5)·sin(2πx)·e.
        const double x = 1.5;
        double s = Math.Sin(2 * Math.PI * x), c = Math.Cos(2 * Math.PI * x), e = Math.Exp(-(x - 5) * (x - 5) / 3);
        double expectedValue = s * e;
        double expectedDerivative = 2 * Math.PI * c * e - 2.0 / 3.0 * (x - 5) * s * e;
        Assert.True(
            Math.Abs(value - expectedValue) <= 1e-4,
            $"Bump(1.5) printed {value:R}, expected {expectedValue:R} within 1e-4\n{run.Output}");
        Assert.True(
            Math.Abs(derivative - expectedDerivative) <= 1e-4,
            $"dBump/dx(1.5) printed {derivative:R}, expected {expectedDerivative:R} within 1e-4\n{run.Output}");
    }

    static void WriteConsumer(string folder, string feed, string version)
    {
        Directory.CreateDirectory(folder);

        // Empty Directory.* files stop MSBuild from importing any that sit above the temporary folder.
        File.WriteAllText(Path.Combine(folder, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(folder, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(folder, "Directory.Packages.props"), "<Project />\n");

        // Gradgen from the local feed only (source mapping: a 'Gradgen' on a public feed must never be the one
        // restored); its dependency System.Numerics.Tensors from nuget.org (or the packages folder, where the build of
        // the runtime has already put it).
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="gradgen-local" value="{System.Security.SecurityElement.Escape(feed)}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="gradgen-local">
                  <package pattern="Gradgen" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
              <fallbackPackageFolders>
                <clear />
              </fallbackPackageFolders>
            </configuration>
            """);

        File.WriteAllText(Path.Combine(folder, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Gradgen" Version="[{version}]" />
              </ItemGroup>
            </Project>
            """);

        File.WriteAllText(Path.Combine(folder, "Program.cs"), """
            using System.Globalization;
            using Gradgen;

            float value = Curves.BumpWithGradient(1.5f, out float derivative);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Bump(1.5) = {value:R}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dBump/dx(1.5) = {derivative:R}"));
            float stair = Curves.StairWithGradient(2.5f, out float dstair);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Stair(2.5) = {stair:R}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dStair/dx(2.5) = {dstair:R}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Floors.Stair(2.5) = {Floors.StairWithGradient(2.5f, out _):R}"));

            public static partial class Curves
            {
                [Differentiable]
                public static float Bump(float x) => MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / 3);

            #pragma warning disable GG0009 // the step is meant
                [Differentiable]
                public static float Stair(float x) => x * (int)x;
            #pragma warning restore GG0009
            }
            """);

        // The same warning, turned off for one file by .editorconfig.
        File.WriteAllText(Path.Combine(folder, "Floors.cs"), """
            using Gradgen;

            public static partial class Floors
            {
                [Differentiable]
                public static float Stair(float x) => x * (int)x;
            }
            """);
        File.WriteAllText(Path.Combine(folder, ".editorconfig"), """
            root = true

            [Floors.cs]
            dotnet_diagnostic.GG0009.severity = none
            """);
    }

    static float ReadLabelled(DotNetResult run, string label)
    {
        string? line = run.Output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(label, StringComparison.Ordinal));
        Assert.True(line is not null, $"the consumer printed no line starting with '{label}'\n{run.Output}");
        string text = line![label.Length..].Trim();
        Assert.True(
            float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float number),
            $"'{text}' after '{label}' is not a float\n{run.Output}");
        return number;
    }

    static Assembly Load(AssemblyLoadContext context, ZipArchive zip, string path)
    {
        using var bytes = new MemoryStream();
        using (Stream stream = zip.GetEntry(path)!.Open())
        {
            stream.CopyTo(bytes);
        }

        bytes.Position = 0;
        return context.LoadFromStream(bytes);
    }

    static T[] Create<T, TAttribute>(Assembly assembly)
        where TAttribute : Attribute =>
        assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.GetCustomAttribute<TAttribute>() is not null)
            .Select(t => (T)Activator.CreateInstance(t)!)
            .ToArray();

    static (string Name, string[] References) ReadAssembly(ZipArchive zip, string path)
    {
        ZipArchiveEntry entry = zip.GetEntry(path) ?? throw new InvalidOperationException($"{path} is not in the package");
        using var bytes = new MemoryStream();
        using (Stream stream = entry.Open())
        {
            stream.CopyTo(bytes);
        }

        bytes.Position = 0;
        using var pe = new PEReader(bytes);
        MetadataReader metadata = pe.GetMetadataReader();
        string name = metadata.GetString(metadata.GetAssemblyDefinition().Name);
        string[] references = metadata.AssemblyReferences
            .Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name))
            .ToArray();
        return (name, references);
    }
}
