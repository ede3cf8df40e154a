namespace Gradgen.Cuda.Tests;

public class NvrtcTests
{
    internal const string Saxpy = """
        extern "C" __global__ void saxpy(float a, const float* x, const float* y, float* out, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                out[i] = fmaf(a, x[i], y[i]) + expf(-fabsf(x[i])) * copysignf(1.0f, y[i]) + fminf(x[i], sinf(y[i]));
            }
        }
        """;

    [SkippableFact]
    public void Reports_a_version_and_the_architectures_CI_compiles_for()
    {
        Requires.Nvrtc();
        Assert.NotNull(Nvrtc.Version);
        Assert.True(Nvrtc.Version >= new Version(11, 2), $"NVRTC {Nvrtc.Version} is older than 11.2");
        Assert.NotNull(Nvrtc.LibraryPath);
        Assert.Contains(80, Nvrtc.SupportedArchitectures);
        Assert.Contains(90, Nvrtc.SupportedArchitectures);
        Assert.True(Nvrtc.Supports(8, 0));
        Assert.False(Nvrtc.Supports(1, 0));
    }

    [SkippableTheory]
    [InlineData("compute_80")]
    [InlineData("compute_90")]
    public void Compiles_an_elementwise_kernel_to_ptx(string architecture)
    {
        Requires.Nvrtc();
        CompiledProgram program = Nvrtc.CompileUncached(Saxpy, "saxpy.cu", architecture);

        Assert.Equal(CompileOrigin.Compiled, program.Origin);
        Assert.NotNull(program.Ptx);
        Assert.Null(program.Cubin);
        Assert.Contains($".target sm_{architecture["compute_".Length..]}", program.Ptx);
        Assert.Equal(["saxpy"], program.EntryNames);
        Assert.Empty(program.Warnings);
        Assert.Equal($"--gpu-architecture={architecture}", program.Options[0]);
        Assert.Equal(architecture, program.Architecture);
    }

    [SkippableFact]
    public void Compiles_a_cubin_for_a_real_architecture()
    {
        Requires.Nvrtc();
        CompiledProgram program = Nvrtc.CompileUncached(Saxpy, "saxpy.cu", "sm_80");

        Assert.NotNull(program.Cubin);
        Assert.True(program.Cubin.Length > 4);
        Assert.Equal("\u007fELF", System.Text.Encoding.ASCII.GetString(program.Cubin, 0, 4));
    }

    [SkippableFact]
    public void A_broken_kernel_throws_with_the_whole_log_and_the_name()
    {
        Requires.Nvrtc();
        const string broken = """
            extern "C" __global__ void broken_forward(const float* x, float* result, int n)
            {
                result[0] = undefined_function(x[0]);
            }
            """;

        var e = Assert.Throws<NvrtcCompilationException>(() => Nvrtc.Compile(broken, "Broken.cu", "compute_80"));

        Assert.Equal("Broken.cu", e.ProgramName);
        Assert.Equal("compute_80", e.Architecture);
        Assert.Equal("NVRTC_ERROR_COMPILATION", e.ErrorName);
        Assert.Contains("Broken.cu(3): error", e.Log);
        Assert.Contains("undefined_function", e.Log);
        Assert.Contains("Broken.cu", e.Message);
        Assert.Contains(e.Log.TrimEnd(), e.Message);
    }

    [SkippableFact]
    public void Warnings_are_collected_from_the_log()
    {
        Requires.Nvrtc();
        const string warns = """
            extern "C" __global__ void warns(float* out, int n)
            {
                int unused = 3;
                if (n > 0) out[0] = 1.0f;
            }
            """;

        CompiledProgram program = Nvrtc.CompileUncached(warns, "Warns.cu", "compute_80");

        Assert.NotEmpty(program.Warnings);
        Assert.Contains(program.Warnings, w => w.Contains("Warns.cu(3)", StringComparison.Ordinal));
        Assert.Contains("unused", program.Log);
    }

    [SkippableFact]
    public void An_invalid_option_throws_an_nvrtc_exception()
    {
        Requires.Nvrtc();
        var e = Assert.Throws<NvrtcException>(() => Nvrtc.CompileUncached(Saxpy, "saxpy.cu", "compute_80", "--no-such-option"));
        Assert.IsNotType<NvrtcCompilationException>(e);
        Assert.Equal("saxpy.cu", e.ProgramName);
        Assert.Contains("saxpy.cu", e.Message);
    }

    [Theory]
    [InlineData("80")]
    [InlineData("compute80")]
    [InlineData("compute_8")]
    [InlineData("sm_80;rm -rf")]
    [InlineData("")]
    public void A_malformed_architecture_is_rejected_before_nvrtc_is_called(string architecture)
    {
        var e = Assert.Throws<ArgumentException>(() => Nvrtc.Compile(NvrtcTests.Saxpy, "saxpy.cu", architecture));
        Assert.Contains(architecture, e.Message);
    }
}
