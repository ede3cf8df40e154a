using System.Collections.Immutable;
using System.Diagnostics;
using Basic.Reference.Assemblies;
using Gradgen.Benchmarks.Generator;
using Gradgen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

// The generator as the IDE and the compiler run it: a GeneratorDriver over a compilation of GeneratorCorpus.
// Three cases, each the median of many runs after warm-up (the first runs JIT the generator and Roslyn):
//   full      a new driver over a new compilation (a build, or opening the solution);
//   unrelated the same driver after an edit of a file with no Gradgen code (every step must come from the cache);
//   function  the same driver after an edit of one constant in one [Differentiable] function's body.
// Each incremental run gets a new Compilation (ReplaceSyntaxTree), as each keystroke does in the IDE; building it
// and parsing the edited file are not timed. Usage: dotnet run -c Release --project benchmarks/Gradgen.Benchmarks.Generator [runs]
// [--full-only] (the full case alone: no check of the output, no binding, no incremental cases; for a CPU profile)
// [--dump DIR] (writes the generated files, to compare the output of two builds) [--warmup N] (untimed runs first, 100
// by default: the JIT keeps tiering Roslyn and the generator up for dozens of runs, so 5, the count before
// docs/benchmarks.md §9.8, timed mostly the JIT) [--print-runs] (every full run's wall time, warm-up included).
// The compiler itself runs with server GC (the SDK's csc.runtimeconfig.json); DOTNET_gcServer=1 measures that.
int runs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 40;
var parseOptions = new CSharpParseOptions(LanguageVersion.Preview);
var references = Net100.References.All.Cast<MetadataReference>()
    .Append(MetadataReference.CreateFromFile(typeof(Gradgen.DifferentiableAttribute).Assembly.Location))
    .ToImmutableArray();

SyntaxTree Parse(string text, string path) => CSharpSyntaxTree.ParseText(text, parseOptions, path: path);

var trees = new List<SyntaxTree>();
for (int f = 0; f < GeneratorCorpus.FunctionFiles; f++)
{
    trees.Add(Parse(GeneratorCorpus.FunctionFile(f), $"Functions{f}.cs"));
}

for (int f = 0; f < (args.Contains("--no-models") ? 0 : GeneratorCorpus.ModelFiles); f++)
{
    trees.Add(Parse(GeneratorCorpus.ModelFile(f), $"Models{f}.cs"));
}

trees.Add(Parse(GeneratorCorpus.UnrelatedFile(0), "Unrelated.cs"));
var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release, nullableContextOptions: NullableContextOptions.Enable);
// Fresh syntax trees each time: the generator remembers parses per tree object (ParseCache), as a new build would not.
CSharpCompilation NewCompilation() => CSharpCompilation.Create("Bench", trees.Select(t => Parse(t.GetText().ToString(), t.FilePath)), references, options);

GeneratorDriver NewDriver(bool track) => CSharpGeneratorDriver.Create(
    [new DifferentiableGenerator().AsSourceGenerator()],
    parseOptions: parseOptions,
    driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

bool fullOnly = args.Contains("--full-only");
int warmup = args.Contains("--warmup") ? int.Parse(args[Array.IndexOf(args, "--warmup") + 1], System.Globalization.CultureInfo.InvariantCulture) : 100;
bool printRuns = args.Contains("--print-runs");

// Check once that the corpus is what it claims: every function and model generated, no errors in the output.
if (!fullOnly)
{
    var driver = NewDriver(track: false).RunGeneratorsAndUpdateCompilation(NewCompilation(), out var output, out _);
    var result = driver.GetRunResult();
    var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
    int models = result.GeneratedTrees.Count(t => t.FilePath.Contains(".Model.", StringComparison.Ordinal) || t.FilePath.Contains("Model.g", StringComparison.Ordinal));
    Console.WriteLine($"corpus: {trees.Count} files, {result.GeneratedTrees.Length} generated files ({models} for model classes), {errors.Count} errors in the output compilation, generator diagnostics: {result.Diagnostics.Length}");
    foreach (var error in errors.Take(5))
    {
        Console.WriteLine("  " + error);
    }

    // --dump DIR writes the generated files, to compare two builds' output byte for byte.
    int dump = Array.IndexOf(args, "--dump");
    if (dump >= 0)
    {
        Directory.CreateDirectory(args[dump + 1]);
        foreach (var generated in result.Results.Single().GeneratedSources)
        {
            File.WriteAllText(Path.Combine(args[dump + 1], generated.HintName), generated.SourceText.ToString());
        }
    }
}

double Median(List<double> values)
{
    values.Sort();
    return values[values.Count / 2];
}

// On a loaded machine the wall time mostly measures the other processes: the CPU time this process spent (the generator
// runs on one thread; the rest is the GC's) and the bytes it allocated move much less, so they come with it.
var process = Process.GetCurrentProcess();
double CpuMs()
{
    process.Refresh();
    return process.TotalProcessorTime.TotalMilliseconds;
}

void Report(string name, List<double> wall, List<double> reported, List<double> cpu, List<double> allocated, string note = "") =>
    Console.WriteLine($"{name,-10} median {Median(wall),8:F2} ms (min {wall.Min(),7:F2}); the driver's own generator time {Median(reported),8:F2} ms; CPU {Median(cpu),8:F2} ms (min {cpu.Min(),7:F2}); allocated {Median(allocated),7:F2} MB {note}");

// The time the runtime paused the generator's thread for collections: part of the wall time, and what fewer or
// cheaper collections save.
double PauseMs() => GC.GetTotalPauseDuration().TotalMilliseconds;

// full: a new driver and a new compilation each time.
{
    var wall = new List<double>();
    var reported = new List<double>();
    var cpu = new List<double>();
    var allocated = new List<double>();
    var collections = new int[3];
    var pauses = new List<double>();
    var threadCpu = new List<double>();
    for (int i = 0; i < runs + warmup; i++)
    {
        var compilation = NewCompilation();
        var driver = NewDriver(track: false);
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        double cpuBefore = CpuMs();
        double pauseBefore = PauseMs();
        long bytesBefore = GC.GetTotalAllocatedBytes();
        double threadBefore = ThreadCpuTime.Milliseconds();
        var watch = Stopwatch.StartNew();
        driver = driver.RunGenerators(compilation);
        watch.Stop();
        double threadMs = ThreadCpuTime.Milliseconds() - threadBefore;
        if (printRuns)
        {
            Console.Write($"{watch.Elapsed.TotalMilliseconds:F0} ");
        }

        if (i >= warmup)
        {
            pauses.Add(PauseMs() - pauseBefore);
            threadCpu.Add(threadMs);
            cpu.Add(CpuMs() - cpuBefore);
            allocated.Add((GC.GetTotalAllocatedBytes() - bytesBefore) / 1e6);
            wall.Add(watch.Elapsed.TotalMilliseconds);
            reported.Add(driver.GetTimingInfo().ElapsedTime.TotalMilliseconds);
            for (int generation = 0; generation < 3; generation++)
            {
                collections[generation] += GC.CollectionCount(generation) - collectionsBefore[generation];
            }
        }
    }

    // A collection of generation 2 in a run (the large-object heap's budget spent, or the heap grown) costs far more
    // than the generation 0 ones: the collections per run say which the run paid for.
    Report("full", wall, reported, cpu, allocated,
        $"(collections per run, gen 0/1/2: {string.Join(" / ", collections.Select(c => ((double)c / runs).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}; paused for them: median {Median(pauses):F1} ms, mean {pauses.Average():F1} ms; the driver thread's own CPU time: median {Median(threadCpu):F1} ms, min {threadCpu.Min():F1} ms)");

    // Per step, over as many more runs with tracking on: one run's step times move with the host's load, so each
    // step's median and minimum over the runs (the minimum is the closest to its CPU time on a busy host).
    var stepTimes = new Dictionary<string, List<double>>();
    for (int i = 0; i < runs; i++)
    {
        foreach (var step in NewDriver(track: true).RunGenerators(NewCompilation()).GetRunResult().Results.Single().TrackedSteps)
        {
            if (!stepTimes.TryGetValue(step.Key, out var times))
            {
                stepTimes[step.Key] = times = [];
            }

            times.Add(step.Value.Sum(r => r.ElapsedTime.TotalMilliseconds));
        }
    }

    Console.WriteLine("           per step over as many tracked runs, median (min): " + string.Join(", ", stepTimes
        .Select(s => (s.Key, Median: Median(s.Value), Min: s.Value.Min()))
        .OrderByDescending(s => s.Median).Take(10).Select(s => $"{s.Key} {s.Median:F1} ({s.Min:F1}) ms")));
}

// The incremental cases: one driver, a new compilation per edit.
void Incremental(string name, int treeIndex, Func<int, string> edited)
{
    var compilation = NewCompilation();
    var driver = NewDriver(track: true).RunGenerators(compilation);
    var wall = new List<double>();
    var reported = new List<double>();
    var cpu = new List<double>();
    var allocated = new List<double>();
    int notCached = 0;
    for (int i = 1; i <= runs + 5; i++)
    {
        var old = compilation.SyntaxTrees.ElementAt(treeIndex);
        compilation = compilation.ReplaceSyntaxTree(old, Parse(edited(i), old.FilePath));
        double cpuBefore = CpuMs();
        long bytesBefore = GC.GetTotalAllocatedBytes();
        var watch = Stopwatch.StartNew();
        driver = driver.RunGenerators(compilation);
        watch.Stop();
        if (i > 5)
        {
            cpu.Add(CpuMs() - cpuBefore);
            allocated.Add((GC.GetTotalAllocatedBytes() - bytesBefore) / 1e6);
            wall.Add(watch.Elapsed.TotalMilliseconds);
            reported.Add(driver.GetTimingInfo().ElapsedTime.TotalMilliseconds);
        }

        notCached = driver.GetRunResult().Results.Single().TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs)
            .Count(o => o.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    Report(name, wall, reported, cpu, allocated, $"(outputs regenerated by the last edit: {notCached})");
    var steps = driver.GetRunResult().Results.Single().TrackedSteps;
    Console.WriteLine("           last edit, time per step: " + string.Join(", ", steps
        .Select(s => (s.Key, Ms: s.Value.Sum(r => r.ElapsedTime.TotalMilliseconds)))
        .OrderByDescending(s => s.Ms).Take(10).Select(s => $"{s.Key} {s.Ms:F1} ms")));
}

if (fullOnly)
{
    return 0;
}

// For scale: binding every [Differentiable] method body of a fresh compilation, which any semantic transform pays.
{
    var bind = new List<double>();
    for (int i = 0; i < runs; i++)
    {
        var compilation = NewCompilation();
        var watch = Stopwatch.StartNew();
        foreach (var tree in compilation.SyntaxTrees.Take(GeneratorCorpus.FunctionFiles))
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>())
            {
                _ = model.GetOperation((SyntaxNode?)method.Body ?? method.ExpressionBody!);
            }
        }

        bind.Add(watch.Elapsed.TotalMilliseconds);
    }

    Console.WriteLine($"binding   median {Median(bind),8:F2} ms: binding the 100 function bodies alone");
}

Incremental("unrelated", trees.Count - 1, GeneratorCorpus.UnrelatedFile);
Incremental("function", 0, edit => GeneratorCorpus.FunctionFile(0, edit));
return 0;
