using System.Runtime.InteropServices;

namespace Gradgen.Distributed.Native;

/// <summary>
/// The part of the MPI C API that Gradgen uses, as source-generated P/Invoke with blittable signatures.
/// </summary>
/// <remarks>
/// MPICH (and MS-MPI) define handles (<c>MPI_Comm</c>, <c>MPI_Datatype</c>, <c>MPI_Op</c>, <c>MPI_Request</c>,
/// <c>MPI_Errhandler</c>) as 32-bit integers; Open MPI defines them as pointers to exported objects. Both are passed in
/// an integer register by the x64 and arm64 calling conventions, so one binding with <see cref="nint"/> handles serves
/// both libraries: a 32-bit MPICH handle widened to 64 bits arrives as the same value. A request written by MPICH fills
/// the low 4 bytes of a zeroed <see cref="nint"/>, which is then that handle. Only single requests are passed by
/// pointer (never arrays, whose element size would differ). The handle values come from <see cref="MpiAbi"/>.
/// Every function returns an MPI error code (<see cref="Success"/> is 0 in every implementation).
/// </remarks>
internal static unsafe partial class MpiNative
{
    /// <summary><c>MPI_SUCCESS</c>.</summary>
    internal const int Success = 0;

    /// <summary><c>MPI_THREAD_SERIALIZED</c>: any thread may call MPI, one at a time (the same value in MPICH and Open MPI).</summary>
    internal const int ThreadSerialized = 2;

    /// <summary>A buffer at least as long as <c>MPI_MAX_ERROR_STRING</c> in MPICH (512), MS-MPI (512) and Open MPI (256).</summary>
    internal const int MaxErrorString = 1024;

    static MpiNative() => MpiLibrary.EnsureResolver();

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Initialized(int* flag);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Finalized(int* flag);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Init_thread(int* argc, byte*** argv, int required, int* provided);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Finalize();

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Abort(nint comm, int errorCode);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Comm_rank(nint comm, int* rank);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Comm_size(nint comm, int* size);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Comm_set_errhandler(nint comm, nint errhandler);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Ibarrier(nint comm, nint* request);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Ibcast(void* buffer, int count, nint datatype, int root, nint comm, nint* request);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Iallreduce(void* sendBuffer, void* receiveBuffer, int count, nint datatype, nint op, nint comm, nint* request);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Test(nint* request, int* flag, void* status);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Error_string(int errorCode, byte* text, int* length);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Get_library_version(byte* version, int* length);
}
