using ScottPlot;

namespace Gradgen.Mlp;

/// <summary>Loss curves drawn with ScottPlot.</summary>
public static class LossPlot
{
    /// <summary>Width and height of the figures in pixels.</summary>
    public const int Width = 800, Height = 450;

    /// <summary>
    /// Draws each series against its epoch (1, 2, …) and saves the figure as PNG. The first series is a solid line, the
    /// next ones dashed, so that coinciding curves stay visible.
    /// </summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="yLabel">The vertical axis' label.</param>
    /// <param name="logScale">Whether the vertical axis is logarithmic (the values must then be positive).</param>
    /// <param name="series">A legend label and the values per epoch.</param>
    public static void Save(string path, string title, string yLabel, bool logScale, params (string Label, IReadOnlyList<double> Values)[] series)
    {
        var plot = new Plot();
        for (int s = 0; s < series.Length; s++)
        {
            var (label, values) = series[s];
            double[] xs = [.. Enumerable.Range(1, values.Count).Select(i => (double)i)];
            double[] ys = [.. values.Select(v => logScale ? Math.Log10(Math.Max(v, 1e-12)) : v)];
            var line = plot.Add.ScatterLine(xs, ys);
            line.LineWidth = s == 0 ? 3 : 2;
            line.LinePattern = s == 0 ? LinePattern.Solid : LinePattern.Dashed;
            line.LegendText = label;
        }

        if (logScale)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = true,
                LabelFormatter = y => Math.Pow(10, y).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
            };
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
    }
}
