using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Model;

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
                string target = extremum.Statement.Target;
                var entry = new ExtremumNames(extremum, Unique(Name(target, "ChangedAt")), Unique(Name(target, "Ties")), iterations, backward ? Unique(Name(target, "Final")) : string.Empty);
                if (backward)
                {
                    _writer.Line($"int {entry.Ties} = {_tape}.Pop<int>();");
                    _writer.Line($"int {entry.LastChange} = {_tape}.Pop<int>();");
                    _writer.Line($"{_t} {entry.Final} = {target};");
                }
                else
                {
                    Record(extremum.Statement, target, _t);
                    _writer.Line($"int {entry.LastChange} = 0, {entry.Ties} = 0;");
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
                _writer.Line($"{_tape}.Push({entry.Ties});");
            }
        }

        private void ForwardExtremum(AssignScalar assign)
        {
            var entry = _extrema[assign];
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
                Restore(entry.Extremum.Statement, entry.Extremum.Statement.Target, _t);
            }
        }

        private void BackwardExtremum(AssignScalar assign)
        {
            var entry = _extrema[assign];
            using (_writer.Block(string.Empty))
            {
                Comment("∂ of " + assign.Target + " = ", assign.Value);
                string adjoint = _adjoints[assign.Target];
                _writer.Line($"{_t} {_g} = {adjoint};");
                _writer.Line($"{adjoint} = 0;");
                string beyond = entry.Extremum.IsMax ? _t + ".NegativeInfinity" : _t + ".PositiveInfinity";
                _writer.Line($"// The old value as the derivative compares it: the final one after the last change, below {assign.Target}'s new value at it.");
                _writer.Line($"{assign.Target} = {entry.Iterations} > {entry.LastChange} ? {entry.Final} : {beyond};");
                Partials(assign.Value);
            }
        }

        private string Suffix() => _loopCount.ToString(CultureInfo.InvariantCulture);

        private string Name(string variable, string what) => variable.TrimStart('@') + what + Suffix();

        /// <summary>The generated names around one running extremum in one sweep.</summary>
        private sealed record ExtremumNames(RunningExtremum Extremum, string LastChange, string Ties, string Iterations, string Final);
    }
}
