using System;
using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Emitters.CSharp;

/// <summary>
/// The tensor overload of a span function returning its element type: <c>Tensor F(Tensor x, …)</c> maps F over the
/// rows of its tensor arguments through <c>Tensor.ApplyRowwise</c> (one graph node, <c>FBackward</c>, whose backward
/// calls <c>FAccumulateGradient</c> per row). A span parameter takes a tensor's last dimension, a float parameter a
/// tensor of the leading shape, an <c>int</c> stays an <c>int</c> (or, in the second overload, an integer tensor with one
/// index per row).
/// </summary>
internal static class RowwiseEmitter
{
    private const string Tensor = "global::Gradgen.Tensor";

    /// <summary>A value, no outputs, spans (not arrays) for the row parameters, and the runtime in the compilation.</summary>
    public static bool CanMapOverRows(LoopFunction function) =>
        function.Declaration.EmitTensorOverload && function.Result is not null
        && function.Parameters.All(p => p.Role != ParameterRole.Output && !(p.Role == ParameterRole.ArrayInput && p.Type.EndsWith("[]", StringComparison.Ordinal)))
        && function.Parameters.Any(p => p.Role is ParameterRole.ArrayInput or ParameterRole.ScalarInput);

    /// <param name="writer">Where to write.</param>
    /// <param name="function">The span function.</param>
    /// <param name="taken">The names the generated code already uses.</param>
    /// <param name="indicesAsTensors">Whether <c>int</c> parameters become integer tensors (one index per row).</param>
    public static void Write(SourceWriter writer, LoopFunction function, IEnumerable<string> taken, bool indicesAsTensors)
    {
        var names = new HashSet<string>(taken);
        string unique(string name)
        {
            string candidate = name;
            for (int suffix = 2; !names.Add(candidate); suffix++)
            {
                candidate = name + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return candidate;
        }

        var declaration = function.Declaration;
        string f = declaration.Name;
        string t = declaration.ElementType;
        bool AsTensor(LoopParameter p) => p.Role != ParameterRole.Discrete || (indicesAsTensors && p.Type == "int");
        var tensors = function.Parameters.Where(AsTensor).ToList();
        string Kind(LoopParameter p) => p.Role switch
        {
            ParameterRole.ArrayInput => "Row",
            ParameterRole.ScalarInput => "Scalar",
            _ => "Index",
        };

        string inputs = unique("gradgenInputs"), output = unique("gradgenOutput"), gradOutput = unique("gradgenGradOutput"), grads = unique("gradgenGrads");
        string start = unique("gradgenStart"), end = unique("gradgenEnd"), row = unique("gradgenRow");
        var data = tensors.ToDictionary(p => p.Name, p => unique(p.Name.TrimStart('@') + "Data"));
        var lengths = tensors.Where(p => p.Role == ParameterRole.ArrayInput).ToDictionary(p => p.Name, p => unique(p.Name.TrimStart('@') + "Length"));
        var gradientData = tensors.Where(p => p.Role != ParameterRole.Discrete).ToDictionary(p => p.Name, p => unique("d" + p.Name.TrimStart('@') + "Data"));

        writer.Line("/// <summary>");
        writer.Line($"/// Maps <c>{f}</c> over rows: each span argument is a tensor whose last dimension is the span, each {t} argument a");
        writer.Line($"/// tensor of the leading shape{(indicesAsTensors ? ", each index an integer tensor with one index per row" : string.Empty)}; the leading dimensions broadcast. One graph node,");
        writer.Line($"/// <c>{f}Backward</c>; rows run on Gradgen's threads. Inputs are converted to {(t == "float" ? "Float32" : "Float64")}.");
        writer.Line("/// </summary>");
        foreach (var p in function.Parameters)
        {
            string what = p.Role switch
            {
                ParameterRole.ArrayInput => "rows of the span",
                ParameterRole.ScalarInput => "one value per row",
                _ when AsTensor(p) => "one index per row",
                _ => "the same for every row",
            };
            writer.Line($"/// <param name=\"{p.Name.TrimStart('@')}\"><c>{p.Name.TrimStart('@')}</c>: {what}.</param>");
        }

        writer.Line($"/// <returns>{f} of every row, shaped like the leading dimensions.</returns>");
        writer.Line(CSharpEmitter.GeneratedCode);
        string parameters = string.Join(", ", function.Parameters.Select(p => (AsTensor(p) ? Tensor : p.Type) + " " + p.Name));
        using (writer.Block($"{declaration.Accessibility} static {Tensor} {f}({parameters})"))
        {
            string kinds = string.Join(", ", tensors.Select(p => "global::Gradgen.RowArgument." + Kind(p)));
            string forward = unique("Forward"), backward = unique("Backward");
            writer.Line($"return {Tensor}.ApplyRowwise(\"{f}\", global::Gradgen.DType.{(t == "float" ? "Float32" : "Float64")}, [{string.Join(", ", tensors.Select(p => p.Name))}], [{kinds}], {forward}, {backward});");
            writer.Line();
            string span = $"global::System.ReadOnlySpan<{Tensor}>";
            using (writer.Block($"void {forward}({span} {inputs}, {Tensor} {output}, int {start}, int {end})"))
            {
                Unpack(writer, tensors, inputs, data, lengths, t);
                string values = unique("values");
                writer.Line($"var {values} = {output}.AsSpan<{t}>();");
                using (writer.Block($"for (int {row} = {start}; {row} < {end}; {row}++)"))
                {
                    writer.Line($"{values}[{row}] = {f}({Arguments(function, AsTensor, data, lengths, row)});");
                }
            }

            writer.Line();
            using (writer.Block($"void {backward}({span} {inputs}, {Tensor} {gradOutput}, global::System.ReadOnlySpan<{Tensor}?> {grads}, int {start}, int {end})"))
            {
                Unpack(writer, tensors, inputs, data, lengths, t);
                for (int i = 0; i < tensors.Count; i++)
                {
                    if (gradientData.TryGetValue(tensors[i].Name, out string? name))
                    {
                        writer.Line($"var {name} = {grads}[{i}]!.AsSpan<{t}>();");
                    }
                }

                string incoming = unique("incoming");
                writer.Line($"var {incoming} = {gradOutput}.AsSpan<{t}>();");
                using (writer.Block($"for (int {row} = {start}; {row} < {end}; {row}++)"))
                {
                    var gradients = function.Parameters.Where(p => p.Role is ParameterRole.ArrayInput or ParameterRole.ScalarInput).Select(p =>
                        p.Role == ParameterRole.ArrayInput
                            ? $"{gradientData[p.Name]}.Slice({row} * {lengths[p.Name]}, {lengths[p.Name]})"
                            : $"ref {gradientData[p.Name]}[{row}]");
                    string arguments = string.Join(", ", new[] { Arguments(function, AsTensor, data, lengths, row), $"{incoming}[{row}]" }.Concat(gradients));
                    writer.Line($"{f}AccumulateGradient({arguments});");
                }
            }
        }
    }

    private static void Unpack(SourceWriter writer, List<LoopParameter> tensors, string inputs, Dictionary<string, string> data, Dictionary<string, string> lengths, string t)
    {
        for (int i = 0; i < tensors.Count; i++)
        {
            var p = tensors[i];
            writer.Line($"var {data[p.Name]} = {inputs}[{i}].AsSpan<{(p.Role == ParameterRole.Discrete ? "long" : t)}>();");
            if (lengths.TryGetValue(p.Name, out string? length))
            {
                writer.Line($"int {length} = {inputs}[{i}].Shape[^1];");
            }
        }
    }

    private static string Arguments(LoopFunction function, Func<LoopParameter, bool> asTensor, Dictionary<string, string> data, Dictionary<string, string> lengths, string row) =>
        string.Join(", ", function.Parameters.Select(p => p.Role switch
        {
            ParameterRole.ArrayInput => $"{data[p.Name]}.Slice({row} * {lengths[p.Name]}, {lengths[p.Name]})",
            ParameterRole.ScalarInput => $"{data[p.Name]}[{row}]",
            _ when asTensor(p) => $"checked((int){data[p.Name]}[{row}])",
            _ => p.Name,
        }));
}
