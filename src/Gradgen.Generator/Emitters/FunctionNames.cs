using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Emitters;

/// <summary>
/// The names the generated members use for one function's values: its parameters, <c>result</c>, <c>gradOutput</c>
/// and a gradient <c>dp</c> per parameter <c>p</c>, made unique against each other (a parameter called <c>dx</c> next to
/// <c>x</c> gets the gradient <c>ddx</c>).
/// </summary>
internal sealed class FunctionNames
{
    public FunctionNames(FunctionSignature signature)
    {
        Parameters = signature.ParameterNames.ToArray();
        // gradgenSpans is a local of the span overloads; gg_i and gg_n are the CUDA loop's index and length.
        var taken = new HashSet<string>(Parameters) { "gradgenSpans", "gg_i", "gg_n" };
        Result = Unique("result", taken);
        GradOutput = Unique("gradOutput", taken);
        Gradients = Parameters.Select(p => Unique("d" + p, taken)).ToArray();
        Temporary = "t";
        while (taken.Any(n => n.StartsWith(Temporary, System.StringComparison.Ordinal) && n.Substring(Temporary.Length).All(char.IsDigit)))
        {
            Temporary += "_";
        }
    }

    /// <summary>Prefix of the kernels' intermediate values (<c>t3</c>), chosen not to collide with a parameter.</summary>
    public string Temporary { get; }

    public string[] Parameters { get; }

    public string Result { get; }

    public string GradOutput { get; }

    public string[] Gradients { get; }

    private static string Unique(string name, HashSet<string> taken)
    {
        while (!taken.Add(name))
        {
            name = "d" + name;
        }

        return name;
    }
}
