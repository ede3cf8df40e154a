using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Model;
using Microsoft.CodeAnalysis.CSharp;

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
        // A parameter named like a keyword (double @class) is written escaped wherever it is an identifier; names
        // made from it (its gradient dclass) need no escape.
        var raw = signature.ParameterNames.ToArray();
        Parameters = raw.Select(Escape).ToArray();
        // gradgenSpans is a local of the span overloads; gg_i and gg_n are the CUDA loop's index and length.
        var taken = new HashSet<string>(raw) { "gradgenSpans", "gg_i", "gg_n" };
        Result = Unique("result", taken);
        GradOutput = Unique("gradOutput", taken);
        Gradients = raw.Select(p => Unique("d" + p, taken)).ToArray();
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

    /// <summary><paramref name="name"/> as a C# identifier: <c>@class</c> for a reserved keyword.</summary>
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static string Unique(string name, HashSet<string> taken)
    {
        while (!taken.Add(name))
        {
            name = "d" + name;
        }

        return name;
    }
}
