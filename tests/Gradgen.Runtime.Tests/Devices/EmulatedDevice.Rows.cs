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

    /// <summary>The row launches, in order: the entry, the tape capacity per row, and the rows it computed.</summary>
    public List<(string Entry, long Capacity, int First, int Count)> RowLaunches { get; } = [];

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

    public void LaunchRows(string source, string entry, ReadOnlySpan<IDeviceBuffer> buffers, ReadOnlySpan<long> ints, long capacity, int rows, int first, int count)
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
        Assert.Equal(buffers.Length + ints.Length + 4, signature.Count(c => c == ',') + 1);
        Assert.EndsWith("long long gg_capacity, int gg_rows, int gg_first, int gg_count)", signature.Trim());
        Assert.Equal(DType.Int64, arrays[^2].DType);
        Assert.Equal(DType.Int64, arrays[^1].DType);
        Assert.True(first >= 0 && count > 0 && first + count <= rows, $"rows {first} to {first + count} of {rows}");
        Assert.True(arrays[^2].Length >= count * capacity, "the tape holds capacity words per row launched");
        Launches++;
        Entries.Add(entry);
        RowLaunches.Add((entry, capacity, first, count));
        if (OverflowNextLaunches > 0)
        {
            OverflowNextLaunches--;
            arrays[^1].As<long>()[0] = capacity + OverflowBy;
            return;
        }

        // The row lengths of span arguments, then of the outputs, then the fixed arguments. Only rows first to
        // first + count are computed, read and written, as the kernel's threads do.
        long[] args = ints.ToArray();
        int next = 0;
        var inputs = new Tensor[k];
        var lengths = new int[k];
        for (int i = 0; i < k; i++)
        {
            var b = arrays[i];
            var t = b.DType switch
            {
                DType.Int64 => Tensor.FromArray(b.As<long>().ToArray()),
                DType.Float64 => Tensor.FromArray(b.As<double>().ToArray()),
                _ => Tensor.FromArray(b.As<float>().ToArray()),
            };
            lengths[i] = function.Kinds[i] == RowArgument.Row ? (int)args[next++] : 1;
            inputs[i] = (function.Kinds[i] == RowArgument.Row ? t.Reshape(rows, lengths[i]) : t.Reshape(rows)).Narrow(0, first, count).Contiguous();
            if (function.Kinds[i] != RowArgument.Index)
            {
                Assert.Equal(dtype, b.DType);
            }
        }

        // Each output's rows lie one after another in the output buffer: [rows, length] each (a value: length 1).
        int[] outputLengths = function.SpanOutputs == 0 ? [1] : [.. args[next..(next + function.SpanOutputs)].Select(l => (int)l)];
        next += function.SpanOutputs;
        long[] fixedArguments = args[next..];
        if (!backward)
        {
            using (Autograd.NoGrad())
            {
                var outputs = function.Cpu(inputs, fixedArguments);
                for (int m = 0; m < outputs.Length; m++)
                {
                    WriteRows(outputs[m], arrays[k], OutputOffset(m), outputLengths[m], first);
                }
            }

            return;
        }

        long OutputOffset(int m) => (long)rows * outputLengths[..m].Sum();

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
            for (int m = 0; m < outputs.Length; m++)
            {
                var output = outputs[m];
                var g = gradients.Narrow(0, (int)(OutputOffset(m) + ((long)first * outputLengths[m])), output.NumElements).Reshape(output.Shape.ToArray());
                var term = (output * g).Sum();
                loss = loss is null ? term : loss + term;
            }

            Assert.Equal(arrays[k].Length, OutputOffset(outputs.Length));
            loss!.Backward();
        }

        int gradient = k + 1;
        for (int i = 0; i < k; i++)
        {
            if (function.Kinds[i] != RowArgument.Index)
            {
                WriteRows(inputs[i].Grad ?? Tensor.ZerosLike(inputs[i]), arrays[gradient++], 0, lengths[i], first);
            }
        }

        Assert.Equal(arrays.Length - 2, gradient);
    }

    /// <summary>Writes a chunk's rows (<paramref name="length"/> elements each) at row <paramref name="first"/> of the rows from <paramref name="offset"/> in a buffer.</summary>
    private static void WriteRows(Tensor chunk, Buffer b, long offset, int length, int first)
    {
        Assert.Equal(b.DType, chunk.DType);
        int at = (int)(offset + ((long)first * length));
        if (b.DType == DType.Float64)
        {
            chunk.Reshape(-1).ToArray<double>().CopyTo(b.As<double>()[at..]);
        }
        else
        {
            chunk.Reshape(-1).ToArray<float>().CopyTo(b.As<float>()[at..]);
        }
    }

    private sealed record RowFunction(RowArgument[] Kinds, int SpanOutputs, Func<Tensor[], long[], Tensor[]> Cpu);
}
