namespace Gradgen.Runtime.Tests.Devices;

/// <summary>
/// Row kernels (<c>IDeviceBackend.LaunchRows</c>): a launch must name an entry of the source whose signature takes
/// the buffers' element type and as many arguments as the launch passes; it then runs the CPU tensor overload of the
/// same function on host copies of the buffers, shaped by the row lengths the launch passes. A test can make the
/// next launches report a full tape instead (<see cref="OverflowNextLaunches"/>), as a GPU row does whose tape is too
/// small, to drive the runtime's relaunch.
/// </summary>
internal sealed partial class EmulatedDevice
{
    private readonly Dictionary<string, RowFunction> rowFunctions = new(StringComparer.Ordinal);

    /// <summary>The row launches, in order: the entry and the tape capacity per row it was given.</summary>
    public List<(string Entry, long Capacity)> RowLaunches { get; } = [];

    /// <summary>How many of the next row launches report that a row needed <see cref="OverflowBy"/> more words than the capacity, and compute nothing.</summary>
    public int OverflowNextLaunches { get; set; }

    /// <summary>How many words beyond the capacity an overflowing launch reports.</summary>
    public long OverflowBy { get; set; } = 100;

    /// <summary>
    /// Lets the device run the row kernels <paramref name="entry"/> (<c>F_rows</c>): the CPU overload over prepared
    /// tensors (a <see cref="RowArgument.Row"/> argument [rows, length], the others [rows]) and the fixed <c>int</c>
    /// arguments, returning one tensor per span output ([rows, length]), or the value per row ([rows]).
    /// </summary>
    public void RegisterRows(string entry, RowArgument[] kinds, int spanOutputs, Func<Tensor[], long[], Tensor[]> cpu) =>
        rowFunctions[entry] = new RowFunction(kinds, spanOutputs, cpu);

    public void LaunchRows(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, ReadOnlySpan<long> ints, long capacity, int rows)
    {
        string kernel = entry.EndsWith("_f64", StringComparison.Ordinal) || entry.EndsWith("_f32", StringComparison.Ordinal) ? entry[..^4] : entry;
        bool backward = kernel.EndsWith("_backward", StringComparison.Ordinal);
        string prefix = backward ? kernel[..^"_backward".Length] : kernel[..^"_forward".Length];
        Assert.True(rowFunctions.TryGetValue(prefix, out var function), $"the emulated device has no row function {prefix}");
        var arrays = new Buffer[buffers.Length];
        for (int i = 0; i < arrays.Length; i++)
        {
            arrays[i] = (Buffer)buffers[i];
        }

        int k = function.Kinds.Length;
        var dtype = arrays[k].DType;
        string element = dtype == DType.Float64 ? "double" : "float";

        // The entry's signature: declared, of the buffers' element type, with one parameter per argument passed.
        string signature = source.Split('\n').SingleOrDefault(l => l.Contains($"extern \"C\" __global__ void {entry}(", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"{entry} is not a kernel of the source");
        Assert.Contains(backward ? $"const {element}* __restrict__ gg_grad_out" : $"{element}* __restrict__ gg_out", signature, StringComparison.Ordinal);
        Assert.Equal(buffers.Length + ints.Length + 2, signature.Count(c => c == ',') + 1);
        Assert.Equal(DType.Int64, arrays[^2].DType);
        Assert.Equal(DType.Int64, arrays[^1].DType);
        Assert.True(arrays[^2].Length >= rows * capacity, "the tape holds capacity words per row");
        Launches++;
        Entries.Add(entry);
        RowLaunches.Add((entry, capacity));
        if (OverflowNextLaunches > 0)
        {
            OverflowNextLaunches--;
            arrays[^1].As<long>()[0] = capacity + OverflowBy;
            return;
        }

        // The row lengths of span arguments, then of the outputs, then the fixed arguments.
        long[] args = ints.ToArray();
        int next = 0;
        var inputs = new Tensor[k];
        for (int i = 0; i < k; i++)
        {
            var b = arrays[i];
            var t = b.DType switch
            {
                DType.Int64 => Tensor.FromArray(b.As<long>().ToArray()),
                DType.Float64 => Tensor.FromArray(b.As<double>().ToArray()),
                _ => Tensor.FromArray(b.As<float>().ToArray()),
            };
            inputs[i] = function.Kinds[i] == RowArgument.Row ? t.Reshape(rows, (int)args[next++]) : t.Reshape(rows);
            if (function.Kinds[i] != RowArgument.Index)
            {
                Assert.Equal(dtype, b.DType);
            }
        }

        next += function.SpanOutputs;
        long[] fixedArguments = args[next..];
        if (!backward)
        {
            using (Autograd.NoGrad())
            {
                Write(Flat(function.Cpu(inputs, fixedArguments)), arrays[k]);
            }

            return;
        }

        foreach (var (input, kind) in inputs.Zip(function.Kinds))
        {
            input.RequiresGrad = kind != RowArgument.Index;
        }

        using (Autograd.EnableGrad())
        {
            // Σ outputs · their gradients: its gradient is the vector-Jacobian product the kernel computes.
            var outputs = function.Cpu(inputs, fixedArguments);
            var gradients = ToTensor(arrays[k]);
            Tensor? loss = null;
            int offset = 0;
            foreach (var output in outputs)
            {
                var g = gradients.Narrow(0, offset, output.NumElements).Reshape(output.Shape.ToArray());
                offset += output.NumElements;
                var term = (output * g).Sum();
                loss = loss is null ? term : loss + term;
            }

            Assert.Equal(arrays[k].Length, offset);
            loss!.Backward();
        }

        int gradient = k + 1;
        foreach (var (input, kind) in inputs.Zip(function.Kinds))
        {
            if (kind != RowArgument.Index)
            {
                Write(input.Grad ?? Tensor.ZerosLike(input), arrays[gradient++]);
            }
        }

        Assert.Equal(arrays.Length - 2, gradient);
    }

    private static Tensor Flat(Tensor[] outputs) => outputs.Length == 1 ? outputs[0].Reshape(-1) : Tensor.Cat(outputs.Select(o => o.Reshape(-1)).ToArray(), 0);

    private sealed record RowFunction(RowArgument[] Kinds, int SpanOutputs, Func<Tensor[], long[], Tensor[]> Cpu);
}
