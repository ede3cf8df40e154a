// The GPU check: a NativeAOT program (no .NET on the GPU machine) that scripts/gpu-check.sh runs there.
//   gradgen-gpu-check [--results FILE] [--n N] [--runs R] [--compile-only]
// 1. prints NVRTC, driver and device; 2. compiles every hand-written ABI kernel for the device and checks forward,
// with_gradient and backward against a double-precision CPU reference; 3. times Bump_with_gradient at N = 10^7
// with CUDA events (median of R runs) as a fraction of the bandwidth of a device-to-device copy measured in the same
// run; 4. the tensor API on the GPU, the runtime's GEMM and device operations against the CPU; 5. MLP training
// steps (seed 2-2-1 at batch 10,000; 784-256-10 at 128 and 4096), checked and timed. Results go to stdout and, as key=value lines, to --results (scripts/gpu_check_torch.py reads them).
// Exit code: 0 all checks passed, 1 a check failed, 2 NVRTC unavailable, 3 no GPU.

using System.Diagnostics;
using System.Globalization;
using Gradgen.Cuda;
using Gradgen.Cuda.Tests.Fixtures;
using Gradgen.GpuCheck;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string? resultsPath = null;
int n = 10_000_000, runs = 20;
bool compileOnly = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--results": resultsPath = args[++i]; break;
        case "--n": n = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--compile-only": compileOnly = true; break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: gradgen-gpu-check [--results FILE] [--n N] [--runs R] [--compile-only]");
            return 64;
    }
}

var results = new Results(resultsPath);
results.Add("n", n);
results.Add("runs", runs);
Console.WriteLine($"== Gradgen GPU check ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
Console.WriteLine($"NVRTC:  {(Nvrtc.IsAvailable ? $"{Nvrtc.Version} from {Nvrtc.LibraryPath}; targets {string.Join(' ', Nvrtc.SupportedArchitectures)}" : Nvrtc.UnavailableReason)}");
Console.WriteLine($"Driver: {(Cuda.DriverVersion is { } driver ? $"CUDA {driver} from {Cuda.DriverLibraryPath}" : "not loaded")}");
Console.WriteLine($"Device: {Cuda.DeviceDescription}");
Console.WriteLine($"Compile cache folder: {NvrtcCompileCache.Default.Directory ?? "(none: memory only)"}");
results.Add("nvrtc", Nvrtc.Version?.ToString() ?? "unavailable");
results.Add("device", Cuda.IsAvailable ? CudaDevice.Get(0).Name : "none");

if (!Nvrtc.IsAvailable)
{
    results.Write();
    return 2;
}

// The generator's CUDA C (GeneratedKernels.cs), checked against the hand-written fixtures' double-precision references.
IReadOnlyList<KernelFixture> fixtures = GeneratedKernels.All;
KernelFixture bump = fixtures.Single(f => f.Name == "Bump");

bool passed = true;
Console.WriteLine();
Console.WriteLine("== NVRTC compile of every kernel source (compute_80, compute_90" + (Cuda.IsAvailable ? ", the device's" : "") + ")");
var architectures = new List<string> { "compute_80", "compute_90" };
if (Cuda.IsAvailable)
{
    architectures.Add(Cuda.DefaultContext.TargetArchitecture);
}

foreach (KernelFixture fixture in fixtures)
{
    foreach (string architecture in architectures.Distinct())
    {
        var watch = Stopwatch.StartNew();
        try
        {
            CompiledProgram program = Nvrtc.Compile(fixture.Source, fixture.Name + ".cu", architecture);
            bool clean = program.Warnings.Count == 0;
            passed &= clean;
            Console.WriteLine($"  {fixture.Name,-11} {architecture,-11} {program.Origin,-12} {watch.Elapsed.TotalMilliseconds,7:F1} ms  " +
                (program.Ptx is null ? "" : $"PTX {program.Ptx.Length} chars  ") +
                (program.Cubin is null ? "" : $"CUBIN {program.Cubin.Length} bytes  ") +
                (clean ? "no warnings" : "WARNINGS:\n" + program.Log));
        }
        catch (NvrtcCompilationException e)
        {
            passed = false;
            Console.WriteLine($"  {fixture.Name,-11} {architecture,-11} FAILED\n{e.Log}");
        }
    }
}

// The runtime's own kernel files (src/Gradgen.Cuda/Kernels): tensor kernels and the GEMM.
foreach (string file in KernelSources.Entries.Keys)
{
    foreach (string architecture in architectures.Distinct())
    {
        try
        {
            CompiledProgram program = Nvrtc.Compile(KernelSources.Read(file), file, architecture);
            // Entry names come from PTX; a CUBIN (the device's own architecture) is checked by the launches below.
            string[] missing = program.Ptx is null ? [] : [.. KernelSources.Entries[file].Except(program.EntryNames)];
            bool clean = program.Warnings.Count == 0 && missing.Length == 0;
            passed &= clean;
            Console.WriteLine($"  {file,-11} {architecture,-11} {program.Origin,-12} {program.EntryNames.Count} kernels  " +
                (clean ? "no warnings" : $"WARNINGS or missing kernels ({string.Join(", ", missing)}):\n" + program.Log));
        }
        catch (NvrtcCompilationException e)
        {
            passed = false;
            Console.WriteLine($"  {file,-11} {architecture,-11} FAILED\n{e.Log}");
        }
    }
}

// Each MLP's product epilogues (its activations, and their derivatives in the products that carry the gradient) compiled
// into the GEMM, as its device steps do it: the functions its graph source's header lists.
foreach (string source in new[] { SeedMlp.SeedMlpGraphCudaSource, MnistMlp.MnistMlpGraphCudaSource })
{
    string header = source.Split('\n').Single(l => l.StartsWith("// Product epilogues: ", StringComparison.Ordinal));
    foreach (string function in header["// Product epilogues: ".Length..].TrimEnd(';', '\r').Split(", "))
    {
        foreach (string architecture in architectures.Distinct())
        {
            string name = function + "_gemm.cu";
            try
            {
                CompiledProgram program = Nvrtc.Compile(KernelSources.ProductEpilogueGemm(source, function), name, architecture);
                bool clean = program.Warnings.Count == 0 && (program.Ptx is null || KernelSources.ProductEpilogueEntries.All(program.EntryNames.Contains));
                passed &= clean;
                Console.WriteLine($"  {name,-11} {architecture,-11} {program.Origin,-12} {program.EntryNames.Count} kernels  " + (clean ? "no warnings" : "WARNINGS or no epilogue products:\n" + program.Log));
            }
            catch (NvrtcCompilationException e)
            {
                passed = false;
                Console.WriteLine($"  {name,-11} {architecture,-11} FAILED\n{e.Log}");
            }
        }
    }
}

// The row kernels of span functions' tensor overloads (RowKernelChecks).
foreach (var (name, source) in RowKernelChecks.Sources)
{
    foreach (string architecture in architectures.Distinct())
    {
        try
        {
            CompiledProgram program = Nvrtc.Compile(source, name + ".cu", architecture);
            bool clean = program.Warnings.Count == 0;
            passed &= clean;
            Console.WriteLine($"  {name,-11} {architecture,-11} {program.Origin,-12} {program.EntryNames.Count} kernels  " + (clean ? "no warnings" : "WARNINGS:\n" + program.Log));
        }
        catch (NvrtcCompilationException e)
        {
            passed = false;
            Console.WriteLine($"  {name,-11} {architecture,-11} FAILED\n{e.Log}");
        }
    }
}

Console.WriteLine($"  NVRTC compilations in this process: {Nvrtc.CompilationCount} (0 when the disk cache had everything)");
results.Add("nvrtc_compilations", Nvrtc.CompilationCount);
if (compileOnly)
{
    results.Add("passed", passed);
    results.Write();
    return passed ? 0 : 1;
}

if (!Cuda.IsAvailable)
{
    Console.WriteLine($"no GPU: {Cuda.UnavailableReason}");
    results.Write();
    return 3;
}

CudaContext context = Cuda.DefaultContext;
Console.WriteLine();
Console.WriteLine($"== Correctness against the CPU (double-precision reference; normwise tolerance float {AbiChecker.FloatTolerance:E1}, double {AbiChecker.DoubleTolerance:E0})");
const int checkCount = (1 << 20) + 3; // not a multiple of any block size: the loop's last pass is partial
foreach (KernelFixture fixture in fixtures)
{
    foreach ((string label, LaunchShape? shape) in new (string, LaunchShape?)[] { ("default grid", null), ("small grid, every thread loops", new LaunchShape(7, 128)) })
    {
        Console.WriteLine($"  {fixture.Name} ({fixture.ElementType.Name}, {fixture.Arity} parameter(s)), n = {checkCount}, {label}:");
        foreach (AbiCheckResult result in AbiChecker.Check(context, fixture, checkCount, seed: 42, shape))
        {
            passed &= result.Passed;
            Console.WriteLine("    " + result);
        }
    }
}

Console.WriteLine();
Console.WriteLine($"== Timing at N = {n:N0} (float), median of {runs} runs timed with CUDA events after 3 warm-up runs");
CudaModule module = context.LoadModule(bump.Source, bump.Name);
var random = new Random(7);
var x = new float[n];
for (int i = 0; i < n; i++)
{
    x[i] = (float)(10 * random.NextDouble());
}

using DeviceBuffer<float> xs = context.Upload<float>(x);
using DeviceBuffer<float> ones = context.Upload<float>(Enumerable.Repeat(1f, n).ToArray());
using DeviceBuffer<float> ys = context.Allocate<float>(n);
using DeviceBuffer<float> dxs = context.Allocate<float>(n);
using DeviceBuffer<float> copy = context.Allocate<float>(n);
using CudaEvent start = CudaEvent.Create(context);
using CudaEvent end = CudaEvent.Create(context);

double Median(Action action)
{
    for (int i = 0; i < 3; i++)
    {
        action();
    }

    context.Synchronize();
    var times = new double[runs];
    for (int i = 0; i < runs; i++)
    {
        start.Record();
        action();
        end.Record();
        end.Synchronize();
        times[i] = CudaEvent.ElapsedMilliseconds(start, end);
    }

    Array.Sort(times);
    return runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
}

double copyMs = Median(() => copy.CopyFrom(xs));
double copyGBps = 2.0 * sizeof(float) * n / (copyMs * 1e6);
Console.WriteLine($"  {"device-to-device copy (cuMemcpyDtoD), 1 read + 1 write",-62} {copyMs,8:F4} ms  {copyGBps,7:F1} GB/s  (the reference: 100%)");
results.Add("copy_ms", copyMs);
results.Add("copy_gbps", copyGBps);

LaunchShape capped = LaunchShape.ForElements(n, context.Device);
LaunchShape perElement = LaunchShape.ForElements(n, context.Device, blocksPerMultiprocessor: 0);
CudaKernel forward = module.GetKernel("Bump_forward");
CudaKernel withGradient = module.GetKernel("Bump_with_gradient");
CudaKernel backward = module.GetKernel("Bump_backward");
var timed = new (string Key, string Label, int BytesPerElement, LaunchShape Shape, Action Run)[]
{
    ("with_gradient", "Bump_with_gradient, 1 read + 2 writes", 12, capped, () => withGradient.Launch(capped, xs, ys, dxs, n)),
    ("with_gradient_per_element", "Bump_with_gradient, 1 read + 2 writes", 12, perElement, () => withGradient.Launch(perElement, xs, ys, dxs, n)),
    ("forward", "Bump_forward, 1 read + 1 write", 8, capped, () => forward.Launch(capped, xs, ys, n)),
    ("backward", "Bump_backward, 2 reads + 1 write", 12, capped, () => backward.Launch(capped, xs, ones, dxs, n)),
};
foreach ((string key, string label, int bytes, LaunchShape shape, Action run) in timed)
{
    double ms = Median(run);
    double gbps = (double)bytes * n / (ms * 1e6);
    string text = $"{label}, grid {shape.Grid.X}x{shape.Block.X}";
    Console.WriteLine($"  {text,-62} {ms,8:F4} ms  {gbps,7:F1} GB/s  {100 * gbps / copyGBps,5:F1}% of copy bandwidth");
    results.Add(key + "_ms", ms);
    results.Add(key + "_gbps", gbps);
    results.Add(key + "_fraction", gbps / copyGBps);
    results.Add(key + "_grid", $"{shape.Grid.X}x{shape.Block.X}");
}

// The timed outputs themselves, spot-checked: 1000 elements spread over all N.
withGradient.Launch(capped, xs, ys, dxs, n);
context.Synchronize();
float[] y = ys.ToArray(), dx = dxs.ToArray();
double worstValue = 0, worstGradient = 0;
var gradient = new double[1];
for (int i = 0; i < n; i += Math.Max(1, n / 1000))
{
    double value = bump.Reference([x[i]], gradient);
    worstValue = Math.Max(worstValue, Math.Abs(y[i] - value));
    worstGradient = Math.Max(worstGradient, Math.Abs(dx[i] - gradient[0]) / (2 * Math.PI));
}

bool spotOk = worstValue <= AbiChecker.FloatTolerance && worstGradient <= AbiChecker.FloatTolerance;
passed &= spotOk;
Console.WriteLine($"  spot check of the timed outputs: max|err| value {worstValue:E2}, gradient/2π {worstGradient:E2}: {(spotOk ? "ok" : "FAILED")}");
Console.WriteLine($"  allocator: {context.Allocator.DriverAllocations} cuMemAlloc calls, {context.Allocator.CacheHits} cache hits, {context.Allocator.BytesInUse / 1e6:F1} MB in use");

Console.WriteLine();
Console.WriteLine("== Tensors on the GPU: Gradgen.Tensor with the CUDA backend, against the CPU");
passed &= TensorChecks.Run(results.Add, n, runs, context);

Console.WriteLine();
Console.WriteLine("== The runtime's GEMM (Gemm.cu) against a double-precision CPU reference: every transposition, bias, activation");
passed &= GemmChecks.Run(results.Add, context);

Console.WriteLine();
Console.WriteLine("== Device operations of the tensor API against the CPU (values and gradients)");
passed &= DeviceOpChecks.Run(results.Add);

Console.WriteLine();
Console.WriteLine("== Span functions over the rows of tensors (generated row kernels) against the CPU");
passed &= RowKernelChecks.Run(results.Add, context.Synchronize);

Console.WriteLine();
Console.WriteLine("== MLP training steps on the GPU (checked against the CPU, then timed; PyTorch's figures follow)");
passed &= MlpChecks.Run(results.Add, runs, context.Synchronize);

results.Add("passed", passed);
results.Write();
Console.WriteLine();
Console.WriteLine(passed ? "GPU check: all checks passed" : "GPU check: SOME CHECKS FAILED");
return passed ? 0 : 1;

/// <summary>key=value lines for scripts/gpu_check_torch.py.</summary>
sealed class Results(string? path)
{
    readonly List<string> lines = [];

    public void Add(string key, object value) => lines.Add(key + "=" + Convert.ToString(value, CultureInfo.InvariantCulture));

    public void Write()
    {
        if (path is not null)
        {
            File.WriteAllLines(path, lines);
            Console.WriteLine($"results written to {path}");
        }
    }
}
