using Gradgen.Cuda.Native;

namespace Gradgen.Cuda.Tests;

public class AvailabilityTests
{
    [Fact]
    public void Library_candidates_go_from_cuda_13_to_11()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        IReadOnlyList<string> nvrtc = NativeLibraries.NvrtcCandidates();
        Assert.Equal(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"], nvrtc.Take(4));
        Assert.Contains("/usr/local/cuda/lib64/libnvrtc.so.13", nvrtc);
        Assert.Equal("libcuda.so.1", NativeLibraries.DriverCandidates()[0]);
    }

    [Fact]
    public void Cuda_is_available_or_says_why()
    {
        if (Cuda.IsAvailable)
        {
            Assert.Null(Cuda.UnavailableReason);
            Assert.True(Cuda.DeviceCount > 0);
            Assert.Contains("compute capability", Cuda.DeviceDescription);
        }
        else
        {
            Assert.False(string.IsNullOrWhiteSpace(Cuda.UnavailableReason));
            Assert.Equal(0, Cuda.DeviceCount);
            Assert.StartsWith("no CUDA device: ", Cuda.DeviceDescription);
            var e = Assert.Throws<CudaException>(() => CudaContext.Create());
            Assert.Contains(Cuda.UnavailableReason, e.Message);
        }
    }

    [Fact]
    public void Nvrtc_is_available_or_says_why()
    {
        if (Nvrtc.IsAvailable)
        {
            Assert.Null(Nvrtc.UnavailableReason);
            Assert.NotNull(Nvrtc.Version);
        }
        else
        {
            Assert.Contains("libnvrtc", Nvrtc.UnavailableReason);
            Assert.Null(Nvrtc.Version);
            var e = Assert.Throws<NvrtcException>(() => Nvrtc.Compile(NvrtcTests.Saxpy, "saxpy.cu"));
            Assert.Contains(Nvrtc.UnavailableReason!, e.Message);
        }
    }
}
