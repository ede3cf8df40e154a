using ScottPlot;

namespace Gradgen.Tutorial;

/// <summary>The tutorial's figures (matplotlib's <c>ax.plot</c> in the seed) drawn with ScottPlot.</summary>
public static class Plots
{
    /// <summary>Width and height of every figure in pixels: the seed's <c>figsize=(6, 3)</c> at 120 dpi.</summary>
    public const int Width = 720, Height = 360;

    /// <summary>Draws each series against <paramref name="x"/> as a line with a legend and saves the figure as PNG.</summary>
    /// <param name="path">The PNG file to write.</param>
    /// <param name="title">The figure's title.</param>
    /// <param name="x">The horizontal coordinates (a 1-D tensor; detached before reading).</param>
    /// <param name="series">The curves: a legend label and a tensor of the same length as <paramref name="x"/>.</param>
    public static void Lines(string path, string title, Tensor x, params (string Label, Tensor Y)[] series)
    {
        double[] xs = ToDoubles(x);
        var plot = new Plot();
        foreach (var (label, y) in series)
        {
            var line = plot.Add.ScatterLine(xs, ToDoubles(y));
            line.LineWidth = 2;
            if (series.Length > 1)
            {
                line.LegendText = label;
            }
        }

        plot.Title(title);
        plot.XLabel("x");
        if (series.Length > 1)
        {
            plot.ShowLegend(Edge.Right);
        }
        else
        {
            plot.HideLegend();
        }

        plot.SavePng(path, Width, Height);
    }

    // PyTorch's x.detach().numpy(): the values, without the graph.
    static double[] ToDoubles(Tensor t) => t.Detach().To(DType.Float64).ToArray<double>();
}
