using Spectre.Console;

namespace Gradgen.FashionMnist;

/// <summary>A live progress bar per epoch (Spectre.Console): batches done, loss, throughput, elapsed time and ETA.</summary>
internal sealed class LiveDisplay : ITrainingDisplay
{
    public void Epoch(int epoch, int epochs, int batches, int batchSize, Action<Action<int, double>> loop)
    {
        var clock = new EpochClock(batches, batchSize);
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                string title = $"epoch {epoch}/{epochs}";
                var task = context.AddTask(title, maxValue: batches);
                loop((done, loss) =>
                {
                    task.Value = done;
                    task.Description = Markup.Escape($"{title}  {done}/{batches}  {clock.Status(done, loss)}");
                });
            });
    }

    public void Line(string text) => AnsiConsole.MarkupLine(Markup.Escape(text));
}
