using System.Collections.Concurrent;

namespace Gradgen;

/// <summary>
/// Row functions on an accelerator: the generator's row kernels (<see cref="RowKernels"/>) launched through the
/// registered backend, one thread per row, one graph node as on the CPU. The backward kernel records each row's
/// forward sweep on a tape in device memory of a capacity chosen here; a row that needs more reports how much and
/// stops, and the kernel runs again with that capacity (every row rewrites its outputs and gradients, so a second
/// run is exact). The capacity that sufficed is remembered per kernel, so a warm call launches once. Where all rows'
/// tapes would not fit one buffer, the rows run in chunks that each fit.
/// </summary>
internal static class DeviceRows
{
    /// <summary>The tape capacity (words per row) that sufficed for each kernel last time.</summary>
    static readonly ConcurrentDictionary<(string Source, string Entry), long> capacities = new();

    /// <summary>
    /// The most words one tape buffer holds (<see cref="Array.MaxLength"/>): a launch whose rows need more runs in
    /// chunks of rows. Tests make it small to reach the chunking without allocating gigabytes.
    /// </summary>
    internal static long WordsPerTape { get; set; } = Array.MaxLength;

    /// <summary>
    /// Runs the forward kernel over the rows and records the node: returns the function's value per row (shape
    /// <paramref name="leading"/>) when <paramref name="outputLengths"/> is null, else every output's rows one after
    /// another in one buffer (its length the rows times the sum of the lengths).
    /// </summary>
    public static Tensor Apply(string name, DType dtype, ReadOnlySpan<Tensor> inputs, RowArgument[] kinds, int[] leading, int[]? outputLengths, RowKernels? kernels)
    {
        var device = Tensor.CommonDevice(name, inputs);
        if (kernels?.Source is null)
        {
            string why = kernels?.Reason ?? "it was given no CUDA row kernels";
            throw new NotSupportedException($"{name}: the tensor overload of this method over spans cannot run on {device}: {why}. Call To(Device.Cpu) first.");
        }

        // As DeviceElementwise: broadcasts, views and dtype changes are made real by recorded operations, whose
        // backward sums each gradient back to its input's shape and dtype.
        var operands = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            int[] target = kinds[i] == RowArgument.Row ? [.. leading, inputs[i].shape[^1]] : leading;
            operands[i] = DeviceData.Operand(inputs[i], target, device, kinds[i] == RowArgument.Index ? DType.Int64 : dtype);
        }

        int rows = leading.Aggregate(1, (a, b) => a * b);
        var call = new RowCall(name, kernels, dtype, operands, kinds, rows, outputLengths ?? []);
        var output = outputLengths is null
            ? Tensor.EmptyOn(device, dtype, leading)
            : Tensor.EmptyOn(device, dtype, [checked(rows * outputLengths.Sum())]);
        call.Launch("_forward", [.. operands.Select(o => o.DeviceBuffer(name)), output.DeviceBuffer(name)], initialCapacity: 0);
        if (Autograd.Recording(operands)) output.WithHistory(new DeviceRowsBackward(call));
        return output;
    }

    /// <summary>One call of a row function: what its kernels are launched with.</summary>
    internal sealed record RowCall(string Name, RowKernels Kernels, DType DType, Tensor[] Operands, RowArgument[] Kinds, int Rows, int[] OutputLengths)
    {
        /// <summary>
        /// Launches <c>{entry}{kind}</c> over the buffers, followed by a tape and its overflow word, the row
        /// lengths, output lengths and fixed arguments; again with more tape while a row reports it needs more.
        /// </summary>
        public void Launch(string kind, IDeviceBuffer[] buffers, long initialCapacity)
        {
            if (Rows == 0) return;
            // The kernels compute in the function's declared type, as the CPU overload does.
            if (DType != Kernels.SourceDType) throw new ArgumentException($"{Name}: its row kernels compute in {Kernels.SourceDType}, not {DType}.");
            string entry = Kernels.Entry + kind;
            var ints = new List<long>();
            for (int i = 0; i < Operands.Length; i++)
            {
                if (Kinds[i] == RowArgument.Row) ints.Add(Operands[i].shape[^1]);
            }

            ints.AddRange(OutputLengths.Select(l => (long)l));
            ints.AddRange(Kernels.Arguments);
            var device = Operands.Length > 0 ? Operands[0].Device : throw new InvalidOperationException($"{Name}: a row function has tensor arguments.");
            var backend = DeviceBackends.For(device, Name);
            var key = (Kernels.Source!, entry);
            // A guess or a doubling never asks for more than one buffer; only a row's own report can.
            long capacity = Math.Min(WordsPerTape, capacities.TryGetValue(key, out long known) ? Math.Max(known, initialCapacity) : initialCapacity);
            Span<long> need = stackalloc long[1];
            int first = 0, relaunches = 0;
            while (first < Rows)
            {
                // As many rows as one tape buffer holds at this capacity: all of them unless the tape is huge.
                if (capacity > WordsPerTape)
                    throw new InvalidOperationException($"{Name}: one of its rows needs a tape of {capacity} words, more than one device buffer holds ({WordsPerTape} words).");

                int count = capacity == 0 ? Rows - first : (int)Math.Min(Rows - first, WordsPerTape / capacity);
                var tape = Tensor.EmptyOn(device, DType.Int64, [(int)Math.Max(1, count * capacity)]);
                var needed = Tensor.FullOn(device, DType.Int64, [1], 0);
                backend.LaunchRows(Kernels.Source!, entry, [.. buffers, tape.DeviceBuffer(Name), needed.DeviceBuffer(Name)], [.. ints], capacity, Rows, first, count);
                backend.CopyToHost(needed.DeviceBuffer(Name), need);
                if (need[0] <= capacity)
                {
                    first += count;
                    continue;
                }

                // The chunk runs again (its rows rewrite all they wrote). A row stops at its first allocation that
                // does not fit, so what it reports may be short of its whole need: grow at least twofold, so the
                // number of runs is logarithmic in the need.
                if (++relaunches > 64) throw new InvalidOperationException($"{Name}: {entry} still reports a full tape at {capacity} words per row.");
                capacity = Math.Max(need[0], Math.Min(WordsPerTape, 2 * capacity));
            }

            capacities[key] = capacity;
        }
    }
}

/// <summary>The graph node of a row function on an accelerator: launches its backward row kernel.</summary>
internal sealed class DeviceRowsBackward : GradFn
{
    private readonly DeviceRows.RowCall call;
    private readonly SavedTensor[] inputs;

    public DeviceRowsBackward(DeviceRows.RowCall call)
    {
        // The operands are kept as saved tensors only (released with the graph), not in the call.
        this.call = call with { Operands = [] };
        SetInputs(call.Operands);
        inputs = new SavedTensor[call.Operands.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = Save(call.Operands[i].Detach());
        }
    }

    public override string Name => call.Name + "Backward";

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var xs = new Tensor[inputs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            xs[i] = inputs[i].Get(this);
        }

        var device = xs[0].Device;
        var g = grad.Device == device ? grad : grad.To(device);
        if (!DeviceData.IsWhole(g) || g.DType != call.DType)
        {
            g = DeviceData.Copy(g, call.DType);
        }

        // Each row writes (not adds) its slice of every float input's gradient, so they need no zeroing.
        var grads = new Tensor?[xs.Length];
        var buffers = new List<IDeviceBuffer>();
        buffers.AddRange(xs.Select(x => x.DeviceBuffer(Name)));
        buffers.Add(g.DeviceBuffer(Name));
        for (int i = 0; i < xs.Length; i++)
        {
            if (call.Kinds[i] == RowArgument.Index) continue;
            grads[i] = Tensor.EmptyOn(device, call.DType, xs[i].shape);
            buffers.Add(grads[i]!.DeviceBuffer(Name));
        }

        // A first guess at a row's tape: its output rows and their gradients, and a few words per element read.
        long guess = 64 + (4L * call.OutputLengths.Sum()) + (4L * xs.Where((_, i) => call.Kinds[i] == RowArgument.Row).Sum(x => (long)x.shape[^1]));
        (call with { Operands = xs }).Launch("_backward", [.. buffers], guess);
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is { } gi && Needs(i)) inputGrads[i] = gi;
        }
    }

    internal override void ReleaseSaved()
    {
        foreach (var input in inputs)
        {
            input.Release();
        }
    }
}
