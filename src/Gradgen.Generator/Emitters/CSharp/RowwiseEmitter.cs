using System;
using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Emitters.CSharp;

/// <summary>
/// The tensor overload of a span function: <c>Tensor F(Tensor x, …)</c> maps F over the rows of its tensor arguments
/// through <c>Tensor.ApplyRowwise</c> (one graph node, <c>FBackward</c>). A span parameter takes a tensor's last
/// dimension, a float parameter a tensor of the leading shape, an <c>int</c> stays an <c>int</c> (or, in the second
/// overload, an integer tensor with one index per row). A function returning its element type gives one value per row;
/// with autograd its forward calls <c>FAccumulateGradient</c> at seed 1 per row and the node only scales the kept
/// gradients, so the body runs once per row. A <c>void</c> function with one <c>Span</c> output gives that output's
/// rows (as long as the first span argument's row unless <c>outputLength</c> says otherwise) and its backward calls
/// <c>FAccumulateGradient</c> per row with the output row's gradient; one with several outputs gives a tuple of
/// them (<see cref="WriteSeveralOutputs"/>). A <c>T[]</c> parameter gets a copy of its row.
/// </summary>
internal static partial class RowwiseEmitter
{
    private const string Tensor = "global::Gradgen.Tensor";

    /// <summary>
    /// A value or span outputs, something to differentiate, and the runtime in the compilation. A <c>T[]</c> parameter takes a copy of each row; not with a
    /// custom derivative, whose <c>FAccumulateGradient</c> takes the arrays as declared.
    /// </summary>
    public static bool CanMapOverRows(LoopFunction function) =>
        function.Declaration.EmitTensorOverload
        && (function.Result is not null || function.Parameters.Any(p => p.Role == ParameterRole.Output))
        && (function.CustomBackward is null || !function.Parameters.Any(p => p.Role == ParameterRole.ArrayInput && IsArray(p)))
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
        // The spans the method writes, for a void method: the overload returns their rows (a tuple for several).
        var outputs = function.Parameters.Where(p => p.Role == ParameterRole.Output).ToList();
        var written = outputs.Count == 1 ? outputs[0] : null;
        bool AsTensor(LoopParameter p) => p.Role is ParameterRole.ArrayInput or ParameterRole.ScalarInput || (p.Role == ParameterRole.Discrete && indicesAsTensors && p.Type == "int");
        var tensors = function.Parameters.Where(AsTensor).ToList();
        string inputs = unique("gradgenInputs"), output = unique("gradgenOutput"), gradOutput = unique("gradgenGradOutput"), grads = unique("gradgenGrads");
        string start = unique("gradgenStart"), end = unique("gradgenEnd"), row = unique("gradgenRow"), rowLength = unique("gradgenOutputRowLength");
        var data = tensors.ToDictionary(p => p.Name, p => unique(p.Name.TrimStart('@') + "Data"));
        var lengths = tensors.Where(p => p.Role == ParameterRole.ArrayInput).ToDictionary(p => p.Name, p => unique(p.Name.TrimStart('@') + "Length"));
        var gradientData = tensors.Where(p => p.Role != ParameterRole.Discrete).ToDictionary(p => p.Name, p => unique("d" + p.Name.TrimStart('@') + "Data"));
        // Without a span argument the output row has no length to follow: the length is then required.
        bool lengthRequired = !tensors.Any(p => p.Role == ParameterRole.ArrayInput);
        string? outputLength = written is null ? null : unique("outputLength");
        // Several outputs: each has its own length parameter, named after it (yLength for y).
        var outputLengths = outputs.Count > 1 ? outputs.ToDictionary(p => p.Name, p => unique(p.Name.TrimStart('@') + "Length")) : new Dictionary<string, string>();

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
        else if (outputs.Count > 1)
        {
            string firstSpan = lengthRequired ? string.Empty : $"; null for the length of a row of <c>{tensors.First(p => p.Role == ParameterRole.ArrayInput).Name.TrimStart('@')}</c>";
            foreach (var p in outputs)
            {
                writer.Line($"/// <param name=\"{outputLengths[p.Name]}\">The length of each row of <c>{p.Name.TrimStart('@')}</c>, a span <c>{f}</c> writes{firstSpan}.</param>");
            }

            writer.Line($"/// <returns>The rows of each output, in the method's order: each shaped like the leading dimensions followed by its row length; views of one buffer, the result of one graph node.</returns>");
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

        parameters.AddRange(outputLengths.Values.Select(length => lengthRequired ? $"int {length}" : $"int? {length} = null"));
        string result = outputs.Count > 1 ? TupleType(outputs) : Tensor;
        using (writer.Block($"{declaration.Accessibility} static {result} {f}({string.Join(", ", parameters)})"))
        {
            if (outputs.Count > 1)
            {
                var rowNames = new RowNames(inputs, grads, start, end, row, data, lengths, gradientData, unique, indicesAsTensors);
                WriteSeveralOutputs(writer, function, AsTensor, tensors, outputLengths, rowNames);
                return;
            }

            string kinds = Kinds(tensors);
            string forward = unique(written is null ? "ValueAndGradient" : "Forward"), backward = unique("Backward");
            string callbacks = written is null ? forward : $"{outputLength}, {forward}, {backward}";
            writer.Line($"return {Tensor}.ApplyRowwise(\"{f}\", global::Gradgen.DType.{(t == "float" ? "Float32" : "Float64")}, [{string.Join(", ", tensors.Select(p => p.Name))}], [{kinds}], {callbacks}, {DeviceKernels(function, AsTensor, indicesAsTensors)});");
            writer.Line();
            string span = $"global::System.ReadOnlySpan<{Tensor}>";
            string values = unique("values");
            // A T[] parameter takes a copy of its row: one array per call of the callback, reused row after row.
            var copies = function.Parameters.Where(p => p.Role == ParameterRole.ArrayInput && IsArray(p)).ToDictionary(p => p.Name, p => unique(p.Name.TrimStart('@') + "Row"));
            if (written is null)
            {
                // A value: with autograd, each row's gradient at seed 1 comes with its value (FAccumulateGradient), and
                // the node's backward only scales it, so the body runs once per row in all.
                using (writer.Block($"void {forward}({span} {inputs}, {Tensor} {output}, global::System.ReadOnlySpan<{Tensor}?> {grads}, int {start}, int {end})"))
                {
                    Unpack(writer, tensors, inputs, data, lengths, t);
                    writer.Line($"var {values} = {output}.AsSpan<{t}>();");
                    using (writer.Block($"if ({grads}.Length == 0)"))
                    {
                        DeclareCopies(writer, copies, lengths, t);
                        using (writer.Block($"for (int {row} = {start}; {row} < {end}; {row}++)"))
                        {
                            CopyRows(writer, copies, data, lengths, row);
                            writer.Line($"{values}[{row}] = {f}({Arguments(function.Parameters, AsTensor, data, lengths, row, _ => string.Empty, copies)});");
                        }

                        writer.Line();
                        writer.Line("return;");
                    }

                    writer.Line();
                    UnpackGradients(writer, tensors, gradientData, grads, t);
                    using (writer.Block($"for (int {row} = {start}; {row} < {end}; {row}++)"))
                    {
                        string call = AccumulateCall(function, AsTensor, data, lengths, gradientData, row, t == "float" ? "1f" : "1d");
                        writer.Line($"{values}[{row}] = {call};");
                    }
                }

                return;
            }

            using (writer.Block($"void {forward}({span} {inputs}, {Tensor} {output}, int {start}, int {end})"))
            {
                Unpack(writer, tensors, inputs, data, lengths, t);
                writer.Line($"var {values} = {output}.AsSpan<{t}>();");
                writer.Line($"int {rowLength} = {output}.Shape[^1];");
                DeclareCopies(writer, copies, lengths, t);
                using (writer.Block($"for (int {row} = {start}; {row} < {end}; {row}++)"))
                {
                    WriteRowCall(writer, function, AsTensor, data, lengths, row, _ => $"{values}.Slice({row} * {rowLength}, {rowLength})", copies);
                }
            }

            writer.Line();
            using (writer.Block($"void {backward}({span} {inputs}, {Tensor} {gradOutput}, global::System.ReadOnlySpan<{Tensor}?> {grads}, int {start}, int {end})"))
            {
                Unpack(writer, tensors, inputs, data, lengths, t);
                UnpackGradients(writer, tensors, gradientData, grads, t);
                string incoming = unique("incoming");
                writer.Line($"var {incoming} = {gradOutput}.AsSpan<{t}>();");
                writer.Line($"int {rowLength} = {gradOutput}.Shape[^1];");
                using (writer.Block($"for (int {row} = {start}; {row} < {end}; {row}++)"))
                {
                    BeginReplay(writer, function, row);
                    // Each row's gradients go into its own zeroed slice, so adding them (FAccumulateGradient) writes them.
                    writer.Line(AccumulateCall(function, AsTensor, data, lengths, gradientData, row, $"{incoming}.Slice({row} * {rowLength}, {rowLength})") + ";");
                }
            }
        }
    }

    /// <summary>
    /// The <c>RowKernels</c> argument: the row kernels of <c>FRowsCudaSource</c> with the <c>int</c>, <c>long</c> and
    /// <c>bool</c> arguments that stay the same for every row; or, for a function that has none, why (a device then
    /// throws, naming it).
    /// </summary>
    private static string DeviceKernels(LoopFunction function, Func<LoopParameter, bool> asTensor, bool indicesAsTensors)
    {
        if (Cuda.CudaRows.Unsupported(function) is { } reason)
        {
            return $"global::Gradgen.RowKernels.None(\"{reason.Replace("\\", "\\\\").Replace("\"", "\\\"")}\")";
        }

        var values = function.Parameters.Where(p => p.Role == ParameterRole.Discrete && !asTensor(p)).Select(p => p.Type == "bool" ? $"({p.Name} ? 1L : 0L)" : p.Name);
        string dtype = function.Declaration.IsFloat ? "Float32" : "Float64";
        string entry = LoopEmitter.RowsEntry(function, indicesAsTensors);
        return $"global::Gradgen.RowKernels.Cuda({function.Declaration.Name}RowsCudaSource, \"{entry}\", global::Gradgen.DType.{dtype}{string.Concat(values.Select(v => ", " + v))})";
    }

    /// <summary>What each tensor argument is to the method, as <c>RowArgument</c> values.</summary>
    private static string Kinds(IEnumerable<LoopParameter> tensors) => string.Join(", ", tensors.Select(p => "global::Gradgen.RowArgument." + p.Role switch
    {
        ParameterRole.ArrayInput => "Row",
        ParameterRole.ScalarInput => "Scalar",
        _ => "Index",
    }));

    /// <summary>
    /// One row of a <c>void</c> method in the overload's forward. Where it makes calls inside <c>Grad.StopGradient</c>
    /// (<see cref="LoopEmitter.RunsForwardSweep"/>) and autograd records, its generated forward sweep runs instead of
    /// the method, keeping those calls' values for the backward.
    /// </summary>
    private static void WriteRowCall(SourceWriter writer, LoopFunction function, Func<LoopParameter, bool> asTensor, Dictionary<string, string> data, Dictionary<string, string> lengths, string row, Func<LoopParameter, string> outputRow, Dictionary<string, string> copies)
    {
        string f = function.Declaration.Name;
        if (!LoopEmitter.RunsForwardSweep(function))
        {
            CopyRows(writer, copies, data, lengths, row);
            writer.Line($"{f}({Arguments(function.Parameters, asTensor, data, lengths, row, outputRow, copies)});");
            return;
        }

        using (writer.Block($"if ({LoopEmitter.KeptValues}.BeginRow({row}))"))
        {
            writer.Line($"{f}ForwardSweep({Arguments(function.Parameters, asTensor, data, lengths, row, outputRow, new Dictionary<string, string>())});");
        }

        using (writer.Block("else"))
        {
            CopyRows(writer, copies, data, lengths, row);
            writer.Line($"{f}({Arguments(function.Parameters, asTensor, data, lengths, row, outputRow, copies)});");
        }
    }

    /// <summary>Where the forward kept the values of calls inside <c>Grad.StopGradient</c>, the row's backward reads them from the first.</summary>
    private static void BeginReplay(SourceWriter writer, LoopFunction function, string row)
    {
        if (LoopEmitter.RunsForwardSweep(function))
        {
            writer.Line($"{LoopEmitter.KeptValues}.BeginRow({row});");
        }
    }

    private static bool IsArray(LoopParameter parameter) => parameter.Type.EndsWith("[]", StringComparison.Ordinal);

    /// <summary><c>FAccumulateGradient</c> for one row: its inputs take spans, so a <c>T[]</c> parameter's row needs no copy.</summary>
    private static string AccumulateCall(LoopFunction function, Func<LoopParameter, bool> asTensor, Dictionary<string, string> data, Dictionary<string, string> lengths, Dictionary<string, string> gradientData, string row, string seed)
    {
        var gradients = function.Parameters.Where(p => p.Role is ParameterRole.ArrayInput or ParameterRole.ScalarInput).Select(p =>
            p.Role == ParameterRole.ArrayInput
                ? $"{gradientData[p.Name]}.Slice({row} * {lengths[p.Name]}, {lengths[p.Name]})"
                : $"ref {gradientData[p.Name]}[{row}]");
        string arguments = string.Join(", ", new[] { Arguments(function.Parameters.Where(p => p.Role != ParameterRole.Output), asTensor, data, lengths, row, _ => string.Empty, new Dictionary<string, string>()), seed }.Concat(gradients));
        return $"{function.Declaration.Name}AccumulateGradient({arguments})";
    }

    private static void UnpackGradients(SourceWriter writer, List<LoopParameter> tensors, Dictionary<string, string> gradientData, string grads, string t)
    {
        for (int i = 0; i < tensors.Count; i++)
        {
            if (gradientData.TryGetValue(tensors[i].Name, out string? name))
            {
                writer.Line($"var {name} = {grads}[{i}]!.AsSpan<{t}>();");
            }
        }
    }

    private static void DeclareCopies(SourceWriter writer, Dictionary<string, string> copies, Dictionary<string, string> lengths, string t)
    {
        foreach (var copy in copies)
        {
            writer.Line($"var {copy.Value} = new {t}[{lengths[copy.Key]}];");
        }
    }

    private static void CopyRows(SourceWriter writer, Dictionary<string, string> copies, Dictionary<string, string> data, Dictionary<string, string> lengths, string row)
    {
        foreach (var copy in copies)
        {
            writer.Line($"{data[copy.Key]}.Slice({row} * {lengths[copy.Key]}, {lengths[copy.Key]}).CopyTo({copy.Value});");
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

    /// <summary>
    /// The arguments of one row's call, in the parameters' order; <paramref name="outputRow"/> gives each output span's
    /// argument, and a parameter in <paramref name="copies"/> takes that array (its row copied in).
    /// </summary>
    private static string Arguments(IEnumerable<LoopParameter> parameters, Func<LoopParameter, bool> asTensor, Dictionary<string, string> data, Dictionary<string, string> lengths, string row, Func<LoopParameter, string> outputRow, Dictionary<string, string> copies) =>
        string.Join(", ", parameters.Select(p => p.Role switch
        {
            ParameterRole.ArrayInput when copies.TryGetValue(p.Name, out string? copy) => copy,
            ParameterRole.ArrayInput => $"{data[p.Name]}.Slice({row} * {lengths[p.Name]}, {lengths[p.Name]})",
            ParameterRole.ScalarInput => $"{data[p.Name]}[{row}]",
            ParameterRole.Output => outputRow(p),
            _ when asTensor(p) => $"checked((int){data[p.Name]}[{row}])",
            _ => p.Name,
        }));
}
