using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Model;
using Gradgen.Generator.Planning;

namespace Gradgen.Generator.Emitters.CSharp;

internal static partial class LoopEmitter
{
    // Running maxima and minima (RunningExtremum): the forward sweep keeps the iteration that last raised the value
    // instead of taping every old value; the backward sweep gives Max's derivative the final value or −∞ in its place.
    private sealed partial class Writer
    {
        private readonly Dictionary<LoopStatement, ExtremumNames> _extrema = new(RecordedOverwrites.ReferenceComparer.Instance);

        /// <summary>
        /// Before a loop's forward sweep: pushes each running extremum's value where needed and declares its "last
        /// changed at" counter. Before its backward sweep: pops the counters (pushed last) and keeps the final values.
        /// </summary>
        private List<ExtremumNames> BeginExtrema(LoopStatementWhile loop, string iterations, bool backward)
        {
            var names = new List<ExtremumNames>();
            var extrema = RunningExtrema.In(loop);
            foreach (var extremum in backward ? extrema.Reverse() : extrema)
            {
                string target = extremum.Target;
                // The if form keeps no ties: only its last assignment passes a gradient.
                string? ties = extremum.CountsTies ? Unique(Name(target, "Ties")) : null;
                var entry = new ExtremumNames(extremum, Unique(Name(target, "ChangedAt")), ties, iterations, backward ? Unique(Name(target, "Final")) : string.Empty);
                if (backward)
                {
                    if (ties is not null)
                    {
                        _writer.Line($"int {ties} = {_tape}.Pop<int>();");
                    }

                    _writer.Line($"int {entry.LastChange} = {_tape}.Pop<int>();");
                    _writer.Line($"{_t} {entry.Final} = {target};");
                }
                else
                {
                    Record(extremum.Assignment, target, _t);
                    _writer.Line(ties is null ? $"int {entry.LastChange} = 0;" : $"int {entry.LastChange} = 0, {ties} = 0;");
                }

                _extrema[extremum.Statement] = entry;
                names.Add(entry);
            }

            return names;
        }

        private void EndForwardExtrema(List<ExtremumNames> extrema)
        {
            foreach (var entry in extrema)
            {
                _writer.Line($"{_tape}.Push({entry.LastChange});");
                if (entry.Ties is not null)
                {
                    _writer.Line($"{_tape}.Push({entry.Ties});");
                }
            }
        }

        private void ForwardExtremum(LoopStatement statement)
        {
            var entry = _extrema[statement];
            var assign = entry.Extremum.Assignment;
            if (statement is IfStatement branch)
            {
                // if (e > m) m = e: only the iteration of the last assignment passes a gradient; it is kept instead of
                // the branch taken in every iteration.
                Comment("if (" + Discrete(branch.Condition) + ") " + assign.Target + " = ", assign.Value);
                _writer.Line($"if ({Discrete(branch.Condition)}) {{ {assign.Target} = {Inline(assign.Value)}; {entry.LastChange} = {entry.Iterations} + 1; }}");
                return;
            }

            var graph = assign.Value.Graph;
            var text = Print(graph, assign.Value.Operands, statements: false);
            Comment(assign.Target + " = ", assign.Value);
            using (_writer.Block(string.Empty))
            {
                // Counts the iterations since the last change where the candidate ties: with none, the backward sweep
                // needs only the iteration of the last change.
                string candidate = Unique(Name(assign.Target, "Candidate"));
                string raises = entry.Extremum.IsMax ? ">" : "<";
                _writer.Line($"{_t} {candidate} = {text[entry.Extremum.Candidate]};");
                _writer.Line($"if ({candidate} {raises} {assign.Target}) {{ {entry.LastChange} = {entry.Iterations} + 1; {entry.Ties} = 0; }}");
                _writer.Line($"else if ({candidate} == {assign.Target}) {entry.Ties}++;");
                var root = graph.Nodes[graph.Outputs[0]];
                _writer.Line($"{assign.Target} = {Apply(root, root.Args.Select(a => a == entry.Extremum.Candidate ? candidate : text[a]).ToArray())};");
            }
        }

        /// <summary>Restores the value each extremum had before the loop, where an earlier statement's derivative reads it.</summary>
        private void EndBackwardExtrema(List<ExtremumNames> extrema)
        {
            foreach (var entry in extrema)
            {
                Restore(entry.Extremum.Assignment, entry.Extremum.Target, _t);
            }
        }

        private void BackwardExtremum(LoopStatement statement)
        {
            var entry = _extrema[statement];
            var assign = entry.Extremum.Assignment;
            string adjoint = _adjoints[assign.Target];
            using (_writer.Block(string.Empty))
            {
                Comment("∂ of " + assign.Target + " = ", assign.Value);
                if (!entry.Extremum.CountsTies)
                {
                    // The if form: m's gradient goes to e at the last assignment; before it m's adjoint is zero.
                    using (_writer.Block($"if ({entry.Iterations} == {entry.LastChange})"))
                    {
                        _writer.Line($"{_t} {_g} = {adjoint};");
                        _writer.Line($"{adjoint} = 0;");
                        Partials(assign.Value);
                    }

                    return;
                }

                _writer.Line($"{_t} {_g} = {adjoint};");
                _writer.Line($"{adjoint} = 0;");
                string beyond = Literal(entry.Extremum.IsMax ? double.NegativeInfinity : double.PositiveInfinity);
                _writer.Line($"// The old value as the derivative compares it: the final one after the last change, below {assign.Target}'s new value at it.");
                _writer.Line($"{assign.Target} = {entry.Iterations} > {entry.LastChange} ? {entry.Final} : {beyond};");
                Partials(assign.Value);
            }
        }

        /// <summary>
        /// The whole vectors of an <see cref="ExtremumVectorLoop"/>'s forward sweep, run before the scalar loop; the trip
        /// count then includes them. Each lane keeps its own extremum, the vector where it last changed and, for Max and
        /// Min, how many candidates equalled it; after each block <c>ExtremumLanes.Fold</c> leaves the value, the last
        /// change and the ties as the scalar loop would have, bit for bit.
        /// </summary>
        private void ForwardExtremaVectors(ExtremumVectorLoop plan, string first, string count)
        {
            var entries = plan.Extrema.Select(e => _extrema[e.Statement]).ToList();
            string name = Unique("ForwardExtrema" + Suffix());
            string end = Unique("end");
            var parameters = new List<string> { "ref int " + plan.Counter, "int " + end, "int " + first };
            parameters.AddRange(plan.ReadArrays.Select(a => Span(true) + " " + a));
            parameters.AddRange(plan.ReadScalars.Select(s => _t + " " + s));
            parameters.AddRange(entries.SelectMany(e => State(e, $"ref {_t} ", "ref int ")));
            using (LocalFunction(name, parameters))
            {
                var lanes = Broadcasts(plan.ReadScalars);
                string one = Unique("one"), start = Unique("start"), stop = Unique("stop"), vector = Unique("vector");
                var state = entries.ToDictionary(e => e, e => new ExtremumLaneNames(Unique(Name(e.Extremum.Target, "Top")), Unique(Name(e.Extremum.Target, "At")), e.Ties is null ? null : Unique(Name(e.Extremum.Target, "Count"))));
                _writer.Line($"TVec {one} = TSimd.Constant(1);");
                using (_writer.Block($"while ({plan.Counter} <= {end} - TSimd.Count)"))
                {
                    _writer.Line($"// Blocks of at most ExtremumLanes.BlockVectors vectors: vector numbers and counts in lanes of {_t} stay exact.");
                    _writer.Line($"int {start} = {plan.Counter};");
                    _writer.Line($"int {stop} = {start} + global::System.Math.Min({end} - {start}, {Kernels}.ExtremumLanes.BlockVectors * TSimd.Count);");
                    _writer.Line($"TVec {vector} = TSimd.Constant(0);");
                    foreach (var entry in entries)
                    {
                        var names = state[entry];
                        string infinity = entry.Extremum.IsMax ? "double.NegativeInfinity" : "double.PositiveInfinity";
                        string tieLanes = names.Count is null ? string.Empty : $", {names.Count} = TSimd.Constant(0)";
                        _writer.Line($"TVec {names.Top} = TSimd.Constant({infinity}), {names.At} = TSimd.Constant(-1){tieLanes};");
                    }

                    using (_writer.Block($"for (; {plan.Counter} <= {stop} - TSimd.Count; {plan.Counter} += TSimd.Count)"))
                    {
                        foreach (var entry in entries)
                        {
                            LaneExtremum(plan, entry, state[entry], lanes, one, vector);
                        }

                        _writer.Line($"{vector} = TSimd.Add({vector}, {one});");
                    }

                    var counted = entries.Where(e => e.Extremum.CountsTies).ToList();
                    if (counted.Count > 0)
                    {
                        _writer.Line("// A NaN candidate: the scalar loop runs this block and the rest, and gives NaN its exact meaning.");
                        string any = string.Join(" || ", counted.Select(e => $"{Kernels}.ExtremumLanes.HasNaN<TSimd, TVec, {_t}>({state[e].Top})"));
                        using (_writer.Block($"if ({any})"))
                        {
                            _writer.Line($"{plan.Counter} = {start};");
                            _writer.Line("return;");
                        }
                    }

                    foreach (var entry in entries)
                    {
                        var names = state[entry];
                        string rule = $"{Kernels}.RunningExtremumRule.{entry.Extremum.Rule}";
                        _writer.Line(names.Count is null
                            ? $"{Kernels}.ExtremumLanes.FoldBranch<TSimd, TVec, {_t}>({rule}, {names.Top}, {names.At}, {start} - {first}, ref {entry.Extremum.Target}, ref {entry.LastChange});"
                            : $"{Kernels}.ExtremumLanes.Fold<TSimd, TVec, {_t}>({rule}, {names.Top}, {names.At}, {names.Count}, {start} - {first}, ref {entry.Extremum.Target}, ref {entry.LastChange}, ref {entry.Ties});");
                    }
                }
            }

            var arguments = new List<string> { "ref " + plan.Counter, plan.End, first };
            arguments.AddRange(plan.ReadArrays);
            arguments.AddRange(plan.ReadScalars);
            arguments.AddRange(entries.SelectMany(e => State(e, "ref ", "ref ")));
            Dispatch(name, arguments);
            _writer.Line($"{count} = {plan.Counter} - {first};");
        }

        /// <summary>One vector of candidates into one extremum's lanes.</summary>
        private void LaneExtremum(ExtremumVectorLoop plan, ExtremumNames entry, ExtremumLaneNames names, Dictionary<string, string> lanes, string one, string vector)
        {
            var extremum = entry.Extremum;
            var value = extremum.Assignment.Value;
            Comment(extremum.Target + " = ", value);
            // The Max form's own operand m is never printed: only the candidate under it is.
            var text = Print(value.Graph, statements: false, VectorDialect(plan.Counter, value.Operands, lanes, string.Empty, k => value.Operands[k].Name == extremum.Target ? "default" : null));
            string candidate = Unique(Name(extremum.Target, "Candidate"));
            string replaces = Unique(Name(extremum.Target, "Replaces"));
            string comparison = extremum.Rule switch
            {
                ExtremumRule.Max or ExtremumRule.FirstMax => "GreaterThan",
                ExtremumRule.LastMax => "GreaterThanOrEqual",
                ExtremumRule.Min or ExtremumRule.FirstMin => "LessThan",
                _ => "LessThanOrEqual",
            };
            _writer.Line($"TVec {candidate} = {text[extremum.Candidate]};");
            _writer.Line($"TVec {replaces} = TSimd.{comparison}({candidate}, {names.Top});");
            if (extremum.CountsTies)
            {
                _writer.Line($"{names.Count} = TSimd.Select({replaces}, {one}, TSimd.Add({names.Count}, TSimd.And(TSimd.Equal({candidate}, {names.Top}), {one})));");
                _writer.Line($"{names.Top} = TSimd.{(extremum.IsMax ? "Max" : "Min")}({names.Top}, {candidate});");
            }
            else
            {
                _writer.Line($"{names.Top} = TSimd.Select({replaces}, {candidate}, {names.Top});");
            }

            _writer.Line($"{names.At} = TSimd.Select({replaces}, {vector}, {names.At});");
        }

        private string Suffix() => _loopCount.ToString(CultureInfo.InvariantCulture);

        private string Name(string variable, string what) => variable.TrimStart('@') + what + Suffix();

        /// <summary>The value, last change and (for Max and Min) ties of an extremum, as parameters or arguments of the vector loop.</summary>
        private static IEnumerable<string> State(ExtremumNames entry, string value, string counter) =>
            entry.Ties is null
                ? new[] { value + entry.Extremum.Target, counter + entry.LastChange }
                : new[] { value + entry.Extremum.Target, counter + entry.LastChange, counter + entry.Ties };

        /// <summary>The generated names around one running extremum in one sweep; <see cref="Ties"/> is null for the if form, which keeps none.</summary>
        private sealed record ExtremumNames(RunningExtremum Extremum, string LastChange, string? Ties, string Iterations, string Final);

        /// <summary>The generated names of one extremum's lanes in a vectorised forward loop; <see cref="Count"/> is null for the if form.</summary>
        private sealed record ExtremumLaneNames(string Top, string At, string? Count);
    }
}
