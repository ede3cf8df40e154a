using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Emitters.Cuda;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Model;

namespace Gradgen.Generator.Emitters.CSharp;

// The row kernels of the tensor overload on a GPU (FRowsCudaSource): the same forward and backward sweeps as
// FAccumulateGradient, walked by this Writer in the CUDA LoopLanguage, inside a device function of one row.
internal static partial class LoopEmitter
{
    /// <summary>The entry prefix of the row kernels: <c>F_rows</c>, or <c>F_indexed_rows</c> where <c>int</c> parameters are tensors.</summary>
    public static string RowsEntry(LoopFunction function, bool indicesAsTensors) =>
        function.Declaration.Name + (indicesAsTensors ? "_indexed_rows" : "_rows");

    /// <summary>
    /// The CUDA source of a function's row kernels, which <see cref="CudaRows.Unsupported(LoopFunction)"/> allows: the
    /// prelude, the helpers its primitives call, and the kernels of each tensor overload, in the declared element
    /// type only: the tensor overload converts its inputs to that type on the CPU, and does the same on a device.
    /// </summary>
    private static string RowsCudaSource(LoopFunction function)
    {
        var source = new SourceWriter();
        CudaRows.WritePrelude(source, function.Declaration.Name);
        bool isFloat = function.Declaration.IsFloat;
        var used = new HashSet<Op>();
        var kernels = new List<string>();

        // The span functions it calls, callees first, each a device function named by its place here (two callees
        // may share a name in different types) and its name where that is ASCII, in CUDA's spelling of their names.
        var devices = new Dictionary<string, string>();
        foreach (var callee in CudaRows.CalleesInOrder(function))
        {
            string method = callee.Function!.Declaration.Name.TrimStart('@');
            string name = "gg_f" + (devices.Count + 1).ToString(CultureInfo.InvariantCulture) + (method.All(c => c <= 127) ? "_" + method : string.Empty);
            var writer = new Writer(CudaNames.Mangle(callee.Function), LoopLanguage.Cuda, isFloat, devices);
            kernels.Add(writer.CalleeFunction(name));
            used.UnionWith(writer.UsedOps);
            devices[callee.Name] = name;
        }

        var rows = CudaNames.Mangle(function);
        bool indexed = function.Parameters.Any(p => p.Role == ParameterRole.Discrete && p.Type == "int");
        foreach (bool indices in indexed ? new[] { false, true } : new[] { false })
        {
            var writer = new Writer(rows, LoopLanguage.Cuda, isFloat, devices);
            kernels.Add(writer.RowKernels(RowsEntry(function, indices), indices));
            used.UnionWith(writer.UsedOps);
        }

        CudaEmitter.WriteHelpers(source, used, isFloat);
        foreach (string text in kernels)
        {
            AppendLines(source, text);
        }

        return source.ToString();
    }

    private static void AppendLines(SourceWriter writer, string text)
    {
        foreach (string line in text.TrimEnd('\n').Split('\n'))
        {
            writer.Line(line);
        }
    }

    private sealed partial class Writer
    {
        public IEnumerable<Op> UsedOps => _usedOps;

        /// <summary><c>const string FRowsCudaSource</c>: the row kernels, for the tensor overload on a GPU.</summary>
        private void WriteRowsCudaSource()
        {
            var declaration = _function.Declaration;
            string f = declaration.Name;
            bool indexed = _function.Parameters.Any(p => p.Role == ParameterRole.Discrete && p.Type == "int");
            _writer.Line("/// <summary>");
            _writer.Line($"/// CUDA C++ of the row kernels of <c>{f}</c>'s tensor overload on a GPU: <c>{f}_rows_forward</c> and <c>{f}_rows_backward</c>{(indexed ? $" (and <c>{f}_indexed_rows_…</c> for the overload taking one index per row)" : string.Empty)}, in");
            _writer.Line($"/// {declaration.ElementType}; one thread per row, the backward's tape in global memory.");
            _writer.Line("/// Self-contained (no includes), for NVRTC.");
            _writer.Line("/// </summary>");
            _writer.Line(CSharpEmitter.GeneratedCode);
            _writer.Line($"{declaration.Accessibility} const string {f}RowsCudaSource = \"\"\"");
            AppendLines(_writer, RowsCudaSource(_function));
            _writer.Line("\"\"\";");
        }

        /// <summary>
        /// The forward and backward kernels of one tensor overload, each a grid-stride loop over rows calling a device
        /// function of one row. Arguments: each tensor's buffer; the output (forward) or the output's gradient and each
        /// float input's gradient (backward); the tape and the word it reports overflow in; each span input's row
        /// length, each output's row length and each <c>int</c>/<c>long</c>/<c>bool</c> argument (<c>long long</c>);
        /// the tape's capacity per row; the number of rows; the first row and the number of rows this launch computes
        /// (a tape for all rows may be larger than one buffer: the host launches chunks, each with its own tape, row
        /// <c>gg_first + k</c> using slot <c>k</c> of it).
        /// </summary>
        public string RowKernels(string entry, bool indicesAsTensors)
        {
            var tensors = _function.Parameters.Where(p => p.Role is ParameterRole.ArrayInput or ParameterRole.ScalarInput || (indicesAsTensors && p.Role == ParameterRole.Discrete && p.Type == "int")).ToList();
            var discrete = _function.Parameters.Where(p => p.Role == ParameterRole.Discrete && !tensors.Contains(p)).ToList();
            var outputs = Outputs.ToList();
            var inputs = tensors.Select((p, k) => p.Role == ParameterRole.Discrete ? $"const long long* __restrict__ gg_in{k}" : $"const {_t}* __restrict__ gg_in{k}").ToList();
            var tail = new List<string> { "long long* __restrict__ gg_tape", "unsigned long long* __restrict__ gg_needed" };
            tail.AddRange(tensors.Select((p, k) => (p, k)).Where(x => x.p.Role == ParameterRole.ArrayInput).Select(x => $"long long gg_len{x.k}"));
            tail.AddRange(outputs.Select((_, m) => $"long long gg_outlen{m}"));
            tail.AddRange(discrete.Select((_, d) => $"long long gg_arg{d}"));
            tail.Add("long long gg_capacity");
            tail.Add("int gg_rows");
            tail.Add("int gg_first");
            tail.Add("int gg_count");
            var forward = inputs.Concat(new[] { $"{_t}* __restrict__ gg_out" }).Concat(tail).ToList();
            var gradients = tensors.Select((p, k) => (p, k)).Where(x => x.p.Role != ParameterRole.Discrete).Select(x => $"{_t}* __restrict__ gg_grad{x.k}");
            var backward = inputs.Concat(new[] { $"const {_t}* __restrict__ gg_grad_out" }).Concat(gradients).Concat(tail).ToList();
            WriteRowKernel(entry + "_forward", forward, tensors, discrete, outputs, backward: false);
            WriteRowKernel(entry + "_backward", backward, tensors, discrete, outputs, backward: true);
            return _writer.ToString();
        }

        private void WriteRowKernel(string name, List<string> parameters, List<LoopParameter> tensors, List<LoopParameter> discrete, List<LoopParameter> outputs, bool backward)
        {
            string Names(IEnumerable<string> declarations) => string.Join(", ", declarations.Select(d => d.Substring(d.LastIndexOf(' ') + 1)));
            _writer.Line();
            _writer.Line(backward
                ? $"// One row of the backward: the forward sweep recording on the tape, then the backward sweep."
                : $"// One row of the forward: the method's statements (the tape only lends local arrays).");
            using (_writer.Block($"static __device__ __forceinline__ void {name}_row(int gg_row, int gg_slot, {string.Join(", ", parameters)})"))
            {
                WriteRowBody(tensors, discrete, outputs, backward);
            }

            _writer.Line();
            using (_writer.Block($"extern \"C\" __global__ void {name}({string.Join(", ", parameters)})"))
            using (_writer.Block("for (int gg_slot = blockIdx.x * blockDim.x + threadIdx.x; gg_slot < gg_count; gg_slot += blockDim.x * gridDim.x)"))
            {
                _writer.Line($"{name}_row(gg_first + gg_slot, gg_slot, {Names(parameters)});");
            }
        }

        private void WriteRowBody(List<LoopParameter> tensors, List<LoopParameter> discrete, List<LoopParameter> outputs, bool backward)
        {
            _writer.Line($"gg_row_tape {_tape}(gg_tape + (long long)gg_slot * gg_capacity, gg_capacity, gg_needed, {(backward ? "true" : "false")});");
            for (int k = 0; k < tensors.Count; k++)
            {
                var p = tensors[k];
                _writer.Line(p.Role switch
                {
                    ParameterRole.ArrayInput => $"gg_span<const {_t}> {p.Name}(gg_in{k} + (long long)gg_row * gg_len{k}, gg_len{k});",
                    ParameterRole.ScalarInput => $"{_t} {p.Name} = gg_in{k}[gg_row];",
                    _ => $"int {p.Name} = (int)gg_in{k}[gg_row];",
                });
                if (!backward || p.Role == ParameterRole.Discrete)
                {
                    continue;
                }

                // Each row owns its slice of the gradients: zeroed here, so that a relaunch adds nothing twice.
                _writer.Line(p.Role == ParameterRole.ArrayInput
                    ? $"gg_span<{_t}> {_gradients[p.Name]}(gg_grad{k} + (long long)gg_row * gg_len{k}, gg_len{k}); for (int gg_i = 0; gg_i < {_gradients[p.Name]}.Length; gg_i++) {_gradients[p.Name]}[gg_i] = 0;"
                    : $"{_t} {_adjoints[p.Name]} = 0;");
            }

            for (int d = 0; d < discrete.Count; d++)
            {
                string type = _language.DiscreteType(discrete[d].Type);
                _writer.Line($"{type} {discrete[d].Name} = ({type})gg_arg{d};");
            }

            for (int m = 0; m < outputs.Count; m++)
            {
                // The outputs lie one after another in gg_out (and their gradients in gg_grad_out), each [rows, length].
                string offset = m == 0 ? "0" : "(long long)gg_rows * (" + string.Join(" + ", Enumerable.Range(0, m).Select(j => $"gg_outlen{j}")) + ")";
                string row = $"{offset} + (long long)gg_row * gg_outlen{m}";
                string y = outputs[m].Name, dy = _adjoints[y];
                if (!backward)
                {
                    _writer.Line($"gg_span<{_t}> {y}(gg_out + {row}, gg_outlen{m}); for (int gg_i = 0; gg_i < {y}.Length; gg_i++) {y}[gg_i] = 0;");
                    continue;
                }

                _writer.Line($"gg_span<{_t}> {y} = {_tape}.Scratch<{_t}>(gg_outlen{m});");
                _writer.Line($"gg_span<{_t}> {dy} = {_tape}.Scratch<{_t}>(gg_outlen{m});");
                _writer.Line($"if (!{_tape}.Fits()) return;");
                _writer.Line($"for (int gg_i = 0; gg_i < {dy}.Length; gg_i++) {dy}[gg_i] = gg_grad_out[{row} + gg_i];");
            }

            WriteDeviceLocals();
            _writer.Line();
            Forward(_function.Body);
            if (!backward)
            {
                if (_function.Result is not null)
                {
                    _writer.Line($"gg_out[gg_row] = {_function.Result};");
                }

                return;
            }

            _writer.Line();
            _writer.Line("// Backward sweep, where the whole forward sweep fit on the tape.");
            _writer.Line($"if (!{_tape}.Fits()) return;");
            if (_function.Result is not null)
            {
                _writer.Line($"{_adjoints[_function.Result]} = gg_grad_out[gg_row];");
            }

            Backward(_function.Body);
            for (int k = 0; k < tensors.Count; k++)
            {
                if (tensors[k].Role == ParameterRole.ScalarInput)
                {
                    _writer.Line($"gg_grad{k}[gg_row] = {_adjoints[tensors[k].Name]};");
                }
            }
        }

        /// <summary>The function's locals and their adjoints, in a device function of one row (or of a callee).</summary>
        private void WriteDeviceLocals()
        {
            foreach (var local in _function.Locals)
            {
                _writer.Line(local.Kind switch
                {
                    VariableKind.Scalar => $"{_t} {local.Name} = 0, {_adjoints[local.Name]} = 0;",
                    VariableKind.Discrete => $"{_language.DiscreteType(local.Type)} {local.Name} = 0;",
                    _ => $"gg_span<{_t}> {local.Name}, {_adjoints[local.Name]};",
                });
            }
        }
    }
}
