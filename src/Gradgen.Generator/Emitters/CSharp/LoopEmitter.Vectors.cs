using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;
using Gradgen.Generator.Planning;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Emitters.CSharp;

internal static partial class LoopEmitter
{
    // Loops whose iterations are independent but for sums (VectorLoop): each sweep runs whole vectors in a static local
    // function, generic over Gradgen's ISimd implementations so that one body serves 512-, 256- and 128-bit vectors,
    // called with the widest width the runtime chose (Elementwise.VectorBits, 0 when GRADGEN_MAX_VECTOR_BITS=0); the
    // scalar loop then finishes the tail. Sums are added up lane by lane and folded in after the last whole vector, so
    // they differ from the scalar loop's by rounding only.
    private sealed partial class Writer
    {
        private const string Kernels = "global::Gradgen.Kernels";

        /// <summary>The forward sweep's whole vectors, run before the scalar loop; the trip count then includes them.</summary>
        private void ForwardVectors(VectorLoop plan, string first, string count)
        {
            string name = Unique("ForwardVectors" + Suffix());
            string end = Unique("end");
            var parameters = new List<string> { "ref int " + plan.Counter, "int " + end };
            parameters.AddRange(plan.ReadArrays.Select(a => Span(true) + " " + a));
            parameters.AddRange(plan.Stores.Select(s => s.Array).Distinct().Select(a => Span(false) + " " + a));
            parameters.AddRange(plan.ReadScalars.Select(s => _t + " " + s));
            parameters.AddRange(plan.Sums.Select(s => "ref " + _t + " " + s.Target));
            using (LocalFunction(name, parameters))
            {
                var lanes = Broadcasts(plan.ReadScalars);
                var accumulators = plan.Sums.ToDictionary(s => s.Target, s => Unique(s.Target.TrimStart('@') + "Lanes"));
                foreach (var accumulator in accumulators.Values)
                {
                    _writer.Line($"TVec {accumulator} = TSimd.Constant(0);");
                }

                using (_writer.Block($"for (; {plan.Counter} <= {end} - TSimd.Count; {plan.Counter} += TSimd.Count)"))
                {
                    foreach (var statement in plan.Statements)
                    {
                        if (statement is AssignScalar sum)
                        {
                            Comment(sum.Target + " = ", sum.Value);
                            var dialect = VectorDialect(plan.Counter, sum.Value.Operands, lanes, string.Empty, k => LoopVectorisation.IsAccumulator(sum, k) ? accumulators[sum.Target] : null);
                            var text = Print(sum.Value.Graph, statements: false, dialect);
                            _writer.Line($"{accumulators[sum.Target]} = {text[sum.Value.Graph.Outputs[0]]};");
                        }
                        else if (statement is StoreElement store)
                        {
                            Comment(store.Array + "[" + store.Index.Text + "] = ", store.Value);
                            var text = Print(store.Value.Graph, statements: false, VectorDialect(plan.Counter, store.Value.Operands, lanes, string.Empty, _ => null));
                            _writer.Line($"TSimd.Store({text[store.Value.Graph.Outputs[0]]}, {store.Array}, {plan.Counter});");
                        }
                    }
                }

                foreach (var sum in plan.Sums)
                {
                    _writer.Line($"{sum.Target} += {LaneSum(accumulators[sum.Target])};");
                }
            }

            var arguments = new List<string> { "ref " + plan.Counter, plan.End };
            arguments.AddRange(plan.ReadArrays);
            arguments.AddRange(plan.Stores.Select(s => s.Array).Distinct());
            arguments.AddRange(plan.ReadScalars);
            arguments.AddRange(plan.Sums.Select(s => "ref " + s.Target));
            Dispatch(name, arguments);
            _writer.Line($"{count} = {plan.Counter} - {first};");
        }

        /// <summary>
        /// The backward sweep of a <see cref="VectorLoop"/>: whole vectors, then the scalar tail, both in forward order
        /// (the iterations are independent, and a sum's adjoint is the same in every iteration).
        /// </summary>
        private void BackwardVectors(LoopStatementWhile loop, VectorLoop plan, string first, string count)
        {
            string end = Unique("end");
            _writer.Line($"{plan.Counter} = {first};");
            _writer.Line($"int {end} = {first} + {count};");

            var leafArrays = new List<string>();
            var leafScalars = new List<string>();
            foreach (var statement in plan.Statements)
            {
                var value = ValueOf(statement);
                var partials = LoopReverseMode.Partials(value, _isFloat);
                foreach (int leaf in partials.Leaves)
                {
                    var operand = value.Operands[leaf];
                    if (statement is AssignScalar sum && LoopVectorisation.IsAccumulator(sum, leaf))
                    {
                        continue;
                    }

                    var list = operand.Kind == OperandKind.Element ? leafArrays : leafScalars;
                    if (!list.Contains(_adjoints[operand.Name]))
                    {
                        list.Add(_adjoints[operand.Name]);
                    }
                }
            }

            string name = Unique("BackwardVectors" + Suffix());
            var storeAdjoints = plan.Stores.Select(s => _adjoints[s.Array]).Distinct().ToList();
            var sumAdjoints = plan.Sums.Select(s => _adjoints[s.Target]).ToList();
            var parameters = new List<string> { "ref int " + plan.Counter, "int " + end };
            parameters.AddRange(plan.ReadArrays.Select(a => Span(true) + " " + a));
            parameters.AddRange(plan.ReadScalars.Select(s => _t + " " + s));
            parameters.AddRange(sumAdjoints.Select(s => _t + " " + s));
            parameters.AddRange(storeAdjoints.Concat(leafArrays).Distinct().Select(a => Span(false) + " " + a));
            parameters.AddRange(leafScalars.Select(s => "ref " + _t + " " + s));
            using (LocalFunction(name, parameters))
            {
                var lanes = Broadcasts(plan.ReadScalars.Concat(sumAdjoints));
                var accumulators = leafScalars.ToDictionary(s => s, s => Unique(s.TrimStart('@') + "Lanes"));
                foreach (var accumulator in accumulators.Values)
                {
                    _writer.Line($"TVec {accumulator} = TSimd.Constant(0);");
                }

                using (_writer.Block($"for (; {plan.Counter} <= {end} - TSimd.Count; {plan.Counter} += TSimd.Count)"))
                {
                    foreach (var statement in Enumerable.Reverse(plan.Statements))
                    {
                        using (_writer.Block(string.Empty))
                        {
                            BackwardVectorStatement(plan, statement, lanes, accumulators);
                        }
                    }
                }

                foreach (var scalar in leafScalars)
                {
                    _writer.Line($"{scalar} += {LaneSum(accumulators[scalar])};");
                }
            }

            var arguments = new List<string> { "ref " + plan.Counter, end };
            arguments.AddRange(plan.ReadArrays);
            arguments.AddRange(plan.ReadScalars);
            arguments.AddRange(sumAdjoints);
            arguments.AddRange(storeAdjoints.Concat(leafArrays).Distinct());
            arguments.AddRange(leafScalars.Select(s => "ref " + s));
            Dispatch(name, arguments);
            using (_writer.Block($"for (; {plan.Counter} < {end}; {plan.Counter}++)"))
            {
                Backward(loop.Body);
            }

            _writer.Line($"{plan.Counter} = {first};");
        }

        private void BackwardVectorStatement(VectorLoop plan, LoopStatement statement, Dictionary<string, string> lanes, Dictionary<string, string> accumulators)
        {
            var value = ValueOf(statement);
            string gradient;
            if (statement is AssignScalar sum)
            {
                Comment("∂ of " + sum.Target + " = ", value);
                gradient = lanes[_adjoints[sum.Target]];
            }
            else
            {
                var store = (StoreElement)statement;
                Comment("∂ of " + store.Array + "[" + store.Index.Text + "] = ", value);
                string adjoint = _adjoints[store.Array];
                gradient = _g;
                _writer.Line($"TVec {_g} = TSimd.Load({adjoint}, {plan.Counter});");
                _writer.Line($"TSimd.Store(TSimd.Constant(0), {adjoint}, {plan.Counter});");
            }

            var partials = LoopReverseMode.Partials(value, _isFloat);
            var graph = partials.Body.Graph;
            var text = Print(graph, statements: true, VectorDialect(plan.Counter, value.Operands, lanes, gradient, _ => null));
            for (int k = 0; k < partials.Leaves.Count; k++)
            {
                var operand = value.Operands[partials.Leaves[k]];
                string partial = text[graph.Outputs[k]];
                if (statement is AssignScalar own && LoopVectorisation.IsAccumulator(own, partials.Leaves[k]))
                {
                    continue; // the sum's adjoint is unchanged by its own statement: g is read, then added back
                }

                string adjoint = _adjoints[operand.Name];
                _writer.Line(operand.Kind == OperandKind.Element
                    ? $"TSimd.Store(TSimd.Add(TSimd.Load({adjoint}, {plan.Counter}), {partial}), {adjoint}, {plan.Counter});"
                    : $"{accumulators[adjoint]} = TSimd.Add({accumulators[adjoint]}, {partial});");
            }
        }

        private static ScalarExpression ValueOf(LoopStatement statement) => statement is AssignScalar assign ? assign.Value : ((StoreElement)statement).Value;

        /// <summary>Hoists a vector of each scalar's value out of the loop.</summary>
        private Dictionary<string, string> Broadcasts(IEnumerable<string> scalars)
        {
            var lanes = new Dictionary<string, string>();
            foreach (string scalar in scalars.Distinct())
            {
                lanes[scalar] = Unique(scalar.TrimStart('@') + "Lanes");
                _writer.Line($"TVec {lanes[scalar]} = TSimd.Create({scalar});");
            }

            return lanes;
        }

        /// <summary>Spells a graph as calls of <c>TSimd</c>: elements <c>[i]</c> load a vector, scalars read their hoisted vector.</summary>
        private Dialect VectorDialect(string counter, EquatableArray<Operand> operands, Dictionary<string, string> lanes, string gradient, System.Func<int, string?> special) =>
            new("TVec",
                k => special(k) ?? (operands[k].Kind == OperandKind.Element ? $"TSimd.Load({operands[k].Name}, {counter})" : lanes[operands[k].Name]),
                gradient,
                (node, args) => string.Format(CultureInfo.InvariantCulture, PrimitiveRules.Get(node.Op).SimdFormat, args.Cast<object>().ToArray()),
                VectorLiteral);

        private static string VectorLiteral(double value)
        {
            string text = double.IsNaN(value) ? "double.NaN"
                : double.IsPositiveInfinity(value) ? "double.PositiveInfinity"
                : double.IsNegativeInfinity(value) ? "double.NegativeInfinity"
                : value.ToString("R", CultureInfo.InvariantCulture) + "d";
            return "TSimd.Constant(" + text + ")";
        }

        private string LaneSum(string lanes) => $"{Kernels}.LaneSums.Sum<TSimd, TVec, {_t}>({lanes})";

        private System.IDisposable LocalFunction(string name, List<string> parameters)
        {
            _writer.Line($"static void {name}<TSimd, TVec>({string.Join(", ", parameters)})");
            _writer.Line($"    where TSimd : {Kernels}.ISimd<TVec, {_t}>");
            _writer.Line("    where TVec : struct");
            return _writer.Block(string.Empty);
        }

        /// <summary>Calls the local function with the width the runtime runs; with none (scalar only) the scalar loop does it all.</summary>
        private void Dispatch(string name, List<string> arguments)
        {
            string call = string.Join(", ", arguments);
            using (_writer.Block($"switch ({Kernels}.Elementwise.VectorBits)"))
            {
                foreach (int bits in new[] { 512, 256, 128 })
                {
                    string width = bits.ToString(CultureInfo.InvariantCulture);
                    _writer.Line($"case {width}: {name}<{Kernels}.Simd{width}<{_t}>, global::System.Runtime.Intrinsics.Vector{width}<{_t}>>({call}); break;");
                }
            }
        }
    }
}
