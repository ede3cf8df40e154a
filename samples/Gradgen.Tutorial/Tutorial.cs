using Gradgen.Tutorial.Sections;

namespace Gradgen.Tutorial;

/// <summary>The whole walk through sections 12.1 to 12.4 of the PyTorch tutorial (../shared/seed/pytorch-tutorial-es.txt).</summary>
public static class Tutorial
{
    /// <summary>Runs every section in order, printing to <paramref name="output"/> and writing the plots as PNG files into <paramref name="plotDirectory"/>.</summary>
    /// <returns>The paths of the PNG files written.</returns>
    public static IReadOnlyList<string> Run(TextWriter output, string plotDirectory)
    {
        var nb = new Notebook(output, plotDirectory);
        nb.Say("Gradgen: PyTorch's beginner tutorial in C#");
        nb.Say("Each '>' line is the C# for one step of the tutorial, followed by what it prints (as PyTorch prints it).");
        Tensors.Run(nb);
        AutoDifferentiation.Run(nb);
        ComputationGraph.Run(nb);
        NeuralNetworks.Run(nb);
        nb.Section("Plots");
        foreach (string path in nb.PlotFiles)
        {
            nb.Say(path);
        }

        return nb.PlotFiles;
    }
}
