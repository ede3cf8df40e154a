using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Emitters.CSharp;

internal static partial class LoopEmitter
{
    // Calls of other span functions (CallFunction). The callee returns a scalar, so its gradient for any incoming g is
    // g times its gradient at seed 1: the forward sweep runs the callee's FAccumulateGradient once with seed 1 and
    // keeps that gradient on the tape, and the backward sweep adds g times it. The callee's body runs exactly once per
    // call, so a call inside Grad.StopGradient in it runs as often as the caller's code runs it, and its value is the
    // one the gradient belongs to.
    private sealed partial class Writer
    {
        private void ForwardCall(CallFunction call)
        {
            if (_devices is not null)
            {
                ForwardDeviceCall(call);
                return;
            }

            string target = call.Target.TrimStart('@');
            var arrays = new List<string>();
            var scalars = new List<string>();
            var values = new List<string>();
            var gradients = new List<string>();
            string kept = Unique(target + "Gradient");
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
                            _writer.Line($"{Span(true)} {name} = {Argument(argument, argument.Name)};");
                            values.Add(name);
                            gradients.Add(string.Empty);
                            arrays.Add(name);
                            break;
                        case VariableKind.Scalar:
                            string gradient = Unique("d" + name);
                            values.Add(argument.Name);
                            scalars.Add(gradient);
                            gradients.Add("ref " + gradient);
                            _writer.Line($"{_t} {gradient} = 0;");
                            break;
                        default:
                            values.Add(Argument(argument, argument.Name));
                            break;
                    }
                }

                if (arrays.Count > 0)
                {
                    _writer.Line($"{Span(false)} {kept} = {_tape}.PushZeroed<{_t}>({string.Join(" + ", arrays.Select(a => a + ".Length"))});");
                }

                // Each array's gradient is the next slice of the pushed block, in argument order.
                string offset = "0";
                int array = 0;
                for (int k = 0; k < gradients.Count; k++)
                {
                    if (gradients[k].Length == 0)
                    {
                        string name = arrays[array++];
                        gradients[k] = $"{kept}.Slice({offset}, {name}.Length)";
                        offset = offset == "0" ? name + ".Length" : offset + " + " + name + ".Length";
                    }
                }

                _writer.Line($"{call.Target} = {call.Callee}AccumulateGradient({Join(string.Join(", ", values), Literal(1), string.Join(", ", gradients))});");
                foreach (string scalar in scalars)
                {
                    _writer.Line($"{_tape}.Push({scalar});");
                }
            }
        }

        private void BackwardCall(CallFunction call)
        {
            using (_writer.Block(string.Empty))
            {
                _writer.Line($"// ∂ of {call.Target.TrimStart('@')} = {ShortName(call.Callee)}(…): g times the gradient the forward sweep kept.");
                string adjoint = _adjoints[call.Target];
                _writer.Line($"{_t} {_g} = {adjoint};");
                _writer.Line($"{adjoint} = 0;");
                var differentiable = call.Arguments.Where(a => a.Kind != VariableKind.Discrete).ToList();
                foreach (var argument in differentiable.Where(a => a.Kind == VariableKind.Scalar).Reverse())
                {
                    _writer.Line($"{_adjoints[argument.Name]} += {_g} * {_tape}.Pop<{_t}>();");
                }

                foreach (var argument in differentiable.Where(a => a.Kind == VariableKind.Array).Reverse())
                {
                    _writer.Line($"{_tape}.PopAddScaled({_g}, {Argument(argument, _adjoints[argument.Name])});");
                }

                Restore(call, call.Target, _t);
            }
        }

        private static string ShortName(string callee) => callee.Substring(callee.LastIndexOf('.') + 1);
    }
}
