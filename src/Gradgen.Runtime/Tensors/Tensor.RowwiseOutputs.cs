using Gradgen.Kernels;

namespace Gradgen;

/// <summary>
/// One <c>Span</c> output of a row function with several outputs (<c>Tensor.ApplyRowwise</c>): the parameter's name,
/// which error messages give, and the length of each of its rows.
/// </summary>
/// <param name="Name">The output parameter's name, as the method declares it.</param>
/// <param name="Length">The length of each row of the output; null for the length of the first <see cref="RowArgument.Row"/> argument's row.</param>
public readonly record struct RowOutput(string Name, int? Length);

/// <summary>
/// Computes rows <paramref name="start"/> to <paramref name="end"/> (exclusive) of a row function with several span
/// outputs: the inputs as for <see cref="RowwiseForward"/>; each output is contiguous, zeroed and shaped
/// [leading…, its row length], in the order of the function's output parameters.
/// </summary>
public delegate void RowwiseOutputsForward(ReadOnlySpan<Tensor> inputs, ReadOnlySpan<Tensor> outputs, int start, int end);

/// <summary>
/// Adds to <paramref name="inputGrads"/> (zeroed, shaped like the inputs; null for an index input) the gradient of
/// rows <paramref name="start"/> to <paramref name="end"/> given the gradient of every output, each contiguous and
/// shaped like its output (zeros for an output the loss does not use).
/// </summary>
public delegate void RowwiseOutputsBackward(ReadOnlySpan<Tensor> inputs, ReadOnlySpan<Tensor> gradOutputs, ReadOnlySpan<Tensor?> inputGrads, int start, int end);

public partial class Tensor
{
    /// <summary>
    /// Maps a span function with several span outputs over rows, as
    /// <see cref="ApplyRowwise(string, DType, ReadOnlySpan{Tensor}, ReadOnlySpan{RowArgument}, int?, RowwiseForward, RowwiseBackward, RowKernels)"/>
    /// does a function with one: each output has the broadcast leading shape followed by its own row length. All
    /// outputs are views of one buffer, the result of one graph node (<c>{name}Backward</c>), whose backward gets every
    /// output's gradient at once (zeros for an output the loss does not use), so the function's backward runs once
    /// per row. Like <c>torch.split</c>'s results, the outputs share that buffer: an in-place change of one counts as
    /// a change of all for autograd's checks.
    /// </summary>
    /// <param name="name">The function's name (<c>Squash</c> gives the node <c>SquashBackward</c>).</param>
    /// <param name="dtype">Float32 or Float64: the function's element type; other inputs are converted.</param>
    /// <param name="inputs">The tensor arguments, in the function's parameter order.</param>
    /// <param name="kinds">What each tensor is to the function.</param>
    /// <param name="outputs">The outputs, in the function's parameter order, with their row lengths.</param>
    /// <param name="forward">Writes each row of every output (zeroed before).</param>
    /// <param name="backward">Adds each row's gradients given the gradients of its output rows.</param>
    /// <param name="kernels">The function's row kernels for a GPU (<c>FRowsCudaSource</c>), or why it has none; null for none.</param>
    /// <returns>One tensor per output, shaped [leading…, that output's row length], in <paramref name="dtype"/>.</returns>
    /// <exception cref="ArgumentException">
    /// As the other overloads; or <paramref name="outputs"/> is empty, or an output has no length and no input is a
    /// <see cref="RowArgument.Row"/> (the message names the output).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">An output's length is negative (the message names the output and the length).</exception>
    /// <exception cref="NotSupportedException">The inputs are on an accelerator and <paramref name="kernels"/> has no source (the message gives its reason).</exception>
    public static Tensor[] ApplyRowwise(string name, DType dtype, ReadOnlySpan<Tensor> inputs, ReadOnlySpan<RowArgument> kinds, ReadOnlySpan<RowOutput> outputs, RowwiseOutputsForward forward, RowwiseOutputsBackward backward, RowKernels? kernels = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(backward);
        if (outputs.IsEmpty) throw new ArgumentException($"{name}: a row function with span outputs has at least one; none was given.", nameof(outputs));
        foreach (var output in outputs)
        {
            if (output.Length < 0)
                throw new ArgumentOutOfRangeException(nameof(outputs), output.Length, $"{name}: the rows of output '{output.Name}' must not have a negative length, but it is {output.Length}.");
        }

        var (leading, firstRowLength) = RowShape(name, dtype, inputs, kinds);
        int rows = leading.Aggregate(1, (a, b) => a * b);
        var lengths = new int[outputs.Length];
        long size = 0;
        for (int k = 0; k < outputs.Length; k++)
        {
            lengths[k] = outputs[k].Length ?? firstRowLength
                ?? throw new ArgumentException($"{name}: no argument is a span, so the rows of output '{outputs[k].Name}' have no length to follow; give its length.", nameof(outputs));
            size += (long)rows * lengths[k];
        }

        if (size > Array.MaxLength)
            throw new ArgumentException($"{name}: the outputs would hold {size} elements in all, more than one buffer can hold.", nameof(outputs));

        if (OnDevice(inputs))
        {
            // The same layout on the device: one buffer, output after output, the result of one graph node.
            return SplitOutputs(DeviceRows.Apply(name, dtype, inputs, kinds.ToArray(), leading, lengths, kernels), leading, lengths);
        }

        var args = PrepareRows(name, dtype, inputs, kinds);

        // One zeroed buffer, output after output: each output's rows are a contiguous part of it, so the generated
        // code writes spans, and one graph node (the buffer's) receives every output's gradient in one backward call.
        var packed = Empty(dtype, [(int)size], zeroed: true);
        var prepared = args.Prepared;
        var parts = SplitOutputs(packed, args.Leading, lengths);
        bool recording = Autograd.Recording(inputs);
        var kept = recording ? new StopGradientValues(args.Rows) : null;
        RunRows(args.Rows, [.. prepared, packed], (start, end) =>
        {
            using var scope = kept?.Record();
            forward(prepared, parts, start, end);
        });
        GC.KeepAlive(prepared);
        if (!recording) return parts;

        RowwiseBackward packedBackward = (xs, g, grads, start, end) => backward(xs, SplitOutputs(g, leading, lengths), grads, start, end);
        packed.WithHistory(new RowwiseBackwardNode(name, packedBackward, args.Original, prepared, args.Kinds, args.Rows, kept!));
        // Views taken after the node is attached: the gradient of an output the loss does not use arrives as zeros.
        return SplitOutputs(packed, leading, lengths);
    }

    /// <summary>The outputs in <paramref name="packed"/>, one after another: views shaped [leading…, length].</summary>
    static Tensor[] SplitOutputs(Tensor packed, int[] leading, int[] lengths)
    {
        int rows = leading.Aggregate(1, (a, b) => a * b);
        var parts = new Tensor[lengths.Length];
        int start = 0;
        for (int k = 0; k < parts.Length; k++)
        {
            int size = rows * lengths[k];
            parts[k] = packed.Narrow(0, start, size).View([.. leading, lengths[k]]);
            start += size;
        }

        return parts;
    }
}
