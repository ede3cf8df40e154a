using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Emitters.Cuda;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;
using Gradgen.Generator.Planning;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Emitters.CSharp;

/// <summary>
/// Writes the generated members of one span/loop function: <c>FWithGradient</c> (scalar result) or <c>FBackward</c>
/// (span outputs), and <c>FAccumulateGradient</c>, the reverse-mode body they share. That body runs the method once
/// forward, recording on a <c>ReverseTape</c> what the backward sweep needs (see <see cref="LoopReverseMode"/>), then
/// walks the statements backward, each under a comment with the statement it differentiates.
/// </summary>
internal static partial class LoopEmitter
{
    private const string Checks = "global::Gradgen.Kernels.SpanChecks";

    public static string Emit(LoopFunction function) => new Writer(function, LoopLanguage.CSharp, function.Declaration.IsFloat).Write();

    private sealed partial class Writer
    {
        private readonly LoopFunction _function;
        private readonly LoopLanguage _language;
        private readonly SourceWriter _writer = new();
        private readonly string _t;
        private readonly bool _isFloat;
        private readonly RecordedOverwrites _recorded;
        private readonly HashSet<string> _taken = new();
        private readonly Dictionary<string, string> _adjoints = new();
        private readonly Dictionary<string, string> _gradients = new();
        private readonly Dictionary<string, string> _incoming = new();
        private readonly string _tape;
        private readonly string _g;
        private readonly string _seed;
        private readonly HashSet<Op> _usedOps = new();

        /// <summary>CUDA only: the device function of each span function called (<see cref="CallFunction.Callee"/>), written before.</summary>
        private readonly IReadOnlyDictionary<string, string>? _devices;
        private int _loopCount;

        /// <param name="function">The span function.</param>
        /// <param name="language">The language the sweeps are written in.</param>
        /// <param name="isFloat">The element type the sweeps compute in: the declared one, or for CUDA either.</param>
        /// <param name="devices">CUDA only: the device functions of the span functions it calls.</param>
        public Writer(LoopFunction function, LoopLanguage language, bool isFloat, IReadOnlyDictionary<string, string>? devices = null)
        {
            _function = function;
            _language = language;
            _t = isFloat ? "float" : "double";
            _isFloat = isFloat;
            _devices = devices;
            _recorded = LoopReverseMode.Recorded(function);
            foreach (var name in function.Parameters.Select(p => p.Name).Concat(function.Locals.Select(l => l.Name)))
            {
                _taken.Add(name.TrimStart('@'));
            }

            // The names this writer makes (adjoints, the tape, temporaries) keep clear of what C++ and the kernels use.
            _taken.UnionWith(language.ReservedNames);

            // Public gradient parameters first (dx for x), so they get the plain names.
            foreach (var parameter in function.Parameters)
            {
                if (parameter.Role is ParameterRole.ScalarInput or ParameterRole.ArrayInput)
                {
                    _gradients[parameter.Name] = Unique("d" + parameter.Name.TrimStart('@'));
                }
                else if (parameter.Role == ParameterRole.Output)
                {
                    _incoming[parameter.Name] = Unique("d" + parameter.Name.TrimStart('@'));
                }
            }

            foreach (var parameter in function.Parameters)
            {
                _adjoints[parameter.Name] = parameter.Role switch
                {
                    ParameterRole.ArrayInput => _gradients[parameter.Name],
                    ParameterRole.ScalarInput => Unique("d" + parameter.Name.TrimStart('@') + "Local"),
                    ParameterRole.Output => Unique("d" + parameter.Name.TrimStart('@') + "Adjoint"),
                    _ => string.Empty,
                };
            }

            foreach (var local in function.Locals.Where(l => l.Kind != VariableKind.Discrete))
            {
                _adjoints[local.Name] = Unique("d" + local.Name.TrimStart('@'));
            }

            _tape = Unique("tape");
            _g = Unique("g");
            _seed = Unique("seed");
        }

        private string Unique(string name)
        {
            string candidate = name;
            for (int suffix = 2; !_taken.Add(candidate); suffix++)
            {
                candidate = name + suffix.ToString(CultureInfo.InvariantCulture);
            }

            return candidate;
        }

        public string Write()
        {
            var declaration = _function.Declaration;
            _writer.Line("// <auto-generated/>");
            _writer.Line("// Generated by Gradgen from the [Differentiable] method " + declaration.MetadataName + "." + declaration.Name + ":");
            _writer.Line("// reverse mode over its loops, with a tape of the values the backward sweep reads again.");
            _writer.Line("#nullable enable");
            // A condition that is constant in the source (if (2.5 > 1.75)) leaves a branch unreachable here as there.
            _writer.Line("#pragma warning disable CS0162");
            _writer.Line();
            IDisposable? namespaceBlock = declaration.Namespace.Length > 0 ? _writer.Block("namespace " + declaration.Namespace) : null;
            var typeBlocks = _writer.TypeBlocks(declaration.ContainingTypes.Select(t => "partial " + t.Keyword + " " + t.NameWithTypeParameters));
            WritePublicMember();
            _writer.Line();
            WriteAccumulateGradient();
            if (RunsForwardSweep(_function))
            {
                _writer.Line();
                WriteForwardSweep();
            }

            if (RowwiseEmitter.CanMapOverRows(_function))
            {
                _writer.Line();
                RowwiseEmitter.Write(_writer, _function, _taken, indicesAsTensors: false);
                if (_function.Parameters.Any(p => p.Role == ParameterRole.Discrete && p.Type == "int"))
                {
                    _writer.Line();
                    RowwiseEmitter.Write(_writer, _function, _taken, indicesAsTensors: true);
                }

                if (CudaRows.Unsupported(_function) is null)
                {
                    _writer.Line();
                    WriteRowsCudaSource();
                }
            }

            typeBlocks.Dispose();
            namespaceBlock?.Dispose();
            return _writer.ToString();
        }

        private IEnumerable<LoopParameter> Inputs => _function.Parameters.Where(p => p.Role != ParameterRole.Output);

        private IEnumerable<LoopParameter> Outputs => _function.Parameters.Where(p => p.Role == ParameterRole.Output);

        private IEnumerable<LoopParameter> Differentiable => _function.Parameters.Where(p => p.Role is ParameterRole.ScalarInput or ParameterRole.ArrayInput);

        private string Span(bool readOnly) => $"global::System.{(readOnly ? "ReadOnlySpan" : "Span")}<{_t}>";

        private string GradientParameters(string scalarModifier) => string.Join(", ", Differentiable.Select(p =>
            p.Role == ParameterRole.ArrayInput ? $"{Span(false)} {_gradients[p.Name]}" : $"{scalarModifier} {_t} {_gradients[p.Name]}"));

        private void WritePublicMember()
        {
            var declaration = _function.Declaration;
            string f = declaration.Name;
            string source = Xml(declaration.SourceText.Split('\n')[0].Trim());
            bool returnsValue = _function.Result is not null;
            string inputs = string.Join(", ", Inputs.Select(p => p.Type + " " + p.Name));
            string incoming = string.Join(", ", Outputs.Select(p => $"{Span(true)} {_incoming[p.Name]}"));
            string gradients = GradientParameters("out");

            if (returnsValue)
            {
                _writer.Line($"/// <summary>Computes <c>{f}</c> and the gradient of its value with respect to every float or double input, by reverse mode over its loops.</summary>");
            }
            else
            {
                _writer.Line($"/// <summary>The vector-Jacobian product of <c>{f}</c>: given the gradient of each output, the gradient of every float or double input.</summary>");
            }

            _writer.Line($"/// <remarks>Source: <c>{source}</c></remarks>");
            foreach (var parameter in Inputs)
            {
                _writer.Line($"/// <param name=\"{parameter.Name.TrimStart('@')}\">The argument <c>{parameter.Name.TrimStart('@')}</c>.</param>");
            }

            foreach (var parameter in Outputs)
            {
                _writer.Line($"/// <param name=\"{_incoming[parameter.Name]}\">The gradient of the loss with respect to the output <c>{parameter.Name.TrimStart('@')}</c> (one element per element of it).</param>");
            }

            foreach (var parameter in Differentiable)
            {
                string what = parameter.Role == ParameterRole.ArrayInput ? "Receives the gradient with respect to each element of" : "Receives the gradient with respect to";
                _writer.Line($"/// <param name=\"{_gradients[parameter.Name]}\">{what} <c>{parameter.Name.TrimStart('@')}</c> (written, not accumulated).</param>");
            }

            if (returnsValue)
            {
                _writer.Line($"/// <returns>The value of <c>{f}</c>.</returns>");
            }

            _writer.Line("/// <exception cref=\"global::System.ArgumentException\">A gradient span's length differs from its input's.</exception>");
            _writer.Line(CSharpEmitter.GeneratedCode);
            string name = f + (returnsValue ? "WithGradient" : "Backward");
            using (_writer.Block($"{declaration.Accessibility} static {(returnsValue ? _t : "void")} {name}({Join(inputs, incoming, gradients)})"))
            {
                foreach (var parameter in Differentiable)
                {
                    string gradient = _gradients[parameter.Name];
                    if (parameter.Role == ParameterRole.ArrayInput)
                    {
                        _writer.Line($"{Checks}.SameLength({parameter.Name}.Length, \"{parameter.Name.TrimStart('@')}\", {gradient}.Length, \"{gradient}\");");
                    }
                }

                foreach (var parameter in Differentiable)
                {
                    string gradient = _gradients[parameter.Name];
                    _writer.Line(parameter.Role == ParameterRole.ArrayInput ? gradient + ".Clear();" : gradient + " = 0;");
                }

                string seeds = returnsValue ? Literal(1) : string.Join(", ", Outputs.Select(p => _incoming[p.Name]));
                string call = $"{f}AccumulateGradient({Join(string.Join(", ", Inputs.Select(p => p.Name)), seeds, string.Join(", ", Differentiable.Select(p => (p.Role == ParameterRole.ScalarInput ? "ref " : string.Empty) + _gradients[p.Name])))});";
                _writer.Line(returnsValue ? "return " + call : call);
            }
        }

        private void WriteAccumulateGradient()
        {
            var declaration = _function.Declaration;
            bool returnsValue = _function.Result is not null;
            bool custom = _function.CustomBackward is not null;
            // A custom derivative gets the inputs as declared (it passes them on to F and B); the generated body reads spans.
            string inputs = string.Join(", ", Inputs.Select(p => (p.Role == ParameterRole.ArrayInput && !custom ? Span(true) : p.Type) + " " + p.Name));
            string seeds = returnsValue ? $"{_t} {_seed}" : string.Join(", ", Outputs.Select(p => $"{Span(true)} {_incoming[p.Name]}"));
            _writer.Line($"/// <summary>The reverse-mode body behind <c>{declaration.Name}{(returnsValue ? "WithGradient" : "Backward")}</c>: adds the gradients, scaled by the incoming gradient, to the ones passed in.</summary>");
            _writer.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
            _writer.Line(CSharpEmitter.GeneratedCode);
            using (_writer.Block($"{declaration.Accessibility} static {(returnsValue ? _t : "void")} {declaration.Name}AccumulateGradient({Join(inputs, seeds, GradientParameters("ref"))})"))
            {
                if (custom)
                {
                    WriteCustomDerivativeCall(returnsValue);
                    return;
                }

                _writer.Line($"var {_tape} = global::Gradgen.Kernels.ReverseTape.Rent();");
                using (_writer.Block("try"))
                {
                    WriteLocals();
                    _writer.Line();
                    _writer.Line("// Forward sweep: the method's statements, recording what the backward sweep reads again.");
                    Forward(_function.Body);
                    _writer.Line();
                    _writer.Line("// Backward sweep: the statements in reverse, each adding its local derivatives.");
                    if (returnsValue)
                    {
                        _writer.Line($"{_adjoints[_function.Result!]} = {_seed};");
                    }

                    Backward(_function.Body);
                    foreach (var parameter in Differentiable.Where(p => p.Role == ParameterRole.ScalarInput))
                    {
                        _writer.Line($"{_gradients[parameter.Name]} += {_adjoints[parameter.Name]};");
                    }

                    if (returnsValue)
                    {
                        _writer.Line($"return {_function.Result};");
                    }
                }

                using (_writer.Block("finally"))
                {
                    _writer.Line($"{_tape}.Return();");
                }
            }
        }

        /// <summary>The user's derivative (<c>[Differentiable(Backward = …)]</c>): F runs for the value, B adds the gradients.</summary>
        private void WriteCustomDerivativeCall(bool returnsValue)
        {
            string inputs = string.Join(", ", Inputs.Select(p => p.Name));
            string seeds = returnsValue ? _seed : string.Join(", ", Outputs.Select(p => _incoming[p.Name]));
            string gradients = string.Join(", ", Differentiable.Select(p => (p.Role == ParameterRole.ScalarInput ? "ref " : string.Empty) + _gradients[p.Name]));
            if (returnsValue)
            {
                _writer.Line($"{_t} {_function.Result} = {_function.Declaration.Name}({inputs});");
            }

            _writer.Line($"{_function.CustomBackward}({Join(inputs, seeds, gradients)});");
            if (returnsValue)
            {
                _writer.Line($"return {_function.Result};");
            }
        }

        private void WriteLocals(bool withOutputs = true)
        {
            foreach (var parameter in _function.Parameters)
            {
                switch (parameter.Role)
                {
                    case ParameterRole.ScalarInput:
                        _writer.Line($"{_t} {_adjoints[parameter.Name]} = 0;");
                        break;
                    case ParameterRole.Output when withOutputs:
                        // The outputs are computed into scratch memory; their adjoints start as the incoming gradients.
                        // Scratch memory stays with the pooled tape: a warm call allocates nothing.
                        _writer.Line($"{Span(false)} {parameter.Name} = {_tape}.Scratch<{_t}>({_incoming[parameter.Name]}.Length);");
                        _writer.Line($"{Span(false)} {_adjoints[parameter.Name]} = {_tape}.Scratch<{_t}>({_incoming[parameter.Name]}.Length);");
                        _writer.Line($"{_incoming[parameter.Name]}.CopyTo({_adjoints[parameter.Name]});");
                        break;
                }
            }

            foreach (var local in _function.Locals)
            {
                switch (local.Kind)
                {
                    case VariableKind.Scalar:
                        _writer.Line($"{_t} {local.Name} = 0, {_adjoints[local.Name]} = 0;");
                        break;
                    case VariableKind.Discrete:
                        _writer.Line($"{local.Type} {local.Name} = default;");
                        break;
                    default:
                        _writer.Line($"{Span(false)} {local.Name} = default, {_adjoints[local.Name]} = default;");
                        break;
                }
            }
        }

        // ---- forward sweep ----

        private void Forward(IEnumerable<LoopStatement> statements)
        {
            foreach (var statement in statements)
            {
                switch (statement)
                {
                    case AssignScalar or IfStatement when _extrema.ContainsKey(statement):
                        ForwardExtremum(statement);
                        break;

                    case AssignScalar assign:
                        Comment(assign.Target + " = ", assign.Value);
                        Record(assign, assign.Target, _t);
                        _writer.Line($"{assign.Target} = {Inline(assign.Value)};");
                        break;

                    case AssignDiscrete assign:
                        Record(assign, assign.Target, TypeOf(assign.Target));
                        _writer.Line($"{assign.Target} = {Discrete(assign.Value)};");
                        break;

                    case StoreElement store:
                        Comment(store.Array + "[" + Text(store.Index) + "] = ", store.Value);
                        Record(store, $"{store.Array}[{Text(store.Index)}]", _t);
                        _writer.Line($"{store.Array}[{Text(store.Index)}] = {Inline(store.Value)};");
                        break;

                    case AllocateArray allocate:
                        _writer.Line($"{allocate.Array} = {_tape}.Scratch<{_t}>({Text(allocate.Length)});");
                        _writer.Line($"{_adjoints[allocate.Array]} = {_tape}.Scratch<{_t}>({Text(allocate.Length)});");
                        if (_language.StopWhereFull(_tape) is { } stop)
                        {
                            _writer.Line(stop);
                        }

                        break;

                    case CallFunction call:
                        Record(call, call.Target, _t);
                        ForwardCall(call);
                        break;

                    case IfStatement branch:
                        using (_writer.Block($"if ({Discrete(branch.Condition)})"))
                        {
                            Forward(branch.Then);
                            _writer.Line($"{_tape}.Push(true);");
                        }

                        using (_writer.Block("else"))
                        {
                            Forward(branch.Else);
                            _writer.Line($"{_tape}.Push(false);");
                        }

                        break;

                    case LoopStatementWhile loop:
                        ForwardLoop(loop);
                        break;
                }
            }
        }

        private void ForwardLoop(LoopStatementWhile loop)
        {
            int id = ++_loopCount;
            string count = "iterations" + id.ToString(CultureInfo.InvariantCulture);
            using (_writer.Block(string.Empty))
            {
                string? first = loop.Counter is null ? null : "first" + id.ToString(CultureInfo.InvariantCulture);
                if (first is not null)
                {
                    _writer.Line($"int {first} = {loop.Counter};");
                }

                _writer.Line($"int {count} = 0;");
                var extrema = BeginExtrema(loop, count, backward: false);
                if (first is not null && _language.Vectorises && LoopVectorisation.Plan(loop, _recorded, _isFloat) is { } vectors)
                {
                    ForwardVectors(vectors, first, count);
                }
                else if (first is not null && _language.Vectorises && LoopVectorisation.PlanExtrema(loop) is { } extremaVectors)
                {
                    ForwardExtremaVectors(extremaVectors, first, count);
                }

                using (_writer.Block($"while ({Discrete(loop.Condition)})"))
                {
                    Forward(loop.Body);
                    Forward(loop.Step);
                    _writer.Line($"{count}++;");
                    if (loop.Counter is not null)
                    {
                        string advance = $"{loop.Counter} += {loop.CounterStep.ToString(CultureInfo.InvariantCulture)};";
                        _writer.Line(loop.BreakFlag is null ? advance : $"if (!{loop.BreakFlag}) {advance}");
                    }
                }

                if (first is not null)
                {
                    _writer.Line($"{_tape}.Push({first});");
                }

                _writer.Line($"{_tape}.Push({count});");
                EndForwardExtrema(extrema);
            }
        }

        /// <summary>Pushes the value about to be overwritten, when the backward sweep reads it before this statement's.</summary>
        private void Record(LoopStatement statement, string place, string type)
        {
            if (_recorded.At(statement))
            {
                _writer.Line($"{_tape}.Push<{type}>({place});");
            }
        }

        private void Restore(LoopStatement statement, string place, string type)
        {
            if (_recorded.At(statement))
            {
                _writer.Line($"{place} = {_tape}.Pop<{type}>();");
            }
        }

        // ---- backward sweep ----

        private void Backward(IEnumerable<LoopStatement> statements)
        {
            foreach (var statement in statements.Reverse())
            {
                switch (statement)
                {
                    case AssignScalar or IfStatement when _extrema.ContainsKey(statement):
                        BackwardExtremum(statement);
                        break;

                    case AssignScalar assign:
                        using (_writer.Block(string.Empty))
                        {
                            Comment("∂ of " + assign.Target + " = ", assign.Value);
                            string adjoint = _adjoints[assign.Target];
                            _writer.Line($"{_t} {_g} = {adjoint};");
                            _writer.Line($"{adjoint} = 0;");
                            Restore(assign, assign.Target, _t);
                            Partials(assign.Value);
                        }

                        break;

                    case AssignDiscrete assign:
                        Restore(assign, assign.Target, TypeOf(assign.Target));
                        break;

                    case StoreElement store:
                        using (_writer.Block(string.Empty))
                        {
                            Comment("∂ of " + store.Array + "[" + Text(store.Index) + "] = ", store.Value);
                            string adjoint = $"{_adjoints[store.Array]}[{Text(store.Index)}]";
                            _writer.Line($"{_t} {_g} = {adjoint};");
                            _writer.Line($"{adjoint} = 0;");
                            Restore(store, $"{store.Array}[{Text(store.Index)}]", _t);
                            Partials(store.Value);
                        }

                        break;

                    case AllocateArray:
                        break;

                    case CallFunction call:
                        BackwardCall(call);
                        break;

                    case IfStatement branch:
                        BackwardBranch(branch);
                        break;

                    case LoopStatementWhile loop:
                        BackwardLoop(loop);
                        break;
                }
            }
        }

        /// <summary>
        /// Pops the side the forward sweep took and runs its backward; a side with nothing to undo gets no block (no
        /// empty <c>else { }</c>), but the flag is popped whatever the sides hold, as the forward pushed it.
        /// </summary>
        private void BackwardBranch(IfStatement branch)
        {
            bool thenEmpty = HasNoBackward(branch.Then), elseEmpty = HasNoBackward(branch.Else);
            if (thenEmpty && elseEmpty)
            {
                _writer.Line($"{_tape}.Pop<bool>();");
                return;
            }

            using (_writer.Block(thenEmpty ? $"if (!{_tape}.Pop<bool>())" : $"if ({_tape}.Pop<bool>())"))
            {
                Backward(thenEmpty ? branch.Else : branch.Then);
            }

            if (!thenEmpty && !elseEmpty)
            {
                using (_writer.Block("else"))
                {
                    Backward(branch.Else);
                }
            }
        }

        /// <summary>Whether <see cref="Backward"/> writes nothing for these statements: no gradient and nothing recorded to restore.</summary>
        private bool HasNoBackward(IEnumerable<LoopStatement> statements) =>
            statements.All(s => s is AllocateArray || (s is AssignDiscrete && !_recorded.At(s)));

        private void BackwardLoop(LoopStatementWhile loop)
        {
            int id = ++_loopCount;
            string count = "iterations" + id.ToString(CultureInfo.InvariantCulture);
            using (_writer.Block(string.Empty))
            {
                var extrema = BeginExtrema(loop, count, backward: true);
                _writer.Line($"int {count} = {_tape}.Pop<int>();");
                string more = $"{count} > 0";
                if (extrema.Count == 1 && loop.Body.Count == 1 && loop.Step.Count == 0)
                {
                    // Only a running extremum (RunningExtremum): the iterations before its last change add zero, and
                    // so do those after it unless one tied.
                    _writer.Line(extrema[0].Ties is null ? $"{count} = {extrema[0].LastChange};" : $"if ({extrema[0].Ties} == 0) {count} = {extrema[0].LastChange};");
                    more = $"{count} > 0 && {count} >= {extrema[0].LastChange}";
                }

                if (_language.Vectorises && LoopVectorisation.Plan(loop, _recorded, _isFloat) is { } vectors)
                {
                    string first = "first" + id.ToString(CultureInfo.InvariantCulture);
                    _writer.Line($"int {first} = {_tape}.Pop<int>();");
                    BackwardVectors(loop, vectors, first, count);
                }
                else if (loop.Counter is { } counter)
                {
                    // A counted loop: the counter is walked down from its last value instead of being recorded.
                    string first = "first" + id.ToString(CultureInfo.InvariantCulture);
                    string step = loop.CounterStep.ToString(CultureInfo.InvariantCulture);
                    _writer.Line($"int {first} = {_tape}.Pop<int>();");
                    string last = loop.CounterStep == 1 ? $"{first} + {count} - 1" : $"{first} + ({count} - 1) * {step}";
                    using (_writer.Block($"for ({counter} = {last}; {more}; {count}--, {counter} -= {step})"))
                    {
                        Backward(loop.Body);
                    }

                    _writer.Line($"{counter} = {first};");
                }
                else
                {
                    using (_writer.Block($"for (; {more}; {count}--)"))
                    {
                        Backward(loop.Step);
                        Backward(loop.Body);
                    }
                }

                EndBackwardExtrema(extrema);
            }
        }

        /// <summary>Adds g·∂value/∂leaf to each leaf's adjoint.</summary>
        private void Partials(ScalarExpression value)
        {
            var partials = LoopReverseMode.Partials(value, _isFloat);
            var graph = partials.Body.Graph;
            var printed = Print(graph, value.Operands, statements: true);
            for (int k = 0; k < partials.Leaves.Count; k++)
            {
                var operand = value.Operands[partials.Leaves[k]];
                string adjoint = operand.Kind == OperandKind.Element ? $"{_adjoints[operand.Name]}[{Text(operand.Index!)}]" : _adjoints[operand.Name];
                _writer.Line($"{adjoint} += {printed[graph.Outputs[k]]};");
            }
        }

        // ---- expressions ----

        private string Inline(ScalarExpression value) => Print(value.Graph, value.Operands, statements: false)[value.Graph.Outputs[0]];

        private string[] Print(IrGraph graph, EquatableArray<Operand> operands, bool statements) =>
            Print(graph, statements, new Dialect(_t, k => Leaf(operands[k]), _g, Apply, Literal));

        /// <summary>
        /// Prints a graph's nodes: a value used more than once becomes a local (<paramref name="statements"/>), the rest
        /// nest into the expressions that use them. Returns each node's C#.
        /// </summary>
        private string[] Print(IrGraph graph, bool statements, Dialect dialect)
        {
            var uses = new int[graph.Nodes.Count];
            foreach (int output in graph.Outputs)
            {
                uses[output]++;
            }

            foreach (var node in graph.Nodes)
            {
                foreach (int arg in node.Args)
                {
                    uses[arg]++;
                }
            }

            var text = new string[graph.Nodes.Count];
            for (int id = 0; id < graph.Nodes.Count; id++)
            {
                var node = graph.Nodes[id];
                text[id] = node.Op switch
                {
                    Op.Parameter => dialect.Leaf((int)node.Value),
                    Op.GradOutput => dialect.GradOutput,
                    Op.Constant => dialect.Literal(node.Value),
                    _ => dialect.Apply(node, node.Args.Select(a => text[a]).ToArray()),
                };
                if (statements && uses[id] > 1 && node.Op is not (Op.Parameter or Op.GradOutput or Op.Constant))
                {
                    string description = FunctionNames.DescriptionOf(graph, id);
                    string local = (description.Length > 0 ? description + "_v" : "v") + id.ToString(CultureInfo.InvariantCulture);
                    while (_taken.Contains(local))
                    {
                        local = "v" + local;
                    }

                    _writer.Line($"{dialect.Type} {local} = {text[id]};");
                    text[id] = local;
                }
            }

            return text;
        }

        /// <summary>How <see cref="Print(IrGraph, bool, Dialect)"/> spells a graph: scalar C# or generic SIMD calls.</summary>
        private sealed record Dialect(string Type, Func<int, string> Leaf, string GradOutput, Func<IrNode, string[], string> Apply, Func<double, string> Literal);

        private string Leaf(Operand operand) => operand.Kind switch
        {
            OperandKind.Scalar => operand.Name,
            OperandKind.Element => $"{operand.Name}[{Text(operand.Index!)}]",
            _ => $"({_t})({Text(operand.Index!)})",
        };

        private string Apply(IrNode node, string[] args)
        {
            if (node.Op == Op.OpaqueCall)
            {
                return OpaqueCall(string.Format(CultureInfo.InvariantCulture, node.Callee, args.Cast<object>().ToArray()));
            }

            _usedOps.Add(node.Op);
            return _language.Apply(node, args, _t, _isFloat);
        }

        private string Literal(double value) => _language.Literal(value, _t, _isFloat);

        private string Text(DiscreteText text) => _language.Discrete(text.Text);

        private string Discrete(DiscreteExpression expression) =>
            _language.Discrete(expression.Values.Count == 0
                ? expression.Text
                : string.Format(CultureInfo.InvariantCulture, expression.Text, expression.Values.Select(v => (object)Inline(v)).ToArray()));

        private string Argument(CallArgument argument, string array) => argument.Kind switch
        {
            VariableKind.Discrete => Text(argument.Discrete!),
            VariableKind.Scalar => array,
            _ when argument.SliceStart is null => array,
            _ when argument.SliceLength is null => $"{array}.Slice({Text(argument.SliceStart)})",
            _ => $"{array}.Slice({Text(argument.SliceStart!)}, {Text(argument.SliceLength!)})",
        };

        private string TypeOf(string variable) => _language.DiscreteType(
            _function.Locals.FirstOrDefault(l => l.Name == variable)?.Type
            ?? _function.Parameters.First(p => p.Name == variable).Type);

        private void Comment(string prefix, ScalarExpression value)
        {
            string text = prefix + FormulaPrinter.Print(value.Graph, value.Graph.Outputs[0], value.Operands.Select(Leaf).ToArray(), _g, _isFloat);
            _writer.Line("// " + (text.Length <= 120 ? text : text.Substring(0, 117) + "..."));
        }

        private static string Join(params string[] parts) => string.Join(", ", parts.Where(p => p.Length > 0));

        private static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
    }
}
