namespace Gradgen.Cuda.Tests;

public sealed class CompileCacheTests : IDisposable
{
    readonly string directory = Path.Combine(Path.GetTempPath(), "gradgen-cache-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_key_depends_on_source_name_architecture_and_options()
    {
        string key = NvrtcCompileCache.ComputeKey("src", "a.cu", "compute_80", ["--gpu-architecture=compute_80"]);

        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, NvrtcCompileCache.ComputeKey("src", "a.cu", "compute_80", ["--gpu-architecture=compute_80"]));
        Assert.NotEqual(key, NvrtcCompileCache.ComputeKey("src2", "a.cu", "compute_80", ["--gpu-architecture=compute_80"]));
        Assert.NotEqual(key, NvrtcCompileCache.ComputeKey("src", "b.cu", "compute_80", ["--gpu-architecture=compute_80"]));
        Assert.NotEqual(key, NvrtcCompileCache.ComputeKey("src", "a.cu", "compute_90", ["--gpu-architecture=compute_90"]));
        Assert.NotEqual(key, NvrtcCompileCache.ComputeKey("src", "a.cu", "compute_80", ["--gpu-architecture=compute_80", "-lineinfo"]));
        // Option boundaries count: ["a", "b"] is not ["ab"].
        Assert.NotEqual(
            NvrtcCompileCache.ComputeKey("src", "a.cu", "compute_80", ["x", "y"]),
            NvrtcCompileCache.ComputeKey("src", "a.cu", "compute_80", ["xy"]));
    }

    [SkippableFact]
    public void A_second_compilation_comes_from_memory()
    {
        Requires.Nvrtc();
        var cache = new NvrtcCompileCache();
        string source = NvrtcTests.Saxpy + "\n// " + Guid.NewGuid();

        CompiledProgram first = cache.Compile(source, "saxpy.cu", "compute_80");
        CompiledProgram second = cache.Compile(source, "saxpy.cu", "compute_80");

        Assert.Equal(CompileOrigin.Compiled, first.Origin);
        Assert.Equal(CompileOrigin.MemoryCache, second.Origin);
        Assert.Equal(first.Ptx, second.Ptx);
        Assert.Equal(first.Key, second.Key);
        Assert.Equal(1, cache.Compilations);
        Assert.Equal(1, cache.MemoryHits);

        CompiledProgram other = cache.Compile(source, "saxpy.cu", "compute_90");
        Assert.Equal(CompileOrigin.Compiled, other.Origin);
        Assert.Equal(2, cache.Compilations);
    }

    [SkippableFact]
    public void A_new_process_with_the_same_folder_compiles_nothing()
    {
        Requires.Nvrtc();
        string source = NvrtcTests.Saxpy + "\n// " + Guid.NewGuid();
        CompiledProgram compiled = new NvrtcCompileCache(directory).Compile(source, "saxpy.cu", "sm_90");
        Assert.Single(Directory.GetFiles(directory));

        // A second cache over the same folder stands for a second process: it starts with an empty memory.
        var second = new NvrtcCompileCache(directory);
        CompiledProgram cached = second.Compile(source, "saxpy.cu", "sm_90");

        Assert.Equal(CompileOrigin.DiskCache, cached.Origin);
        Assert.Equal(0, second.Compilations);
        Assert.Equal(1, second.DiskHits);
        Assert.Equal(compiled.Ptx, cached.Ptx);
        Assert.Equal(compiled.Cubin, cached.Cubin);
        Assert.Equal(compiled.Log, cached.Log);
        Assert.Equal(compiled.Options, cached.Options);
        Assert.Equal(CompileOrigin.MemoryCache, second.Compile(source, "saxpy.cu", "sm_90").Origin);
    }

    [SkippableFact]
    public void A_damaged_cache_file_is_ignored_and_replaced()
    {
        Requires.Nvrtc();
        string source = NvrtcTests.Saxpy + "\n// " + Guid.NewGuid();
        new NvrtcCompileCache(directory).Compile(source, "saxpy.cu", "compute_80");
        string file = Assert.Single(Directory.GetFiles(directory));
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..40]);

        var second = new NvrtcCompileCache(directory);
        CompiledProgram program = second.Compile(source, "saxpy.cu", "compute_80");

        Assert.Equal(CompileOrigin.Compiled, program.Origin);
        Assert.NotNull(second.LastDiskError);
        Assert.Equal(CompileOrigin.DiskCache, new NvrtcCompileCache(directory).Compile(source, "saxpy.cu", "compute_80").Origin);
    }

    [SkippableFact]
    public void Failed_compilations_are_not_cached()
    {
        Requires.Nvrtc();
        var cache = new NvrtcCompileCache(directory);
        const string broken = "extern \"C\" __global__ void f() { nope(); }";

        Assert.Throws<NvrtcCompilationException>(() => cache.Compile(broken, "f.cu", "compute_80"));
        Assert.Throws<NvrtcCompilationException>(() => cache.Compile(broken, "f.cu", "compute_80"));
        Assert.False(Directory.Exists(directory) && Directory.GetFiles(directory).Length > 0);
    }
}
