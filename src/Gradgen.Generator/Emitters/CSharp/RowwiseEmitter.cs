using System;
using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Emitters.CSharp;

/// <summary>
/// The tensor overload of a span function: <c>Tensor F(Tensor x, …)</c> maps F over the rows of its tensor arguments
/// through <c>Tensor.ApplyRowwise</c> (one graph node, <c>FBackward</c>). A span parameter takes a tensor's last
/// dimension, a float parameter a tensor of the leading shape, an <c>int</c> stays an <c>int</c> (or, in the second
/// overload, an integer tensor with one index per row). A function returning its element type gives one value per row
/// and its backward calls <c>FAccumulateGradient</c> per row; a <c>void</c> function with one <c>Span</c> output gives
/// that output's rows (as long as the first span argument's row unless <c>outputLength</c> says otherwise) and its
/// backward calls <c>FBackward</c> per row with the output row's gradient.
/// </summary>
internal static class RowwiseEmitter
{
    private const string Tensor = "global::Gradgen.Tensor";

    /// <summary>
    /// A value or exactly one output (several outputs would need several result tensors), spans (not arrays) for the
    /// row parameters, something to differentiate, and the runtime in the compilation.
    /// </summary>
    public static bool CanMapOverRows(LoopFunction function) =>
        function.Declaration.EmitTensorOverload
        && (function.Result is not null || function.Parameters.Count(p => p.Role == ParameterRole.Output) == 1)
        && function.Parameters.All(p => !(p.Role == ParameterRole.ArrayInput && p.Type.EndsWith("[]", StringComparison.Ordinal)))
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
        // The span the method writes, for a void method: the overload returns its rows.
        var written = function.Parameters.SingleOrDefault(p => p.Role == ParameterRole.Output);
        bool AsTensor(LoopParameter p) => p.Role is ParameterRole.ArrayInput or ParameterRole.ScalarInput || (p.Role == ParameterRole.Discrete && indicesAsTensors && p.Type == "int");
        var tensors = function.Parameters.Where(AsTensor).ToList();
        string Kind(LoopParameter p) => p.Role switch
        {
            ParameterRole.ArrayInput => "Row",
            ParameterRole.ScalarInput => "Scalar",
            _ => "Index",
        };

        string inputs = unique("gradgenInputs"), output = unique("gradgenOutput"), gradOutput = unique("gradgenGradOutput"), grads = unique("gradgenGrads");
        string start = unique("gradgenStart"), end = unique("gradgenEnd"), row = unique("gradgenRow"), rowLength = unique("gradgenOutputRowLength");
        var data = tensors.ToDictionary(p => p.Name, p => unique(p.Name.TrimStart('@') + "Data"));
        var lengths = tensors.Where(p => p.Role == ParameterRole.ArrayInput).ToDictionary(p => p.Name, p => unique(p.Name.TrimStart('@') + "Length"));
        var gradientData = tensors.Where(p => p.Role != ParameterRole.Discrete).ToDictionary(p => p.Name, p => unique("d" + p.Name.TrimStart('@') + "Data"));
        // Without a span argument the output row has no length to follow: the length is then required.
        bool lengthRequired = !tensors.Any(p => p.Role == ParameterRole.ArrayInput);
        string? outputLength = written is null ? null : unique("outputLength");

        writer.Line("/// <summary>");
        writer.Line($"/// Maps <c>{f}</c> over rows: each span argument is a tensor whose last dimension is the span, each {t} argument a");
        writer.Line($"/// tensor of the leading shape{(indicesAsTensors ? ", each index an integer tensor with one index per row" : string.Empty)}; the leading dimensions broadcast. One graph node,");
        writer.Line($"/// <c>{f}Backward</c>; rows run on Gradgen's threads. Inputs are converted to {(t == "float" ? "Float32" : "Float64")}.");
        writer.Line("/// </summary>");
        foreach (var p in function.Parameters.Where(p => p.Role != ParameterRole.Output))
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

        if (written is not null)
        {
            string firstSpan = lengthRequired ? string.Empty : $"; null for the length of a row of <c>{tensors.First(p => p.Role == ParameterRole.ArrayInput).Name.TrimStart('@')}</c>";
            writer.Line($"/// <param name=\"{outputLength}\">The length of each row of <c>{written.Name.TrimStart('@')}</c>, the span <c>{f}</c> writes{firstSpan}.</param>");
            writer.Line($"/// <returns>The rows of <c>{written.Name.TrimStart('@')}</c>: shaped like the leading dimensions followed by the output row's length.</returns>");
        }
        else
        {
            writer.Line($"/// <returns>{f} of every row, shaped like the leading dimensions.</returns>");
        }

        writer.Line(CSharpEmitter.GeneratedCode);
        var parameters = function.Parameters.Where(p => p.Role != ParameterRole.Output).Select(p => (AsTensor(p) ? Tensor : p.Type) + " " + p.Name).ToList();
        if (written is not null)
        {
            parameters.Add(lengthRequired ? $"int {outputLength}" : $"int? {outputLength} = null");
        }

        using (writer.Block($"{declaration.Accessibility} static {Tensor} {f}({string.Join(", ", parameters)})"))
        {
            string kinds = string.Join(", ", tensors.Select(p => "global::Gradgen.RowArgument." + Kind(p)));
            string forward = unique("Forward"), backward = unique("Backward");
            string length = written is null ? string.Empty : outputLength + ", ";
            writer.Line($"return {Tensor}.ApplyRowwise(\"{f}\", global::Gradgen.DType.{(t == "float" ? "Float32" : "Float64")}, [{string.Join(", ", tensors.Select(p => p.Name))}], [{kinds}], {length}{forward}, {backward});");
            writer.Line();
            string span = $"global::System.ReadOnlySpan<{Tensor}>";
            using (writer.Block($"void {forward}({span} {inputs}, {Tensor} {output}, int {start}, int {end})"))
            {
                Unpack(writer, tensors, inputs, data, lengths, t);
                string values = unique("values");
                writer.Line($"var {values} = {output}.AsSpan<{t}>();");
                if (written is not null)
                {
                    writer.Line($"int {rowLength} = {output}.Shape[^1];");
                }

                using (writer.Block($"for (int {row} = {start}; {row} < {end}; {row}++)"))
                {
                    string arguments = Arguments(function.Parameters, AsTensor, data, lengths, row, $"{values}.Slice({row} * {rowLength}, {rowLength})");
                    writer.Line(written is null ? $"{values}[{row}] = {f}({arguments});" : $"{f}({arguments});");
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
                if (written is not null)
                {
                    writer.Line($"int {rowLength} = {gradOutput}.Shape[^1];");
                }

                using (writer.Block($"for (int {row} = {start}; {row} < {end}; {row}++)"))
                {
                    // A value's gradients are added (FAccumulateGradient); an output's are written (FBackward), each row into its own slice.
                    string modifier = written is null ? "ref " : "out ";
                    var gradients = function.Parameters.Where(p => p.Role is ParameterRole.ArrayInput or ParameterRole.ScalarInput).Select(p =>
                        p.Role == ParameterRole.ArrayInput
                            ? $"{gradientData[p.Name]}.Slice({row} * {lengths[p.Name]}, {lengths[p.Name]})"
                            : $"{modifier}{gradientData[p.Name]}[{row}]");
                    string seed = written is null ? $"{incoming}[{row}]" : $"{incoming}.Slice({row} * {rowLength}, {rowLength})";
                    string arguments = string.Join(", ", new[] { Arguments(function.Parameters.Where(p => p.Role != ParameterRole.Output), AsTensor, data, lengths, row, string.Empty), seed }.Concat(gradients));
                    writer.Line($"{f}{(written is null ? "AccumulateGradient" : "Backward")}({arguments});");
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

    /// <summary>The arguments of one row's call, in the parameters' order; <paramref name="outputRow"/> stands for the output span.</summary>
    private static string Arguments(IEnumerable<LoopParameter> parameters, Func<LoopParameter, bool> asTensor, Dictionary<string, string> data, Dictionary<string, string> lengths, string row, string outputRow) =>
        string.Join(", ", parameters.Select(p => p.Role switch
        {
            ParameterRole.ArrayInput => $"{data[p.Name]}.Slice({row} * {lengths[p.Name]}, {lengths[p.Name]})",
            ParameterRole.ScalarInput => $"{data[p.Name]}[{row}]",
            ParameterRole.Output => outputRow,
            _ when asTensor(p) => $"checked((int){data[p.Name]}[{row}])",
            _ => p.Name,
        }));
}
