namespace Gradgen.FashionMnist;

/// <summary>How the sample shows its progress: live (<see cref="LiveDisplay"/>) or as plain lines (<see cref="PlainDisplay"/>).</summary>
internal interface ITrainingDisplay
{
    /// <summary>
    /// Runs one epoch's loop, showing its progress: <paramref name="loop"/> calls the given reporter after each batch
    /// with the number of batches done and the batch's loss.
    /// </summary>
    void Epoch(int epoch, int epochs, int batches, int batchSize, Action<Action<int, double>> loop);

    /// <summary>Shows a line of text.</summary>
    void Line(string text);
}

/// <summary>Throughput and time left of an epoch in progress, for both displays.</summary>
internal sealed class EpochClock(int batches, int batchSize)
{
    private readonly System.Diagnostics.Stopwatch watch = System.Diagnostics.Stopwatch.StartNew();

    public double ImagesPerSecond(int done) => done * batchSize / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);

    public TimeSpan Remaining(int done) => done == 0 ? TimeSpan.Zero : watch.Elapsed * (batches - done) / done;

    public string Status(int done, double loss) =>
        FormattableString.Invariant($"loss {loss:F4}  {ImagesPerSecond(done):F0} img/s  ETA {Remaining(done):mm\\:ss}");
}
