using ScottPlot;

namespace Gradgen.FashionMnist;

/// <summary>The training curves drawn with ScottPlot: losses on the left axis, test accuracy on the right.</summary>
internal static class MetricsPlot
{
    public static void Save(string path, string model, IReadOnlyList<double> trainLoss, IReadOnlyList<double> testLoss, IReadOnlyList<double> testAccuracy)
    {
        var plot = new Plot();
        double[] epochs = [.. Enumerable.Range(1, trainLoss.Count).Select(i => (double)i)];
        var train = plot.Add.Scatter(epochs, trainLoss.ToArray());
        train.LegendText = "training loss";
        var test = plot.Add.Scatter(epochs, testLoss.ToArray());
        test.LegendText = "test loss";
        test.LinePattern = LinePattern.Dashed;
        var accuracy = plot.Add.Scatter(epochs, testAccuracy.Select(a => a * 100).ToArray());
        accuracy.LegendText = "test accuracy (%)";
        accuracy.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Title($"Fashion-MNIST, {model}");
        plot.XLabel("epoch");
        plot.YLabel("cross-entropy");
        plot.Axes.Right.Label.Text = "test accuracy (%)";
        plot.ShowLegend(Alignment.MiddleRight);
        plot.SavePng(path, 800, 450);
    }
}
