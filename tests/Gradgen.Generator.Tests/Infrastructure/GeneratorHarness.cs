using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using Gradgen.Generator;
using Gradgen.Generator.Analysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Gradgen.Generator.Tests.Infrastructure;

/// <summary>Runs the generator in memory over C# source, as the compiler would, against .NET 10 reference assemblies and the real runtime.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    private static readonly ImmutableArray<MetadataReference> References =
        Net100.References.All.Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(typeof(DifferentiableAttribute).Assembly.Location))
            .ToImmutableArray();

    public static CSharpCompilation Compile(params string[] sources) => CompileAs("UserCode" + Guid.NewGuid().ToString("N"), sources);

    /// <summary>A compilation with the given assembly name (the runtime's own markers are recognised only in Gradgen.Runtime).</summary>
    public static CSharpCompilation CompileAs(string assemblyName, params string[] sources) =>
        CSharpCompilation.Create(
            assemblyName,
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"File{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            new[] { new DifferentiableGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>
    /// Runs the generator, then the analyzer over the output compilation as the compiler does; returns the output
    /// compilation, the analyzer's GG diagnostics and the generated files. The generator itself must report nothing.
    /// </summary>
    public static GeneratorOutput Run(params string[] sources) => Run(Compile(sources));

    /// <summary>As <see cref="Run(string[])"/>, over a compilation built by the caller.</summary>
    public static GeneratorOutput Run(CSharpCompilation compilation)
    {
        // CPU time, not the wall clock: the mutation test bounds it, and on a shared machine under a load of 20 a 2 s
        // case took 22 s of wall time.
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var start = process.TotalProcessorTime;
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        process.Refresh();
        var generatorTime = process.TotalProcessorTime - start;
        var result = driver.GetRunResult();
        if (result.Results.Any(r => r.Exception is not null))
        {
            throw new InvalidOperationException("The generator threw: " + result.Results.First(r => r.Exception is not null).Exception);
        }

        if (!result.Diagnostics.IsEmpty || !generatorDiagnostics.IsEmpty)
        {
            throw new InvalidOperationException("The generator reported diagnostics; only the analyzer may:\n" + string.Join("\n", result.Diagnostics.Concat(generatorDiagnostics)));
        }

        start = process.TotalProcessorTime;
        var diagnostics = Analyze(output);
        process.Refresh();
        var analyzerTime = process.TotalProcessorTime - start;
        return new GeneratorOutput(
            output,
            diagnostics,
            result.GeneratedTrees.ToDictionary(t => Path.GetFileName(t.FilePath), t => t.GetText().ToString()))
        {
            GeneratorTime = generatorTime,
            AnalyzerTime = analyzerTime,
        };
    }

    /// <summary>The analyzer's diagnostics over <paramref name="compilation"/>; throws if the analyzer itself failed (AD0001).</summary>
    public static ImmutableArray<Diagnostic> Analyze(Compilation compilation)
    {
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: null,
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new GradgenAnalyzer()), options);
        var diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        var failure = diagnostics.FirstOrDefault(d => d.Id == "AD0001");
        if (failure is not null)
        {
            throw new InvalidOperationException("The analyzer threw: " + failure);
        }

        return diagnostics;
    }
}

internal sealed record GeneratorOutput(Compilation Compilation, ImmutableArray<Diagnostic> Diagnostics, Dictionary<string, string> Sources)
{
    /// <summary>The process's CPU time while the generator ran.</summary>
    public TimeSpan GeneratorTime { get; init; }

    /// <summary>
    /// The process's CPU time while the analyzer ran over the output compilation (which includes the compiler's binding of the generated
    /// code, as in a real build).
    /// </summary>
    public TimeSpan AnalyzerTime { get; init; }

    /// <summary>Errors of the output compilation, and any warning in generated code.</summary>
    public IReadOnlyList<Diagnostic> CompilationProblems =>
        Compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error
                || (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true))
            .ToList();

    public string Describe() => string.Join("\n", CompilationProblems.Select(d => d.ToString()));
}
