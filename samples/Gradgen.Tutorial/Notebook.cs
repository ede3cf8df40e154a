using System.Globalization;

namespace Gradgen.Tutorial;

/// <summary>
/// Prints the tutorial like a notebook: section headers that mirror the seed's numbering, short explanations, each
/// C# statement (prefixed with <c>&gt;</c>) followed by what it prints.
/// </summary>
public sealed class Notebook(TextWriter output, string plotDirectory)
{
    /// <summary>Where the output goes.</summary>
    public TextWriter Output { get; } = output;

    /// <summary>The folder the plots are written to (created when the first plot is saved).</summary>
    public string PlotDirectory { get; } = plotDirectory;

    /// <summary>The PNG files written so far, in order.</summary>
    public List<string> PlotFiles { get; } = [];

    /// <summary>A numbered section of the seed, underlined with <c>=</c>.</summary>
    public void Section(string title)
    {
        Output.WriteLine();
        Output.WriteLine(title);
        Output.WriteLine(new string('=', title.Length));
    }

    /// <summary>A heading inside a section, underlined with <c>-</c>.</summary>
    public void Heading(string title)
    {
        Output.WriteLine();
        Output.WriteLine(title);
        Output.WriteLine(new string('-', title.Length));
    }

    /// <summary>An explanation (one or more lines).</summary>
    public void Say(string text) => Output.WriteLine(text);

    /// <summary>A C# statement that prints nothing.</summary>
    public void Code(string code)
    {
        foreach (string line in code.Split('\n'))
        {
            Output.WriteLine("> " + line);
        }
    }

    /// <summary>A C# expression and its value, printed as PyTorch would print it.</summary>
    public void Show(string code, object? value)
    {
        Code(code);
        Output.WriteLine(Format(value));
    }

    /// <summary>Saves a plot through <see cref="Plots.Lines"/> and says where it went.</summary>
    public void Plot(string fileName, string title, Tensor x, params (string Label, Tensor Y)[] series)
    {
        Directory.CreateDirectory(PlotDirectory);
        string path = Path.GetFullPath(Path.Combine(PlotDirectory, fileName));
        Plots.Lines(path, title, x, series);
        PlotFiles.Add(path);
        Output.WriteLine($"[plot] {title} -> {path}");
    }

    /// <summary>
    /// PyTorch's way of printing values: tensors and parameters by their <c>ToString</c>, numbers invariantly,
    /// <see langword="null"/> as <c>null</c>, tuples as <c>(a, b)</c> and float arrays as NumPy prints them.
    /// </summary>
    public static string Format(object? value) => value switch
    {
        null => "null",
        string s => s,
        Tensor t => t.ToString(),
        Gradgen.Nn.Module m => m.ToString(),
        Shape s => s.ToString(),
        bool b => b ? "True" : "False",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float[] a => "float[] { " + string.Join(", ", a.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + " }",
        System.Runtime.CompilerServices.ITuple t => FormatTuple(Enumerable.Range(0, t.Length).Select(i => Format(t[i])).ToList()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(Format)) + "]",
        _ => value.ToString() ?? "",
    };

    // As IPython prints a tuple: on one line when every item fits on one, else one item per line, continuation lines
    // indented by one space.
    static string FormatTuple(List<string> items) =>
        items.Any(i => i.Contains('\n'))
            ? "(" + string.Join(",\n ", items.Select(i => i.Replace("\n", "\n ", StringComparison.Ordinal))) + ")"
            : "(" + string.Join(", ", items) + ")";
}
