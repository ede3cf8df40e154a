using System;
using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Emitters.CSharp;

/// <summary>The tensor overload of a <c>void</c> span method with several <c>Span</c> outputs.</summary>
internal static partial class RowwiseEmitter
{
    /// <summary>
    /// Names the overload's body shares with <see cref="Write"/>: the callbacks' parameters, and per tensor argument
    /// its data, row length and gradient locals.
    /// </summary>
    private sealed record RowNames(
        string Inputs,
        string Grads,
        string Start,
        string End,
        string Row,
        Dictionary<string, string> Data,
        Dictionary<string, string> Lengths,
        Dictionary<string, string> GradientData,
        Func<string, string> Unique,
        bool IndicesAsTensors);

    /// <summary>
    /// The body of <c>(Tensor y, Tensor total) F(…, int? yLength = null, int? totalLength = null)</c>: one
    /// <c>Tensor.ApplyRowwise</c> call with a <c>RowOutput</c> per output (its name, for error messages, and its row
    /// length). The forward calls the method per row with a row of every output; the backward calls
    /// <c>FAccumulateGradient</c> per row with a row of every output's gradient (zeros where the loss does not use
    /// that output), so one node's backward covers all outputs.
    /// </summary>
    private static void WriteSeveralOutputs(SourceWriter writer, LoopFunction function, Func<LoopParameter, bool> asTensor, List<LoopParameter> tensors, Dictionary<string, string> outputLengths, RowNames names)
    {
        string f = function.Declaration.Name;
        string t = function.Declaration.ElementType;
        var outputs = function.Parameters.Where(p => p.Role == ParameterRole.Output).ToList();
        string results = names.Unique("gradgenResults"), outputTensors = names.Unique("gradgenOutputs"), gradOutputs = names.Unique("gradgenGradOutputs");
        string forward = names.Unique("Forward"), backward = names.Unique("Backward");
        var rows = outputs.ToDictionary(p => p.Name, p => names.Unique(p.Name.TrimStart('@') + "Rows"));
        var gradientRows = outputs.ToDictionary(p => p.Name, p => names.Unique("d" + p.Name.TrimStart('@') + "Rows"));
        var rowLengths = outputs.ToDictionary(p => p.Name, p => names.Unique(p.Name.TrimStart('@') + "RowLength"));
        var copies = function.Parameters.Where(p => p.Role == ParameterRole.ArrayInput && IsArray(p)).ToDictionary(p => p.Name, p => names.Unique(p.Name.TrimStart('@') + "Row"));
        string dtype = t == "float" ? "Float32" : "Float64";
        string described = string.Join(", ", outputs.Select(p => $"new global::Gradgen.RowOutput(\"{p.Name.TrimStart('@')}\", {outputLengths[p.Name]})"));
        writer.Line($"var {results} = {Tensor}.ApplyRowwise(\"{f}\", global::Gradgen.DType.{dtype}, [{string.Join(", ", tensors.Select(p => p.Name))}], [{Kinds(tensors)}], [{described}], {forward}, {backward}, {DeviceKernels(function, asTensor, names.IndicesAsTensors)});");
        writer.Line($"return ({string.Join(", ", outputs.Select((_, k) => $"{results}[{k}]"))});");
        writer.Line();
        string span = $"global::System.ReadOnlySpan<{Tensor}>";
        string RowOf(Dictionary<string, string> spans, LoopParameter p) => $"{spans[p.Name]}.Slice({names.Row} * {rowLengths[p.Name]}, {rowLengths[p.Name]})";
        void UnpackOutputs(string tensorsName, Dictionary<string, string> spans)
        {
            for (int k = 0; k < outputs.Count; k++)
            {
                writer.Line($"var {spans[outputs[k].Name]} = {tensorsName}[{k}].AsSpan<{t}>();");
                writer.Line($"int {rowLengths[outputs[k].Name]} = {tensorsName}[{k}].Shape[^1];");
            }
        }

        using (writer.Block($"void {forward}({span} {names.Inputs}, {span} {outputTensors}, int {names.Start}, int {names.End})"))
        {
            Unpack(writer, tensors, names.Inputs, names.Data, names.Lengths, t);
            UnpackOutputs(outputTensors, rows);
            DeclareCopies(writer, copies, names.Lengths, t);
            using (writer.Block($"for (int {names.Row} = {names.Start}; {names.Row} < {names.End}; {names.Row}++)"))
            {
                WriteRowCall(writer, function, asTensor, names.Data, names.Lengths, names.Row, p => RowOf(rows, p), copies);
            }
        }

        writer.Line();
        using (writer.Block($"void {backward}({span} {names.Inputs}, {span} {gradOutputs}, global::System.ReadOnlySpan<{Tensor}?> {names.Grads}, int {names.Start}, int {names.End})"))
        {
            Unpack(writer, tensors, names.Inputs, names.Data, names.Lengths, t);
            UnpackGradients(writer, tensors, names.GradientData, names.Grads, t);
            UnpackOutputs(gradOutputs, gradientRows);
            using (writer.Block($"for (int {names.Row} = {names.Start}; {names.Row} < {names.End}; {names.Row}++)"))
            {
                BeginReplay(writer, function, names.Row);
                // Each row's gradients go into its own zeroed slice, so adding them (FAccumulateGradient) writes them.
                string seeds = string.Join(", ", outputs.Select(p => RowOf(gradientRows, p)));
                writer.Line(AccumulateCall(function, asTensor, names.Data, names.Lengths, names.GradientData, names.Row, seeds) + ";");
            }
        }
    }

    /// <summary>
    /// <c>(Tensor y, Tensor total)</c>: the outputs' names label the tuple's elements, unless one is a name C# keeps
    /// for tuples (<c>Rest</c>, <c>ToString</c>, <c>Item2</c> in the first place, …); then none does.
    /// </summary>
    private static string TupleType(List<LoopParameter> outputs)
    {
        bool Allowed(string name, int position) =>
            !ReservedTupleNames.Contains(name)
            && !(name.StartsWith("Item", StringComparison.Ordinal) && name.Length > 4 && name.Skip(4).All(char.IsDigit) && name != "Item" + (position + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        bool named = outputs.Select((p, k) => Allowed(p.Name.TrimStart('@'), k)).All(ok => ok);
        return "(" + string.Join(", ", outputs.Select(p => named ? Tensor + " " + p.Name : Tensor)) + ")";
    }

    /// <summary>Names no tuple element may have (CS8126).</summary>
    private static readonly HashSet<string> ReservedTupleNames = ["CompareTo", "Deconstruct", "Equals", "GetHashCode", "Rest", "ToString"];
}
