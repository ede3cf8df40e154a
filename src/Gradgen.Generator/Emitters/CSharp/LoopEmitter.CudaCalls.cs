using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Emitters.CSharp;

// Calls of other span functions in the row kernels (FRowsCudaSource). Each callee is a device function of the same
// source, its FAccumulateGradient in CUDA: it runs on the caller's row tape (pushes above the caller's, local arrays
// from the top), so a callee that would overflow makes the row stop and report its need as any statement does. The
// caller's backward sweep is the C#'s (BackwardCall): g times the gradient the forward sweep kept.
internal static partial class LoopEmitter
{
    private sealed partial class Writer
    {
        /// <summary>
        /// <c>static __device__ void name(tape, result, inputs…, seed, gradients…)</c>: the callee's value into
        /// <c>gg_result</c> and, where the tape records (a backward kernel), its gradient times <c>seed</c> added to
        /// the gradients passed in. Its tape use ends where it began; a row whose tape is full returns early, leaving
        /// the tape full for the caller's check.
        /// </summary>
        public string CalleeFunction(string name)
        {
            var parameters = new List<string> { $"gg_row_tape& {_tape}", $"{_t}& gg_result" };
            parameters.AddRange(Inputs.Select(p => p.Role switch
            {
                ParameterRole.ArrayInput => $"gg_span<const {_t}> {p.Name}",
                ParameterRole.ScalarInput => $"{_t} {p.Name}",
                _ => $"{_language.DiscreteType(p.Type)} {p.Name}",
            }));
            parameters.Add($"{_t} {_seed}");
            parameters.AddRange(Differentiable.Select(p => p.Role == ParameterRole.ArrayInput ? $"gg_span<{_t}> {_gradients[p.Name]}" : $"{_t}& {_gradients[p.Name]}"));
            _writer.Line();
            _writer.Line($"// {_function.Declaration.Name}, a span function the rows call: its FAccumulateGradient on the row's tape.");
            using (_writer.Block($"static __device__ void {name}({string.Join(", ", parameters)})"))
            {
                _writer.Line($"long long gg_size = {_tape}.size, gg_scratch = {_tape}.scratch;");
                foreach (var parameter in Differentiable.Where(p => p.Role == ParameterRole.ScalarInput))
                {
                    _writer.Line($"{_t} {_adjoints[parameter.Name]} = 0;");
                }

                WriteDeviceLocals();
                _writer.Line();
                Forward(_function.Body);
                _writer.Line($"gg_result = {_function.Result};");
                _writer.Line();
                _writer.Line("// The backward sweep where the tape records and the whole forward sweep fit on it.");
                _writer.Line($"if (!{_tape}.recording) {{ {_tape}.scratch = gg_scratch; return; }}");
                _writer.Line($"if (!{_tape}.Fits()) return;");
                _writer.Line($"{_adjoints[_function.Result!]} = {_seed};");
                Backward(_function.Body);
                foreach (var parameter in Differentiable.Where(p => p.Role == ParameterRole.ScalarInput))
                {
                    _writer.Line($"{_gradients[parameter.Name]} += {_adjoints[parameter.Name]};");
                }

                _writer.Line($"{_tape}.size = gg_size;");
                _writer.Line($"{_tape}.scratch = gg_scratch;");
            }

            return _writer.ToString();
        }

        /// <summary>
        /// The forward sweep of a call in CUDA: as <see cref="ForwardCall"/> in C#, but the gradient of each span
        /// argument is its own block on the tape (a row's tape counts 8-byte words, and a float block is rounded up to
        /// them), and the row stops where the block or the callee did not fit.
        /// </summary>
        private void ForwardDeviceCall(CallFunction call)
        {
            string target = call.Target;
            var values = new List<string>();
            var gradients = new List<string>();
            var scalars = new List<string>();
            _writer.Line($"// {target} = {ShortName(call.Callee)}(…) and its gradient at seed 1, kept for the backward sweep.");
            using (_writer.Block(string.Empty))
            {
                for (int k = 0; k < call.Arguments.Count; k++)
                {
                    var argument = call.Arguments[k];
                    string name = Unique(target + "Argument" + k.ToString(CultureInfo.InvariantCulture));
                    switch (argument.Kind)
                    {
                        case VariableKind.Array:
                            string kept = Unique(name + "Gradient");
                            _writer.Line($"gg_span<const {_t}> {name} = {Argument(argument, argument.Name)};");
                            _writer.Line($"gg_span<{_t}> {kept} = {_tape}.PushZeroed<{_t}>({name}.Length);");
                            values.Add(name);
                            gradients.Add(kept);
                            break;
                        case VariableKind.Scalar:
                            string gradient = Unique("d" + name);
                            _writer.Line($"{_t} {gradient} = 0;");
                            values.Add(argument.Name);
                            gradients.Add(gradient);
                            scalars.Add(gradient);
                            break;
                        default:
                            values.Add(Argument(argument, argument.Name));
                            break;
                    }
                }

                _writer.Line($"if (!{_tape}.Fits()) return;");
                _writer.Line($"{_devices![call.Callee]}({Join(_tape, target, string.Join(", ", values), Literal(1), string.Join(", ", gradients))});");
                _writer.Line($"if (!{_tape}.Fits()) return;");
                foreach (string scalar in scalars)
                {
                    _writer.Line($"{_tape}.Push({scalar});");
                }
            }
        }
    }
}
