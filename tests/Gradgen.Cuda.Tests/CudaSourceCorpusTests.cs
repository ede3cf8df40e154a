using System.Reflection;

namespace Gradgen.Cuda.Tests;

/// <summary>
/// Compiles every CUDA source the generator emitted into the test corpus (each <c>const string</c> field, public or
/// internal, whose name ends in <c>CudaSource</c>, in every <c>Gradgen*.dll</c> next to this assembly: the end-to-end
/// corpus, the runtime's own [Differentiable] functions and this project's hand-written fixtures) and every CUDA C
/// file embedded in those assemblies (<c>*.cu</c> resources: Gradgen.Cuda's tensor kernels and GEMM) with NVRTC for
/// compute_80 and compute_90, and fails on any error or warning. CI has no GPU but has NVRTC (.ci/install-nvrtc.sh), so no generated kernel reaches a GPU untested by a
/// compiler.
/// </summary>
public class CudaSourceCorpusTests
{
    public static readonly string[] Architectures = ["compute_80", "compute_90"];

    static readonly Lazy<IReadOnlyList<CudaSourceField>> corpus = new(FindCorpus);
    static readonly Lazy<IReadOnlyList<CudaSourceFile>> files = new(FindFiles);

    public static TheoryData<string, string> FileCases()
    {
        var data = new TheoryData<string, string>();
        foreach (CudaSourceFile file in files.Value)
        {
            foreach (string architecture in Architectures)
            {
                data.Add(file.Name, architecture);
            }
        }

        return data;
    }

    [Fact]
    public void Every_embedded_kernel_file_is_found_and_declares_its_entries()
    {
        // A new .cu file must list the kernels the backend launches from it (KernelSources.Entries), and vice versa.
        Assert.Equal(KernelSources.Entries.Keys.Order(StringComparer.Ordinal), files.Value.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.Contains(corpus.Value, f => f.FullName == "Gradgen.ElementwiseFunctions.SigmoidCudaSource");
    }

    [SkippableTheory]
    [MemberData(nameof(FileCases))]
    public void Kernel_files_compile_without_errors_or_warnings(string file, string architecture)
    {
        Requires.Nvrtc();
        CudaSourceFile source = files.Value.Single(f => f.Name == file);
        CompiledProgram program;
        try
        {
            program = Nvrtc.Compile(source.Source, file, architecture);
        }
        catch (NvrtcCompilationException e)
        {
            Assert.Fail($"{file} ({source.Assembly}) does not compile for {architecture}:\n{e.Log}");
            return;
        }

        Assert.True(program.Warnings.Count == 0, $"{file} ({source.Assembly}) compiles for {architecture} with warnings:\n{program.Log}");
        string[] missing = [.. KernelSources.Entries[file].Except(program.EntryNames)];
        Assert.True(missing.Length == 0, $"{file} lacks the kernels {string.Join(", ", missing)} that the backend launches; it defines {string.Join(", ", program.EntryNames)}");
    }

    static IReadOnlyList<CudaSourceFile> FindFiles()
    {
        var found = new List<CudaSourceFile>();
        foreach (string path in GradgenAssemblyPaths())
        {
            Assembly assembly = Load(path);
            foreach (string resource in assembly.GetManifestResourceNames())
            {
                if (!resource.EndsWith(".cu", StringComparison.Ordinal))
                {
                    continue;
                }

                using var stream = assembly.GetManifestResourceStream(resource)!;
                using var reader = new StreamReader(stream);
                string name = resource.StartsWith(KernelSources.ResourcePrefix, StringComparison.Ordinal) ? resource[KernelSources.ResourcePrefix.Length..] : resource;
                found.Add(new CudaSourceFile(name, reader.ReadToEnd(), Path.GetFileName(path)));
            }
        }

        return [.. found.OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (CudaSourceField field in corpus.Value)
        {
            foreach (string architecture in Architectures)
            {
                data.Add(field.Id, architecture);
            }
        }

        return data;
    }

    [Fact]
    public void The_corpus_has_cuda_sources()
    {
        IReadOnlyList<CudaSourceField> found = corpus.Value;
        Assert.True(found.Count > 0,
            $"no public const string *CudaSource field in {string.Join(", ", GradgenAssemblyPaths().Select(Path.GetFileName))}");
        Assert.Contains(found, f => f.FullName == "Gradgen.Cuda.Tests.Fixtures.HandWrittenKernels.BumpCudaSource");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Compiles_without_errors_or_warnings(string field, string architecture)
    {
        Requires.Nvrtc();
        CudaSourceField source = corpus.Value.Single(f => f.Id == field);

        CompiledProgram program;
        try
        {
            program = Nvrtc.Compile(source.Source, source.FunctionName + ".cu", architecture);
        }
        catch (NvrtcCompilationException e)
        {
            Assert.Fail($"{source.FullName} ({source.Assembly}) does not compile for {architecture}:\n{e.Log}\n--- source ---\n{source.Source}");
            return;
        }

        Assert.True(program.Warnings.Count == 0,
            $"{source.FullName} ({source.Assembly}) compiles for {architecture} with warnings:\n{program.Log}\n--- source ---\n{source.Source}");

        // The kernel ABI: F_forward, F_with_gradient and F_backward for the function F of the constant FCudaSource; a
        // compiled model graph's MGraphCudaSource defines the kernels its header lists (M_kernel0, M_kernel0_f64, …);
        // A compiled model's activation derivative defines only the forward its device backward launches (and the
        // element function the gradient product compiles in: checked below).
        // The runtime's eager backward functions ([EagerVjp], {Type}EagerCudaSource) list their kernels as a graph does.
        string[] expected = source.FunctionName.EndsWith("Graph", StringComparison.Ordinal) || source.FunctionName.EndsWith("Eager", StringComparison.Ordinal) ? GraphKernels(source.Source)
            : IsModelDerivative(source) ? [source.FunctionName + "_forward"]
            : [source.FunctionName + "_forward", source.FunctionName + "_with_gradient", source.FunctionName + "_backward"];
        string[] missing = [.. expected.Except(program.EntryNames)];
        Assert.True(missing.Length == 0,
            $"{source.FullName} lacks the kernels {string.Join(", ", missing)} of the ABI; it defines {string.Join(", ", program.EntryNames)}");
    }

    public static TheoryData<string, string> DerivativeCases()
    {
        var data = new TheoryData<string, string>();
        foreach (CudaSourceField field in corpus.Value.Where(IsModelDerivative))
        {
            foreach (string architecture in Architectures)
            {
                data.Add(field.Id, architecture);
            }
        }

        return data;
    }

    [Fact]
    public void The_corpus_has_compiled_models_derivatives()
    {
        Assert.Contains(corpus.Value, f => IsModelDerivative(f) && f.FunctionName.EndsWith("ReluDerivative", StringComparison.Ordinal));
        Assert.Contains(corpus.Value, f => IsModelDerivative(f) && f.FunctionName.EndsWith("SigmoidDerivative", StringComparison.Ordinal));
    }

    /// <summary>
    /// A compiled model's derivative is also the epilogue of Gemm.cu's gradient product: the two compiled as one
    /// translation unit (KernelSources.GradientGemm), as the backend does on a device, must define that product.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(DerivativeCases))]
    public void Model_derivatives_compile_into_the_gradient_product(string field, string architecture)
    {
        Requires.Nvrtc();
        CudaSourceField derivative = corpus.Value.Single(f => f.Id == field);
        string source = KernelSources.GradientGemm(derivative.Source, derivative.FunctionName);
        CompiledProgram program;
        try
        {
            program = Nvrtc.Compile(source, derivative.FunctionName + "_gemm.cu", architecture);
        }
        catch (NvrtcCompilationException e)
        {
            Assert.Fail($"Gemm.cu with {derivative.FullName} ({derivative.Assembly}) does not compile for {architecture}:\n{e.Log}");
            return;
        }

        Assert.True(program.Warnings.Count == 0, $"Gemm.cu with {derivative.FullName} compiles for {architecture} with warnings:\n{program.Log}");
        Assert.Contains(KernelSources.GradientGemmEntry, program.EntryNames);
        Assert.Contains("gg_gemm_nn", program.EntryNames);
    }

    /// <summary>The kernels a graph source's header lists (<c>// Kernels: a, b;</c>); at least one.</summary>
    static string[] GraphKernels(string source)
    {
        string line = source.Split('\n').Single(l => l.StartsWith("// Kernels: ", StringComparison.Ordinal));
        return line["// Kernels: ".Length..].TrimEnd(';', '\r').Split(", ", StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>A compiled model's <c>{Model}{Activation}Derivative</c>, which defines the element function the gradient product calls.</summary>
    static bool IsModelDerivative(CudaSourceField field) =>
        field.FunctionName.EndsWith("Derivative", StringComparison.Ordinal) && field.Source.Contains($" {field.FunctionName}_element(", StringComparison.Ordinal);

    static IReadOnlyList<CudaSourceField> FindCorpus()
    {
        var fields = new List<CudaSourceField>();
        foreach (string path in GradgenAssemblyPaths())
        {
            Assembly assembly = Load(path);
            foreach (Type type in LoadableTypes(assembly))
            {
                foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
                {
                    if (field.IsLiteral && field.FieldType == typeof(string)
                        && field.Name.EndsWith("CudaSource", StringComparison.Ordinal)
                        && field.Name.Length > "CudaSource".Length
                        && field.GetRawConstantValue() is string source)
                    {
                        fields.Add(new CudaSourceField(
                            $"{type.Name}.{field.Name}", $"{type.FullName}.{field.Name}", field.Name[..^"CudaSource".Length], source,
                            Path.GetFileName(path)));
                    }
                }
            }
        }

        // Two types of the same name in different namespaces or assemblies: fall back to the full names.
        if (fields.GroupBy(f => f.Id).Any(g => g.Count() > 1))
        {
            fields = [.. fields.Select(f => f with { Id = f.FullName + " in " + f.Assembly })];
        }

        return [.. fields.OrderBy(f => f.Id, StringComparer.Ordinal)];
    }

    static IEnumerable<string> GradgenAssemblyPaths() =>
        Directory.GetFiles(AppContext.BaseDirectory, "Gradgen*.dll").Order(StringComparer.Ordinal);

    static Assembly Load(string path)
    {
        AssemblyName name = AssemblyName.GetAssemblyName(path);
        return AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => AssemblyName.ReferenceMatchesDefinition(a.GetName(), name))
            ?? Assembly.LoadFrom(path);
    }

    static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            // An assembly whose dependencies are not here (the generator needs Roslyn) still shows its loadable types.
            return e.Types.OfType<Type>();
        }
    }

    /// <param name="Id">Short, for the test's display name (xunit cuts arguments at 50 characters).</param>
    sealed record CudaSourceField(string Id, string FullName, string FunctionName, string Source, string Assembly);

    /// <param name="Name">The file name (<c>Gemm.cu</c>).</param>
    sealed record CudaSourceFile(string Name, string Source, string Assembly);
}
