using System.Runtime.InteropServices;

namespace Gradgen.Cuda.Native;

/// <summary>NVRTC's <c>nvrtcResult</c>.</summary>
internal enum NvrtcResult
{
    Success = 0,
    OutOfMemory = 1,
    ProgramCreationFailure = 2,
    InvalidInput = 3,
    InvalidProgram = 4,
    InvalidOption = 5,
    Compilation = 6,
    BuiltinOperationFailure = 7,
    NoNameExpressionsAfterCompilation = 8,
    NoLoweredNamesBeforeCompilation = 9,
    NameExpressionNotValid = 10,
    InternalError = 11,
}

/// <summary>
/// The part of the NVRTC C API that Gradgen uses, as source-generated P/Invoke (blittable signatures only, so the
/// stubs are direct calls and NativeAOT-compatible). Strings are UTF-8, null-terminated, owned by the caller or by NVRTC
/// as the C API says. Every call goes through the resolver of <see cref="NativeLibraries"/>.
/// </summary>
internal static unsafe partial class NvrtcNative
{
    static NvrtcNative() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial byte* nvrtcGetErrorString(NvrtcResult result);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcVersion(int* major, int* minor);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetNumSupportedArchs(int* numArchs);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetSupportedArchs(int* supportedArchs);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcCreateProgram(
        IntPtr* program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcDestroyProgram(IntPtr* program);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcCompileProgram(IntPtr program, int numOptions, byte** options);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetProgramLogSize(IntPtr program, nuint* logSizeRet);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetProgramLog(IntPtr program, byte* log);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetPTXSize(IntPtr program, nuint* ptxSizeRet);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetPTX(IntPtr program, byte* ptx);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetCUBINSize(IntPtr program, nuint* cubinSizeRet);

    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial NvrtcResult nvrtcGetCUBIN(IntPtr program, byte* cubin);

    /// <summary>NVRTC's text for <paramref name="result"/>, or the number where NVRTC gives none.</summary>
    internal static string ErrorString(NvrtcResult result)
    {
        try
        {
            byte* text = nvrtcGetErrorString(result);
            if (text != null)
            {
                return Marshal.PtrToStringUTF8((IntPtr)text) ?? $"NVRTC_ERROR {(int)result}";
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }

        return $"NVRTC_ERROR {(int)result}";
    }
}
