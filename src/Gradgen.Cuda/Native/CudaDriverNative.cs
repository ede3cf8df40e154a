using System.Runtime.InteropServices;

namespace Gradgen.Cuda.Native;

/// <summary>
/// The part of the CUDA driver API (<c>libcuda.so.1</c>) that Gradgen uses, as source-generated P/Invoke with
/// blittable signatures. Handles are <see cref="IntPtr"/>, <c>CUdevice</c> is <see cref="int"/>, <c>CUdeviceptr</c>
/// is <see cref="ulong"/>, <c>size_t</c> is <see cref="nuint"/>, <c>CUresult</c> is <see cref="int"/>. The versioned
/// entry points (<c>_v2</c>) are the ones the CUDA 11–13 headers map the plain names to.
/// </summary>
internal static unsafe partial class CudaDriverNative
{
    /// <summary><c>CUDA_SUCCESS</c>.</summary>
    internal const int Success = 0;

    /// <summary><c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    internal const int ErrorOutOfMemory = 2;

    /// <summary><c>CUDA_ERROR_NOT_READY</c>.</summary>
    internal const int ErrorNotReady = 600;

    /// <summary><c>CU_JIT_INFO_LOG_BUFFER</c>.</summary>
    internal const int JitInfoLogBuffer = 3;

    /// <summary><c>CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES</c>.</summary>
    internal const int JitInfoLogBufferSizeBytes = 4;

    /// <summary><c>CU_JIT_ERROR_LOG_BUFFER</c>.</summary>
    internal const int JitErrorLogBuffer = 5;

    /// <summary><c>CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES</c>.</summary>
    internal const int JitErrorLogBufferSizeBytes = 6;

    static CudaDriverNative() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuInit(uint flags);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuDriverGetVersion(int* driverVersion);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuGetErrorName(int error, byte** name);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuGetErrorString(int error, byte** text);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuDeviceGetCount(int* count);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuDeviceGet(int* device, int ordinal);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuDeviceGetName(byte* name, int length, int device);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuDeviceGetAttribute(int* value, int attribute, int device);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuDeviceTotalMem_v2(nuint* bytes, int device);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuDevicePrimaryCtxRetain(IntPtr* context, int device);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuDevicePrimaryCtxRelease_v2(int device);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuCtxSetCurrent(IntPtr context);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuCtxSynchronize();

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuMemGetInfo_v2(nuint* free, nuint* total);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuModuleLoadData(IntPtr* module, void* image);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuModuleLoadDataEx(
        IntPtr* module, void* image, uint numOptions, int* options, void** optionValues);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuModuleUnload(IntPtr module);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuModuleGetFunction(IntPtr* function, IntPtr module, byte* name);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuMemAlloc_v2(ulong* devicePointer, nuint bytes);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuMemFree_v2(ulong devicePointer);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuMemcpyDtoD_v2(ulong destination, ulong source, nuint bytes);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuMemsetD8_v2(ulong destination, byte value, nuint count);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuLaunchKernel(
        IntPtr function,
        uint gridDimX, uint gridDimY, uint gridDimZ,
        uint blockDimX, uint blockDimY, uint blockDimZ,
        uint sharedMemBytes, IntPtr stream, void** kernelParams, void** extra);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuEventCreate(IntPtr* @event, uint flags);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuEventRecord(IntPtr @event, IntPtr stream);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuEventSynchronize(IntPtr @event);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuEventElapsedTime(float* milliseconds, IntPtr start, IntPtr end);

    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuEventDestroy_v2(IntPtr @event);

    /// <summary>The driver's name for <paramref name="error"/> (<c>CUDA_ERROR_OUT_OF_MEMORY</c>), or its number.</summary>
    internal static string ErrorName(int error)
    {
        if (NativeLibraries.DriverLibrary.IsLoaded)
        {
            byte* name = null;
            if (cuGetErrorName(error, &name) == Success && name != null)
            {
                return Marshal.PtrToStringUTF8((IntPtr)name) ?? $"CUDA error {error}";
            }
        }

        return $"CUDA error {error}";
    }

    /// <summary>The driver's description of <paramref name="error"/>, or <see langword="null"/>.</summary>
    internal static string? ErrorDescription(int error)
    {
        if (NativeLibraries.DriverLibrary.IsLoaded)
        {
            byte* text = null;
            if (cuGetErrorString(error, &text) == Success && text != null)
            {
                return Marshal.PtrToStringUTF8((IntPtr)text);
            }
        }

        return null;
    }
}
