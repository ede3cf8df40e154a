using Gradgen.Cuda.Native;

namespace Gradgen.Cuda;

/// <summary>
/// Entry point of the CUDA backend: whether the driver and a device are there (and why not), what they are, and the
/// primary context of device 0 shared by everything that does not name a context.
/// </summary>
public static unsafe class Cuda
{
    static readonly Lazy<ProbeResult> probe = new(Probe);
    static readonly Lazy<CudaContext> defaultContext = new(() => CudaContext.Create(0));

    /// <summary>Whether the CUDA driver loaded, <c>cuInit</c> succeeded and there is at least one device.</summary>
    public static bool IsAvailable => probe.Value.Reason is null;

    /// <summary>Why CUDA is unavailable (for test skips and messages), or <see langword="null"/> when it is available.</summary>
    public static string? UnavailableReason => probe.Value.Reason;

    /// <summary>How many CUDA devices the driver sees; 0 when CUDA is unavailable.</summary>
    public static int DeviceCount => probe.Value.DeviceCount;

    /// <summary>The driver's CUDA version (13.0 for a CUDA 13 driver), or <see langword="null"/> when it did not load.</summary>
    public static Version? DriverVersion => probe.Value.DriverVersion;

    /// <summary>The driver library file that was loaded, or <see langword="null"/>.</summary>
    public static string? DriverLibraryPath => NativeLibraries.DriverLibrary.Path;

    /// <summary>
    /// One line about device 0: name, compute capability, memory and multiprocessors; or, when CUDA is unavailable,
    /// the reason.
    /// </summary>
    public static string DeviceDescription =>
        probe.Value.Reason is { } reason ? $"no CUDA device: {reason}" : CudaDevice.Get(0).Description;

    /// <summary>The primary context of device 0, retained on first use and kept for the life of the process.</summary>
    /// <exception cref="CudaException">CUDA is unavailable.</exception>
    public static CudaContext DefaultContext => defaultContext.Value;

    static readonly Lazy<bool> registered = new(() =>
    {
        DeviceBackends.Register(new CudaTensorBackend(DefaultContext));
        return true;
    });

    /// <summary>
    /// Makes tensors on <c>Device.Cuda(0)</c> work: registers the CUDA backend with Gradgen's runtime (once; later calls
    /// do nothing). Call it at start-up in programs that use GPU tensors; <c>x.To(Device.Cuda())</c> without it throws
    /// an error that says so.
    /// </summary>
    /// <returns>Whether a GPU is present (<see cref="IsAvailable"/>); the backend is registered only then.</returns>
    public static bool Register()
    {
        if (!IsAvailable)
        {
            return false;
        }

        return registered.Value;
    }

    /// <summary>Throws a <see cref="CudaException"/> that says why when CUDA is unavailable.</summary>
    public static void ThrowIfUnavailable()
    {
        if (probe.Value.Reason is { } reason)
        {
            throw new CudaException(probe.Value.ErrorCode, probe.Value.ErrorName, "cuInit", null, $"CUDA is unavailable: {reason}");
        }
    }

    static ProbeResult Probe()
    {
        LoadedLibrary library = NativeLibraries.DriverLibrary;
        if (!library.IsLoaded)
        {
            return new ProbeResult(library.Error ?? "the CUDA driver was not found", null, 0, -1, "DRIVER_NOT_FOUND");
        }

        try
        {
            int version = 0;
            Version? driverVersion = CudaDriverNative.cuDriverGetVersion(&version) == CudaDriverNative.Success
                ? new Version(version / 1000, version % 1000 / 10)
                : null;

            int result = CudaDriverNative.cuInit(0);
            if (result != CudaDriverNative.Success)
            {
                string name = CudaDriverNative.ErrorName(result);
                return new ProbeResult($"cuInit failed with {name} ({library.Path})", driverVersion, 0, result, name);
            }

            int count = 0;
            result = CudaDriverNative.cuDeviceGetCount(&count);
            if (result != CudaDriverNative.Success)
            {
                string name = CudaDriverNative.ErrorName(result);
                return new ProbeResult($"cuDeviceGetCount failed with {name}", driverVersion, 0, result, name);
            }

            return count == 0
                ? new ProbeResult("the CUDA driver reports no device", driverVersion, 0, 100, "CUDA_ERROR_NO_DEVICE")
                : new ProbeResult(null, driverVersion, count, 0, "CUDA_SUCCESS");
        }
        catch (EntryPointNotFoundException e)
        {
            return new ProbeResult($"{library.Path} is not a usable CUDA driver: {e.Message}", null, 0, -1, "DRIVER_NOT_USABLE");
        }
    }

    sealed record ProbeResult(string? Reason, Version? DriverVersion, int DeviceCount, int ErrorCode, string ErrorName);
}
