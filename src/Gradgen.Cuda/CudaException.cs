using Gradgen.Cuda.Native;

namespace Gradgen.Cuda;

/// <summary>
/// A CUDA driver call failed. <see cref="ErrorName"/> is the driver's name for the error
/// (<c>CUDA_ERROR_ILLEGAL_ADDRESS</c>), <see cref="Operation"/> the driver function, and <see cref="EntryName"/> the
/// kernel or module the call was about, where there is one.
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for a failed driver call.</summary>
    /// <param name="errorCode">The <c>CUresult</c> the driver returned.</param>
    /// <param name="errorName">The driver's name for it.</param>
    /// <param name="operation">The driver function that returned it.</param>
    /// <param name="entryName">The kernel or module concerned, or <see langword="null"/>.</param>
    /// <param name="message">The whole message.</param>
    public CudaException(int errorCode, string errorName, string operation, string? entryName, string message)
        : base(message)
    {
        ErrorCode = errorCode;
        ErrorName = errorName;
        Operation = operation;
        EntryName = entryName;
    }

    /// <summary>The <c>CUresult</c> number.</summary>
    public int ErrorCode { get; }

    /// <summary>The driver's name for the error, such as <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; }

    /// <summary>The driver function that failed, such as <c>cuLaunchKernel</c>.</summary>
    public string Operation { get; }

    /// <summary>The kernel (or module) the failed call was about, or <see langword="null"/>.</summary>
    public string? EntryName { get; }

    /// <summary>Throws a <see cref="CudaException"/> unless <paramref name="result"/> is <c>CUDA_SUCCESS</c>.</summary>
    internal static void Check(int result, string operation, string? entryName = null, string? detail = null)
    {
        if (result != CudaDriverNative.Success)
        {
            throw Create(result, operation, entryName, detail);
        }
    }

    /// <summary>Builds the exception for <paramref name="result"/> with the driver's name and description.</summary>
    internal static CudaException Create(int result, string operation, string? entryName, string? detail)
    {
        string name = CudaDriverNative.ErrorName(result);
        string? description = CudaDriverNative.ErrorDescription(result);
        string message = $"{operation} failed with {name}"
            + (description is null ? "" : $" ({description})")
            + (entryName is null ? "" : $" for '{entryName}'")
            + (string.IsNullOrWhiteSpace(detail) ? "" : $": {detail}");
        return new CudaException(result, name, operation, entryName, message);
    }
}

/// <summary>An NVRTC call other than the compilation itself failed (bad option, out of memory, …).</summary>
public class NvrtcException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorName">NVRTC's text for the error, such as <c>NVRTC_ERROR_INVALID_OPTION</c>.</param>
    /// <param name="programName">The program (kernel source) concerned.</param>
    /// <param name="message">The whole message.</param>
    public NvrtcException(string errorName, string programName, string message)
        : base(message)
    {
        ErrorName = errorName;
        ProgramName = programName;
    }

    /// <summary>NVRTC's text for the error, such as <c>NVRTC_ERROR_COMPILATION</c>.</summary>
    public string ErrorName { get; }

    /// <summary>The name the program was compiled under (the kernel or function name).</summary>
    public string ProgramName { get; }
}

/// <summary>NVRTC rejected a CUDA source. <see cref="Log"/> holds NVRTC's whole log, with every error and warning.</summary>
public sealed class NvrtcCompilationException : NvrtcException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="programName">The program (kernel source) that failed.</param>
    /// <param name="architecture">The target architecture, such as <c>compute_80</c>.</param>
    /// <param name="options">The options passed to NVRTC.</param>
    /// <param name="log">NVRTC's log.</param>
    public NvrtcCompilationException(string programName, string architecture, IReadOnlyList<string> options, string log)
        : base("NVRTC_ERROR_COMPILATION", programName,
            $"NVRTC could not compile '{programName}' for {architecture} (options: {string.Join(' ', options)}):"
            + Environment.NewLine + log.TrimEnd())
    {
        Architecture = architecture;
        Options = options;
        Log = log;
    }

    /// <summary>The target architecture, such as <c>compute_80</c>.</summary>
    public string Architecture { get; }

    /// <summary>Every option passed to NVRTC, the architecture option included.</summary>
    public IReadOnlyList<string> Options { get; }

    /// <summary>NVRTC's whole log.</summary>
    public string Log { get; }
}
