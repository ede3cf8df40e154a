namespace Gradgen.Distributed;

/// <summary>
/// A collective operation failed, timed out, or was asked of a process group that an earlier failure left unusable.
/// Where it is raised, no parameter or gradient was changed by the failed operation.
/// </summary>
public class DistributedException : Exception
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    /// <param name="message">What failed, on which rank.</param>
    public DistributedException(string message) : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="inner"/>.</summary>
    /// <param name="message">What failed, on which rank.</param>
    /// <param name="inner">The cause.</param>
    public DistributedException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>An MPI call returned an error code (errors are returned, not fatal: <c>MPI_ERRORS_RETURN</c>).</summary>
public sealed class MpiException : DistributedException
{
    /// <summary>An exception for <paramref name="call"/> returning <paramref name="errorCode"/>, described by MPI as <paramref name="errorString"/>.</summary>
    /// <param name="call">The MPI function, e.g. <c>MPI_Iallreduce</c>.</param>
    /// <param name="errorCode">The code it returned.</param>
    /// <param name="errorString">MPI's text for the code (<c>MPI_Error_string</c>).</param>
    /// <param name="rank">The rank of this process, or -1 before it is known.</param>
    public MpiException(string call, int errorCode, string errorString, int rank)
        : base($"{call} failed on rank {rank} with MPI error {errorCode}: {errorString}")
    {
        Call = call;
        ErrorCode = errorCode;
        ErrorString = errorString;
    }

    /// <summary>The MPI function that failed.</summary>
    public string Call { get; }

    /// <summary>The error code it returned.</summary>
    public int ErrorCode { get; }

    /// <summary>MPI's description of the error.</summary>
    public string ErrorString { get; }
}
