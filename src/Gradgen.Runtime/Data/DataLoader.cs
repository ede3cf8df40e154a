using System.Collections;

namespace Gradgen.Data;

/// <summary>
/// Batches of a <see cref="Dataset"/> (PyTorch's <c>torch.utils.data.DataLoader</c>): each enumeration is one epoch
/// of (inputs, targets) batches of <see cref="BatchSize"/> items in order, or in a fresh random permutation of all
/// items when shuffling; the last batch is smaller unless <see cref="DropLast"/>.
/// </summary>
/// <remarks>
/// The next batch is collated on a background thread while the current one is used (prefetch). Batches are written
/// into tensors that the loader owns and reuses, two full-size pairs and one for a smaller last batch, so once warm an
/// epoch allocates no new arrays: a batch's tensors are valid until the enumeration moves to the next batch; call
/// <see cref="Tensor.Clone"/> to keep one. One enumeration of a loader at a time.
/// </remarks>
public sealed class DataLoader : IEnumerable<(Tensor Input, Tensor Target)>
{
    private readonly Random random;
    private readonly int[] order;
    private readonly (Tensor Input, Tensor Target)?[] buffers = new (Tensor, Tensor)?[3];
    private int enumerating;

    /// <summary>A loader of <paramref name="dataset"/> in batches of <paramref name="batchSize"/>.</summary>
    /// <param name="dataset">The data set.</param>
    /// <param name="batchSize">Items per batch, ≥ 1.</param>
    /// <param name="shuffle">Visit the items in a new random order every epoch.</param>
    /// <param name="dropLast">Leave out the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="seed">Seeds the shuffling, so that the sequence of epochs is reproducible; null for a random seed.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    public DataLoader(Dataset dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"DataLoader: batchSize should be a positive integer value, but got batch_size={batchSize}.");
        }

        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        random = seed is { } s ? new Random(s) : new Random();
        order = new int[dataset.Count];
    }

    /// <summary>The data set.</summary>
    public Dataset Dataset { get; }

    /// <summary>Items per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the items in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a smaller last batch is left out.</summary>
    public bool DropLast { get; }

    /// <summary>The number of batches per epoch (PyTorch's <c>len(loader)</c>).</summary>
    public int Count => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>Starts an epoch.</summary>
    /// <exception cref="InvalidOperationException">Another enumeration of this loader has not finished.</exception>
    public IEnumerator<(Tensor Input, Tensor Target)> GetEnumerator()
    {
        if (Interlocked.Exchange(ref enumerating, 1) != 0)
        {
            throw new InvalidOperationException("DataLoader: the loader is already being enumerated; finish or dispose that enumeration first (its batches share the loader's buffers).");
        }

        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (Shuffle)
        {
            random.Shuffle(order);
        }

        return new Epoch(this);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The tensors of batch <paramref name="batch"/>: full batches alternate between two pairs, a smaller last batch has its own.</summary>
    private (Tensor Input, Tensor Target) Buffer(int batch, int size)
    {
        int slot = size == BatchSize ? batch % 2 : 2;
        if (buffers[slot] is { } b && b.Input.Shape[0] == size)
        {
            return b;
        }

        var (inputShape, inputDType) = Dataset.InputInfo;
        var (targetShape, targetDType) = Dataset.TargetInfo;
        var made = (Tensor.Empty(inputDType, [size, .. inputShape]), Tensor.Empty(targetDType, [size, .. targetShape]));
        buffers[slot] = made;
        return made;
    }

    private sealed class Epoch : IEnumerator<(Tensor Input, Tensor Target)>
    {
        private readonly DataLoader loader;
        private readonly int count;
        private readonly Action fillNext;
        private int next;
        private Task? pending;
        private bool disposed;

        public Epoch(DataLoader loader)
        {
            this.loader = loader;
            count = loader.Count;
            fillNext = () => Fill(next);
        }

        public (Tensor Input, Tensor Target) Current { get; private set; }

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (next >= count)
            {
                Current = default;
                return false;
            }

            if (pending is null)
            {
                Fill(next);
            }
            else
            {
                var task = pending;
                pending = null;
                task.GetAwaiter().GetResult();
            }

            Current = Batch(next);
            next++;

            // The consumer has let go of batch next − 2, whose tensors batch next reuses: collate it in the background.
            if (next < count)
            {
                pending = Task.Run(fillNext);
            }

            return true;
        }

        private (int Start, int Size) Range(int batch)
        {
            int start = batch * loader.BatchSize;
            return (start, Math.Min(loader.BatchSize, loader.order.Length - start));
        }

        private (Tensor Input, Tensor Target) Batch(int batch) => loader.Buffer(batch, Range(batch).Size);

        private void Fill(int batch)
        {
            var (start, size) = Range(batch);
            var (input, target) = loader.Buffer(batch, size);
            loader.Dataset.Collate(loader.order.AsSpan(start, size), input, target);
        }

        public void Reset() => throw new NotSupportedException("DataLoader: start a new epoch with a new enumeration.");

        public void Dispose()
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            try
            {
                pending?.Wait();
            }
            catch (AggregateException)
            {
                // The batch that failed was never handed out; its error went to no one, as the epoch was abandoned.
            }

            pending = null;
            Volatile.Write(ref loader.enumerating, 0);
        }
    }
}
