using System.Globalization;

namespace Gradgen.Nn;

/// <summary>
/// A lookup table (PyTorch's <c>nn.Embedding</c>): an Int32 or Int64 tensor of indices of any shape becomes the rows
/// of <c>weight</c> [numEmbeddings, embeddingDim] (initialised N(0, 1)), shape [..indices, embeddingDim]; the
/// gradient of repeated indices adds up.
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>A table of <paramref name="numEmbeddings"/> vectors of <paramref name="embeddingDim"/> elements.</summary>
    /// <param name="numEmbeddings">The number of rows.</param>
    /// <param name="embeddingDim">The size of each row.</param>
    /// <param name="dtype">Float32 or Float64.</param>
    /// <exception cref="ArgumentException">A size is negative or the dtype is not floating.</exception>
    public Embedding(int numEmbeddings, int embeddingDim, DType dtype = DType.Float32)
    {
        if (numEmbeddings < 0 || embeddingDim < 0 || !dtype.IsFloating())
        {
            throw new ArgumentException($"Embedding: sizes must be non-negative and the dtype Float32 or Float64; got num_embeddings={numEmbeddings}, embedding_dim={embeddingDim}, {dtype}.");
        }

        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        Weight = new Parameter(Tensor.Randn([numEmbeddings, embeddingDim], dtype));
        RegisterParameter("weight", Weight);
    }

    /// <summary>The number of rows.</summary>
    public int NumEmbeddings { get; }

    /// <summary>The size of each row.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The table [numEmbeddings, embeddingDim].</summary>
    public Parameter Weight { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The indices are not integers.</exception>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.DType is not (DType.Int64 or DType.Int32))
        {
            throw new ArgumentException($"Embedding: expected Int64 or Int32 indices, got {input.DType}.", nameof(input));
        }

        var index = input.DType == DType.Int64 ? input : input.To(DType.Int64);
        return Weight.IndexSelect(0, index.Reshape(-1)).Reshape([.. input.Shape.ToArray(), EmbeddingDim]);
    }

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"{NumEmbeddings}, {EmbeddingDim}");
}
