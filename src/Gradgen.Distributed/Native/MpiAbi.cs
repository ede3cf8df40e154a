namespace Gradgen.Distributed.Native;

/// <summary>
/// The handle values of the MPI library that loaded. The MPI standard fixes names, not values: MPICH's <c>mpi.h</c>
/// (whose values MS-MPI shares) defines them as integer constants, Open MPI's as the addresses of objects the library
/// exports (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>), which are found with
/// <see cref="System.Runtime.InteropServices.NativeLibrary.GetExport"/>.
/// </summary>
/// <param name="Implementation">"MPICH" or "Open MPI".</param>
/// <param name="CommWorld"><c>MPI_COMM_WORLD</c>.</param>
/// <param name="Float"><c>MPI_FLOAT</c>.</param>
/// <param name="Double"><c>MPI_DOUBLE</c>.</param>
/// <param name="Int"><c>MPI_INT</c>.</param>
/// <param name="Int64"><c>MPI_INT64_T</c>.</param>
/// <param name="Bool"><c>MPI_C_BOOL</c> (one byte, as .NET's bool).</param>
/// <param name="Sum"><c>MPI_SUM</c>.</param>
/// <param name="Min"><c>MPI_MIN</c>.</param>
/// <param name="Max"><c>MPI_MAX</c>.</param>
/// <param name="ErrorsReturn"><c>MPI_ERRORS_RETURN</c>: errors come back as codes instead of aborting the job.</param>
/// <param name="InPlace"><c>MPI_IN_PLACE</c>.</param>
/// <param name="StatusIgnore"><c>MPI_STATUS_IGNORE</c>.</param>
internal sealed record MpiAbi(
    string Implementation, nint CommWorld, nint Float, nint Double, nint Int, nint Int64, nint Bool, nint Sum, nint Min, nint Max,
    nint ErrorsReturn, nint InPlace, nint StatusIgnore)
{
    /// <summary>MPICH's <c>mpi.h</c> (4.x; the values have not changed since MPICH 3 and are MS-MPI's too).</summary>
    internal static MpiAbi Mpich { get; } = new(
        "MPICH",
        CommWorld: 0x44000000,
        Float: 0x4c00040a,
        Double: 0x4c00080b,
        Int: 0x4c000405,
        Int64: 0x4c00083a,
        Bool: 0x4c00013f,
        Sum: 0x58000003,
        Min: 0x58000002,
        Max: 0x58000001,
        ErrorsReturn: 0x54000001,
        InPlace: -1,
        StatusIgnore: 1);

    /// <summary>The symbol whose presence tells Open MPI from MPICH.</summary>
    internal const string OpenMpiMarker = "ompi_mpi_comm_world";

    /// <summary>Open MPI's handles: the addresses of its predefined objects, looked up in the loaded library.</summary>
    internal static MpiAbi OpenMpi(Func<string, nint> export) => new(
        "Open MPI",
        CommWorld: export("ompi_mpi_comm_world"),
        Float: export("ompi_mpi_float"),
        Double: export("ompi_mpi_double"),
        Int: export("ompi_mpi_int"),
        Int64: export("ompi_mpi_int64_t"),
        Bool: export("ompi_mpi_c_bool"),
        Sum: export("ompi_mpi_op_sum"),
        Min: export("ompi_mpi_op_min"),
        Max: export("ompi_mpi_op_max"),
        ErrorsReturn: export("ompi_mpi_errors_return"),
        InPlace: 1,
        StatusIgnore: 0);
}
