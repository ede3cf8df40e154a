using System.Globalization;
using System.Text;
using Gradgen.Cuda.Native;

namespace Gradgen.Cuda;

/// <summary>Some <c>CUdevice_attribute</c> values, for <see cref="CudaDevice.GetAttribute"/>.</summary>
public enum CudaDeviceAttribute
{
    /// <summary>Maximum threads per block.</summary>
    MaxThreadsPerBlock = 1,

    /// <summary>Maximum x-dimension of a grid.</summary>
    MaxGridDimX = 5,

    /// <summary>Warp size in threads.</summary>
    WarpSize = 10,

    /// <summary>Number of multiprocessors.</summary>
    MultiprocessorCount = 16,

    /// <summary>Global memory bus width in bits.</summary>
    GlobalMemoryBusWidth = 37,

    /// <summary>L2 cache size in bytes.</summary>
    L2CacheSize = 38,

    /// <summary>Maximum resident threads per multiprocessor.</summary>
    MaxThreadsPerMultiprocessor = 39,

    /// <summary>PCI bus identifier.</summary>
    PciBusId = 33,

    /// <summary>Major compute capability.</summary>
    ComputeCapabilityMajor = 75,

    /// <summary>Minor compute capability.</summary>
    ComputeCapabilityMinor = 76,
}

/// <summary>One CUDA device, by ordinal, with what Gradgen needs to know about it.</summary>
public sealed unsafe class CudaDevice
{
    CudaDevice(int ordinal, int handle)
    {
        Ordinal = ordinal;
        Handle = handle;

        var name = new byte[256];
        fixed (byte* n = name)
        {
            CudaException.Check(CudaDriverNative.cuDeviceGetName(n, name.Length, handle), "cuDeviceGetName");
        }

        int length = Array.IndexOf(name, (byte)0);
        Name = Encoding.UTF8.GetString(name, 0, length < 0 ? name.Length : length);
        ComputeCapability = new Version(
            GetAttribute(CudaDeviceAttribute.ComputeCapabilityMajor), GetAttribute(CudaDeviceAttribute.ComputeCapabilityMinor));
        MultiprocessorCount = GetAttribute(CudaDeviceAttribute.MultiprocessorCount);
        MaxThreadsPerBlock = GetAttribute(CudaDeviceAttribute.MaxThreadsPerBlock);
        nuint bytes = 0;
        CudaException.Check(CudaDriverNative.cuDeviceTotalMem_v2(&bytes, handle), "cuDeviceTotalMem_v2");
        TotalMemoryBytes = (long)bytes;
    }

    /// <summary>The device's ordinal (0 for the first).</summary>
    public int Ordinal { get; }

    /// <summary>The driver's <c>CUdevice</c> handle.</summary>
    public int Handle { get; }

    /// <summary>The device's name, such as <c>NVIDIA H100 80GB HBM3</c>.</summary>
    public string Name { get; }

    /// <summary>The compute capability, such as 9.0.</summary>
    public Version ComputeCapability { get; }

    /// <summary>The number of streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; }

    /// <summary>The most threads one block may have.</summary>
    public int MaxThreadsPerBlock { get; }

    /// <summary>The device's global memory in bytes.</summary>
    public long TotalMemoryBytes { get; }

    /// <summary>The real architecture of this device for NVRTC, such as <c>sm_90</c>.</summary>
    public string RealArchitecture => $"sm_{ComputeCapability.Major}{ComputeCapability.Minor}";

    /// <summary>The virtual architecture of this device for NVRTC, such as <c>compute_90</c>.</summary>
    public string VirtualArchitecture => $"compute_{ComputeCapability.Major}{ComputeCapability.Minor}";

    /// <summary>One line: name, compute capability, memory and multiprocessors.</summary>
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"{Name}, compute capability {ComputeCapability.Major}.{ComputeCapability.Minor}, " +
        $"{TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB, {MultiprocessorCount} SMs");

    /// <summary>The device with ordinal <paramref name="ordinal"/>.</summary>
    /// <param name="ordinal">0 for the first device.</param>
    /// <returns>The device.</returns>
    /// <exception cref="CudaException">CUDA is unavailable or there is no such device.</exception>
    public static CudaDevice Get(int ordinal)
    {
        Cuda.ThrowIfUnavailable();
        if ((uint)ordinal >= (uint)Cuda.DeviceCount)
        {
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal,
                $"device ordinal {ordinal} is out of range: the driver reports {Cuda.DeviceCount} device(s)");
        }

        lock (devices)
        {
            if (!devices.TryGetValue(ordinal, out CudaDevice? device))
            {
                int handle = 0;
                CudaException.Check(CudaDriverNative.cuDeviceGet(&handle, ordinal), "cuDeviceGet");
                device = new CudaDevice(ordinal, handle);
                devices[ordinal] = device;
            }

            return device;
        }
    }

    /// <summary>Reads one attribute with <c>cuDeviceGetAttribute</c>.</summary>
    /// <param name="attribute">The attribute.</param>
    /// <returns>Its value.</returns>
    public int GetAttribute(CudaDeviceAttribute attribute)
    {
        int value = 0;
        CudaException.Check(CudaDriverNative.cuDeviceGetAttribute(&value, (int)attribute, Handle), "cuDeviceGetAttribute", attribute.ToString());
        return value;
    }

    /// <inheritdoc/>
    public override string ToString() => Description;

    static readonly Dictionary<int, CudaDevice> devices = [];
}
