namespace Gradgen.FashionMnist;

/// <summary>Plain lines for redirected output (logs, CI): about ten progress lines per epoch.</summary>
internal sealed class PlainDisplay(TextWriter output) : ITrainingDisplay
{
    public void Epoch(int epoch, int epochs, int batches, int batchSize, Action<Action<int, double>> loop)
    {
        var clock = new EpochClock(batches, batchSize);
        int every = Math.Max(1, batches / 10);
        loop((done, loss) =>
        {
            if (done % every == 0 || done == batches)
            {
                output.WriteLine($"epoch {epoch}/{epochs}  batch {done}/{batches}  {clock.Status(done, loss)}");
            }
        });
    }

    public void Line(string text) => output.WriteLine(text);
}
