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
    private readonly HashSet<string> _parameters;

    public FunctionNames(FunctionSignature signature)
    {
        // A parameter named like a keyword (double @class) is written escaped wherever it is an identifier; names
        // made from it (its gradient dclass) need no escape.
        var raw = signature.ParameterNames.ToArray();
        Parameters = raw.Select(Escape).ToArray();
        // gradgenSpans is a local of the span overloads; gg_i and gg_n are the CUDA loop's index and length.
        var taken = new HashSet<string>(raw) { "gradgenSpans", "gg_i", "gg_n" };
        _parameters = new HashSet<string>(raw);
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

    /// <summary>
    /// The kernel temporary of node <paramref name="id"/> of <paramref name="graph"/>: after the source local that holds
    /// it (<c>r_t7</c>), else after its function (<c>exp_t10</c>), else plain (<c>t3</c>). The id keeps each unique, and
    /// <see cref="Temporary"/> keeps it apart from the parameters.
    /// </summary>
    public string TemporaryOf(Ir.IrGraph graph, int id)
    {
        string plain = Temporary + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string name = DescriptionOf(graph, id);
        return name.Length == 0 || _parameters.Contains(name + "_" + plain) ? plain : name + "_" + plain;
    }

    /// <summary>
    /// What node <paramref name="id"/> holds, to name a temporary after: the source local (<c>radius</c>), else the math
    /// function it computes (<c>exp</c>, the ISimd member in lower case), else empty. Every emitter that names
    /// temporaries (elementwise, loop and model kernels) takes its names from here.
    /// </summary>
    public static string DescriptionOf(Ir.IrGraph graph, int id)
    {
        string name = id < graph.Names.Count ? graph.Names[id].TrimStart('@') : "";
        var op = graph.Nodes[id].Op;
        if (name.Length == 0 && op is not (Ir.Op.Select or Ir.Op.FusedMultiplyAdd) && Rules.PrimitiveRules.Get(op) is { InfixPrecedence: 0, IsMask: false } rule
            && rule.SimdMethod.Length > 0)
        {
            name = rule.SimdMethod.ToLowerInvariant();
        }

        return name;
    }

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
