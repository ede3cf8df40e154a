namespace Gradgen.Distributed;

/// <summary>How <see cref="Distributed.AllReduce"/> combines the ranks' elements (PyTorch's <c>torch.distributed.ReduceOp</c>).</summary>
public enum ReduceOp
{
    /// <summary>The sum over ranks (<c>MPI_SUM</c>).</summary>
    Sum,

    /// <summary>The minimum over ranks (<c>MPI_MIN</c>).</summary>
    Min,

    /// <summary>The maximum over ranks (<c>MPI_MAX</c>).</summary>
    Max,
}
