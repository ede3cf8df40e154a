namespace Gradgen.Cuda.Tests;

/// <summary>
/// Skips a test whose native dependency is missing, with the reason. NVRTC needs no GPU, so under <c>CI=true</c>
/// (where .ci/install-nvrtc.sh installs it) a missing NVRTC fails the test instead of skipping it. A GPU is never
/// required: GPU tests skip wherever <c>libcuda.so.1</c> or a device is absent.
/// </summary>
internal static class Requires
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static void Nvrtc()
    {
        if (Gradgen.Cuda.Nvrtc.UnavailableReason is { } reason)
        {
            if (IsCi)
            {
                Assert.Fail($"CI=true but NVRTC is unavailable ({reason}); .ci/install-nvrtc.sh installs it");
            }

            Skip.If(true, $"NVRTC is unavailable: {reason} (run .ci/install-nvrtc.sh)");
        }
    }

    public static void Gpu()
    {
        Nvrtc();
        Skip.If(Cuda.UnavailableReason is not null, $"no CUDA GPU: {Cuda.UnavailableReason}");
    }
}
