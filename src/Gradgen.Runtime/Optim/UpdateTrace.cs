using System.Globalization;
using System.Numerics;
using System.Text;

namespace Gradgen.Optim;

/// <summary>
/// One <see cref="IUpdateRule"/>'s update of one element, recorded by running the rule once over
/// <see cref="TracedValue"/>: a list of operations on the parameter, gradient and state elements and on the rule's
/// per-step scalars (learning rate, bias corrections, …). The same record prints as a CUDA kernel (one thread per
/// element, the scalars as kernel arguments, so that a new learning rate launches the same compiled kernel) and
/// evaluates on the host (what an emulated device runs), so the device update has no second copy of any rule.
/// </summary>
internal sealed class UpdateTrace
{
    /// <summary>The buffers a rule reads, in its <c>Apply</c>'s order: the parameter, the gradient, the state buffers.</summary>
    public const int Parameter = 0, Gradient = 1, FirstState = 2, Buffers = 5;

    [ThreadStatic]
    private static UpdateTrace? recording;

    private readonly List<Operation> operations = [];
    private readonly List<double> scalars = [];
    private readonly int[] outputs = new int[Buffers];

    private UpdateTrace()
    {
    }

    /// <summary>What one operation computes; <see cref="Operation.A"/> and <see cref="Operation.B"/> are operation indices, a buffer index (<see cref="Kind.Load"/>) or a scalar index (the scalar forms' B).</summary>
    internal enum Kind
    {
        Load, Add, Subtract, Multiply, Divide, Negate, AddScalar, MultiplyScalar, DivideScalar, Sqrt, Max,
    }

    internal readonly record struct Operation(Kind Kind, int A, int B);

    /// <summary>The operations in order; the first <see cref="Buffers"/> load the buffers.</summary>
    public IReadOnlyList<Operation> Operations => operations;

    /// <summary>The rule's scalars, in the order its operations use them.</summary>
    public IReadOnlyList<double> Scalars => scalars;

    /// <summary>Whether the rule wrote buffer <paramref name="buffer"/> (the parameter or a state).</summary>
    public bool Writes(int buffer) => outputs[buffer] != buffer;

    /// <summary>Whether the rule read buffer <paramref name="buffer"/> for what it writes, or wrote it.</summary>
    public bool Uses(int buffer) => Writes(buffer) || live[buffer];

    /// <summary>Per operation, whether it contributes to a written buffer (others are not printed: an unused local is a compiler warning).</summary>
    private bool[] live = [];

    /// <summary>Runs <paramref name="rule"/> once over traced values.</summary>
    public static UpdateTrace Record<TRule>(in TRule rule)
        where TRule : struct, IUpdateRule
    {
        var trace = new UpdateTrace();
        for (int b = 0; b < Buffers; b++)
        {
            trace.operations.Add(new Operation(Kind.Load, b, 0));
        }

        var previous = recording;
        recording = trace;
        try
        {
            TracedValue p = new(Parameter), s0 = new(FirstState), s1 = new(FirstState + 1), s2 = new(FirstState + 2);
            rule.Apply(ref p, new TracedValue(Gradient), ref s0, ref s1, ref s2);
            trace.outputs[Parameter] = p.Index;
            trace.outputs[Gradient] = Gradient;
            trace.outputs[FirstState] = s0.Index;
            trace.outputs[FirstState + 1] = s1.Index;
            trace.outputs[FirstState + 2] = s2.Index;
        }
        finally
        {
            recording = previous;
        }

        trace.live = trace.Liveness();
        return trace;
    }

    private bool[] Liveness()
    {
        var result = new bool[operations.Count];
        for (int b = 0; b < Buffers; b++)
        {
            if (b != Gradient && Writes(b))
            {
                result[outputs[b]] = true;
            }
        }

        for (int id = operations.Count - 1; id >= Buffers; id--)
        {
            if (result[id])
            {
                var o = operations[id];
                result[o.A] = true;
                if (HasTwoOperands(o.Kind))
                {
                    result[o.B] = true;
                }
            }
        }

        return result;
    }

    /// <summary>
    /// The CUDA C of the update for elements of <paramref name="element"/> (<c>float</c> or <c>double</c>), entry
    /// <paramref name="entry"/>: <c>(const T* g, T* p, T* s0…, double c0…, int gg_n)</c>, with a pointer for each
    /// buffer the rule uses and a <c>double</c> for each scalar. Scalars are converted to the element type before use,
    /// as the CPU pass does (and PyTorch's kernels).
    /// </summary>
    public string CudaSource(string element, string entry)
    {
        var code = new StringBuilder();
        var parameters = new List<string> { $"const {element}* g" };
        for (int b = 0; b < Buffers; b++)
        {
            if (b != Gradient && Uses(b))
            {
                parameters.Add($"{element}* {BufferName(b)}");
            }
        }

        parameters.AddRange(scalars.Select((_, k) => "double c" + k.ToString(CultureInfo.InvariantCulture)));
        parameters.Add("int gg_n");
        code.Append("// Generated by Gradgen: an optimizer's update rule, traced from its C# Apply; one thread per element.\n");
        code.Append(CultureInfo.InvariantCulture, $"extern \"C\" __global__ void {entry}({string.Join(", ", parameters)})\n{{\n");
        code.Append("    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < gg_n; i += blockDim.x * gridDim.x)\n    {\n");
        for (int id = 0; id < operations.Count; id++)
        {
            var o = operations[id];
            if (!live[id])
            {
                continue;
            }

            code.Append(CultureInfo.InvariantCulture, $"        const {element} v{id} = {Expression(o, element)};\n");
        }

        for (int b = 0; b < Buffers; b++)
        {
            if (b != Gradient && Writes(b))
            {
                code.Append(CultureInfo.InvariantCulture, $"        {BufferName(b)}[i] = v{outputs[b]};\n");
            }
        }

        code.Append("    }\n}\n");
        return code.ToString();
    }

    /// <summary>
    /// Runs the recorded update over host copies of the buffers (null: not passed), with <paramref name="values"/> as
    /// the scalars: the arithmetic of the CPU pass's one-element form, in <typeparamref name="T"/>.
    /// </summary>
    public void Evaluate<T>(T[]?[] buffers, IReadOnlyList<double> values, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var v = new T[operations.Count];
        for (int i = 0; i < count; i++)
        {
            for (int id = 0; id < operations.Count; id++)
            {
                var o = operations[id];
                v[id] = o.Kind switch
                {
                    Kind.Load => buffers[o.A] is { } buffer ? buffer[i] : T.Zero,
                    Kind.Add => v[o.A] + v[o.B],
                    Kind.Subtract => v[o.A] - v[o.B],
                    Kind.Multiply => v[o.A] * v[o.B],
                    Kind.Divide => v[o.A] / v[o.B],
                    Kind.Negate => -v[o.A],
                    Kind.AddScalar => v[o.A] + T.CreateTruncating(values[o.B]),
                    Kind.MultiplyScalar => v[o.A] * T.CreateTruncating(values[o.B]),
                    Kind.DivideScalar => v[o.A] / T.CreateTruncating(values[o.B]),
                    Kind.Sqrt => T.Sqrt(v[o.A]),
                    _ => T.Max(v[o.A], v[o.B]),
                };
            }

            for (int b = 0; b < Buffers; b++)
            {
                if (b != Gradient && Writes(b))
                {
                    buffers[b]![i] = v[outputs[b]];
                }
            }
        }
    }

    private static bool HasTwoOperands(Kind kind) => kind is Kind.Add or Kind.Subtract or Kind.Multiply or Kind.Divide or Kind.Max;

    private static string BufferName(int buffer) => buffer switch
    {
        Parameter => "p",
        Gradient => "g",
        _ => "s" + (buffer - FirstState).ToString(CultureInfo.InvariantCulture),
    };

    private static string Expression(Operation o, string element)
    {
        string a = "v" + o.A.ToString(CultureInfo.InvariantCulture), b = "v" + o.B.ToString(CultureInfo.InvariantCulture);
        string scalar = $"({element})c{o.B.ToString(CultureInfo.InvariantCulture)}";
        return o.Kind switch
        {
            Kind.Load => $"{BufferName(o.A)}[i]",
            Kind.Add => $"{a} + {b}",
            Kind.Subtract => $"{a} - {b}",
            Kind.Multiply => $"{a} * {b}",
            Kind.Divide => $"{a} / {b}",
            Kind.Negate => $"-{a}",
            Kind.AddScalar => $"{a} + {scalar}",
            Kind.MultiplyScalar => $"{a} * {scalar}",
            Kind.DivideScalar => $"{a} / {scalar}",
            Kind.Sqrt => element == "float" ? $"sqrtf({a})" : $"sqrt({a})",

            // NaN propagates, as torch.maximum and the CPU pass's Max do.
            _ => $"({a} != {a} || {b} != {b}) ? {a} + {b} : ({a} > {b} ? {a} : {b})",
        };
    }

    private int Add(Kind kind, int a, int b)
    {
        operations.Add(new Operation(kind, a, b));
        return operations.Count - 1;
    }

    private int AddScalar(Kind kind, int a, double s)
    {
        scalars.Add(s);
        return Add(kind, a, scalars.Count - 1);
    }

    /// <summary>An element in a traced update: the index of the operation that computes it.</summary>
    internal readonly struct TracedValue(int index) : IUpdateValue<TracedValue>
    {
        public readonly int Index = index;

        private static UpdateTrace Trace => recording ?? throw new InvalidOperationException("A traced update value was used outside UpdateTrace.Record.");

        public static TracedValue operator +(TracedValue a, TracedValue b) => new(Trace.Add(Kind.Add, a.Index, b.Index));

        public static TracedValue operator -(TracedValue a, TracedValue b) => new(Trace.Add(Kind.Subtract, a.Index, b.Index));

        public static TracedValue operator *(TracedValue a, TracedValue b) => new(Trace.Add(Kind.Multiply, a.Index, b.Index));

        public static TracedValue operator /(TracedValue a, TracedValue b) => new(Trace.Add(Kind.Divide, a.Index, b.Index));

        public static TracedValue operator -(TracedValue a) => new(Trace.Add(Kind.Negate, a.Index, 0));

        public static TracedValue operator +(TracedValue a, double s) => new(Trace.AddScalar(Kind.AddScalar, a.Index, s));

        public static TracedValue operator *(TracedValue a, double s) => new(Trace.AddScalar(Kind.MultiplyScalar, a.Index, s));

        public static TracedValue operator /(TracedValue a, double s) => new(Trace.AddScalar(Kind.DivideScalar, a.Index, s));

        public static TracedValue Sqrt(TracedValue a) => new(Trace.Add(Kind.Sqrt, a.Index, 0));

        public static TracedValue Max(TracedValue a, TracedValue b) => new(Trace.Add(Kind.Max, a.Index, b.Index));
    }
}
