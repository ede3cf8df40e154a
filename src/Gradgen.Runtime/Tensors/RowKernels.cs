namespace Gradgen;

/// <summary>
/// The GPU form of a span function's tensor overload, which the generator passes to <c>Tensor.ApplyRowwise</c>: the
/// CUDA source of its row kernels (<c>FRowsCudaSource</c>) and the arguments that are the same for every row; or, for
/// a function that has no row kernels, the reason, which a call on a device gives in its error.
/// </summary>
public sealed class RowKernels
{
    private RowKernels(string? source, string entry, DType sourceDType, long[] arguments, string? reason)
    {
        Source = source;
        Entry = entry;
        SourceDType = sourceDType;
        Arguments = arguments;
        Reason = reason;
    }

    /// <summary>The CUDA source, or null where the function has no row kernels.</summary>
    public string? Source { get; }

    /// <summary>The kernels' name prefix: they are <c>{Entry}_forward</c> and <c>{Entry}_backward</c>.</summary>
    public string Entry { get; }

    /// <summary>The element type the kernels compute in: the function's declared one, as on the CPU.</summary>
    public DType SourceDType { get; }

    /// <summary>The <c>int</c>, <c>long</c> and <c>bool</c> (0 or 1) arguments that are the same for every row, in parameter order.</summary>
    public IReadOnlyList<long> Arguments { get; }

    /// <summary>Why the function has no row kernels; null where it has them.</summary>
    public string? Reason { get; }

    /// <summary>Row kernels in <paramref name="source"/> named <paramref name="entry"/><c>_forward</c> and <c>_backward</c>.</summary>
    /// <param name="source">The CUDA source (<c>FRowsCudaSource</c>).</param>
    /// <param name="entry">The kernels' name prefix (<c>F_rows</c>).</param>
    /// <param name="sourceDType">Float32 or Float64: the element type the kernels compute in.</param>
    /// <param name="arguments">The function's non-tensor <c>int</c>, <c>long</c> and <c>bool</c> arguments, in order.</param>
    /// <returns>The kernels.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="entry"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="sourceDType"/> is not Float32 or Float64.</exception>
    public static RowKernels Cuda(string source, string entry, DType sourceDType, params long[] arguments)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(entry);
        if (!sourceDType.IsFloating()) throw new ArgumentException($"{entry}: row kernels compute in Float32 or Float64, not {sourceDType}.", nameof(sourceDType));
        return new RowKernels(source, entry, sourceDType, arguments ?? [], reason: null);
    }

    /// <summary>No row kernels, for the reason given (a call on a device throws <see cref="NotSupportedException"/> naming it).</summary>
    /// <param name="reason">Why: the construct the CUDA emitter does not handle.</param>
    /// <returns>The absence of kernels, with its reason.</returns>
    public static RowKernels None(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return new RowKernels(source: null, string.Empty, DType.Float32, [], reason);
    }
}
