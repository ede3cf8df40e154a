using Gradgen.Kernels;

namespace Gradgen;

/// <summary>How a tensor argument of <c>Tensor.ApplyRowwise</c> maps onto the span function's parameter.</summary>
public enum RowArgument
{
    /// <summary>A span parameter: the tensor's last dimension is one row, its leading dimensions broadcast.</summary>
    Row,

    /// <summary>A <c>float</c>/<c>double</c> parameter: a tensor of the leading shape (or broadcastable to it), one value per row.</summary>
    Scalar,

    /// <summary>An <c>int</c> parameter given per row (class labels): an integer tensor of the leading shape, no gradient.</summary>
    Index,
}

/// <summary>
/// Computes rows <paramref name="start"/> to <paramref name="end"/> (exclusive) of a row function: each input is
/// contiguous in the computation dtype (Int64 for <see cref="RowArgument.Index"/>), a <see cref="RowArgument.Row"/>
/// input holding rows of its last dimension's length one after another and the others one value per row; the output
/// is contiguous and zeroed, and holds one value per row, or (for a function with a span output) one row of its last
/// dimension's length per row.
/// </summary>
public delegate void RowwiseForward(ReadOnlySpan<Tensor> inputs, Tensor output, int start, int end);

/// <summary>
/// Adds to <paramref name="inputGrads"/> (zeroed, shaped like the inputs; null for an index input) the gradient of
/// rows <paramref name="start"/> to <paramref name="end"/> given <paramref name="gradOutput"/>, contiguous and shaped like
/// the output: one value per row, or one row per row.
/// </summary>
public delegate void RowwiseBackward(ReadOnlySpan<Tensor> inputs, Tensor gradOutput, ReadOnlySpan<Tensor?> inputGrads, int start, int end);

/// <summary>
/// Computes rows <paramref name="start"/> to <paramref name="end"/> (exclusive) of a row function with a value, as
/// <see cref="RowwiseForward"/> does; where <paramref name="gradients"/> is not empty (the result is recorded for
/// autograd), also each row's gradient at seed 1, written into each row's slice of <paramref name="gradients"/>
/// (zeroed, shaped like the inputs; null for an index input), so the function's body runs once per row in all.
/// </summary>
public delegate void RowwiseValueAndGradient(ReadOnlySpan<Tensor> inputs, Tensor output, ReadOnlySpan<Tensor?> gradients, int start, int end);

/// <summary>
/// The graph node of a row function: the generated backward per row, replaying the values of calls inside
/// <c>Grad.StopGradient</c> its forward kept, gradients summed back to each input's shape.
/// </summary>
internal sealed class RowwiseBackwardNode : GradFn
{
    readonly string name;
    readonly RowwiseBackward backward;
    readonly SavedTensor[] inputs;
    readonly RowArgument[] kinds;
    readonly int[][] shapes;
    readonly DType[] dtypes;
    readonly int rows;
    StopGradientValues? kept;

    public RowwiseBackwardNode(string name, RowwiseBackward backward, Tensor[] original, Tensor[] prepared, RowArgument[] kinds, int rows, StopGradientValues kept)
    {
        this.kept = kept;
        this.name = name + "Backward";
        this.rows = rows;
        this.backward = backward;
        this.kinds = kinds;
        SetInputs(original);
        inputs = new SavedTensor[prepared.Length];
        shapes = new int[original.Length][];
        dtypes = new DType[original.Length];
        for (int i = 0; i < prepared.Length; i++)
        {
            inputs[i] = Save(prepared[i]);
            shapes[i] = original[i].shape;
            dtypes[i] = original[i].DType;
        }
    }

    public override string Name => name;

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        var xs = new Tensor[inputs.Length];
        for (int i = 0; i < xs.Length; i++) xs[i] = inputs[i].Get(this);
        var dtype = xs.First(x => x.DType.IsFloating()).DType;
        var g = grad.DType == dtype ? grad.ContiguousData() : grad.ToDTypeData(dtype);
        var grads = new Tensor?[xs.Length];
        for (int i = 0; i < grads.Length; i++)
        {
            // Every float input gets a buffer, wanted or not: the generated backward writes each row's gradients.
            if (kinds[i] != RowArgument.Index) grads[i] = Tensor.Empty(dtype, xs[i].shape, zeroed: true);
        }

        // Each row's sweep reads the values its forward kept instead of calling a wrapped method again.
        var values = kept ?? throw FreedError();
        Tensor.RunRows(rows, [.. xs, g], (start, end) =>
        {
            using var scope = values.Replay();
            backward(xs, g, grads, start, end);
        });
        GC.KeepAlive(xs);
        GC.KeepAlive(g);
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is not { } gi || !Needs(i)) continue;
            var summed = ElementwiseOp.SumToShape(gi, shapes[i]);
            inputGrads[i] = summed.DType == dtypes[i] ? summed : summed.ToDTypeData(dtypes[i]);
        }
    }

    internal override void ReleaseSaved()
    {
        foreach (var input in inputs) input.Release();
        kept = null;
    }
}

public partial class Tensor
{
    /// <summary>
    /// Maps a span function over rows with broadcasting and records one graph node (<c>{name}Backward</c>): the entry
    /// point of the generator's tensor overloads of <c>[Differentiable]</c> methods over spans. A
    /// <see cref="RowArgument.Row"/> input's last dimension is the span; the leading dimensions of all inputs
    /// broadcast together into the output's shape; rows are split across Gradgen's threads.
    /// </summary>
    /// <param name="name">The function's name (<c>Dot</c> gives the node <c>DotBackward</c>).</param>
    /// <param name="dtype">Float32 or Float64: the function's element type; other inputs are converted.</param>
    /// <param name="inputs">The tensor arguments, in the function's parameter order.</param>
    /// <param name="kinds">What each tensor is to the function.</param>
    /// <param name="forward">Writes the value of each row.</param>
    /// <param name="backward">Adds each row's gradients.</param>
    /// <param name="kernels">The function's row kernels for a GPU (<c>FRowsCudaSource</c>), or why it has none; null for none.</param>
    /// <returns>A tensor of the broadcast leading shape, in <paramref name="dtype"/>.</returns>
    /// <exception cref="ArgumentException">A row input has no dimension, an index input is not an integer tensor, or the leading shapes do not broadcast.</exception>
    /// <exception cref="NotSupportedException">The inputs are on an accelerator and <paramref name="kernels"/> has no source (the message gives its reason).</exception>
    public static Tensor ApplyRowwise(string name, DType dtype, ReadOnlySpan<Tensor> inputs, ReadOnlySpan<RowArgument> kinds, RowwiseForward forward, RowwiseBackward backward, RowKernels? kernels = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(backward);
        return MapRows(name, dtype, inputs, kinds, outputRow: false, outputLength: null, forward, backward, valueAndGradient: null, kernels);
    }

    /// <summary>
    /// Maps a span function with a value over rows, as
    /// <see cref="ApplyRowwise(string, DType, ReadOnlySpan{Tensor}, ReadOnlySpan{RowArgument}, RowwiseForward, RowwiseBackward, RowKernels)"/>
    /// does, but computes each row's gradient (at seed 1) together with its value when the result is recorded for
    /// autograd; the node's backward then only scales each row's gradient by the row's incoming gradient. So the
    /// function's body runs once per row in all, forward and backward: a call it makes inside
    /// <c>Grad.StopGradient</c> runs as often as its code runs it, and the gradient is the one of those values.
    /// </summary>
    /// <param name="name">The function's name (<c>Dot</c> gives the node <c>DotBackward</c>).</param>
    /// <param name="dtype">Float32 or Float64: the function's element type; other inputs are converted.</param>
    /// <param name="inputs">The tensor arguments, in the function's parameter order.</param>
    /// <param name="kinds">What each tensor is to the function.</param>
    /// <param name="valueAndGradient">Writes the value of each row, and its gradient when asked.</param>
    /// <param name="kernels">The function's row kernels for a GPU (<c>FRowsCudaSource</c>), or why it has none; null for none.</param>
    /// <returns>A tensor of the broadcast leading shape, in <paramref name="dtype"/>.</returns>
    /// <exception cref="ArgumentException">A row input has no dimension, an index input is not an integer tensor, or the leading shapes do not broadcast.</exception>
    /// <exception cref="NotSupportedException">The inputs are on an accelerator and <paramref name="kernels"/> has no source (the message gives its reason).</exception>
    public static Tensor ApplyRowwise(string name, DType dtype, ReadOnlySpan<Tensor> inputs, ReadOnlySpan<RowArgument> kinds, RowwiseValueAndGradient valueAndGradient, RowKernels? kernels = null)
    {
        ArgumentNullException.ThrowIfNull(valueAndGradient);
        return MapRows(name, dtype, inputs, kinds, outputRow: false, outputLength: null, forward: null, backward: null, valueAndGradient, kernels);
    }

    /// <summary>
    /// Maps a span function with one span output over rows, as
    /// <see cref="ApplyRowwise(string, DType, ReadOnlySpan{Tensor}, ReadOnlySpan{RowArgument}, RowwiseForward, RowwiseBackward, RowKernels)"/>
    /// does a function with a value: the output has the broadcast leading shape followed by one dimension of
    /// <paramref name="outputLength"/>, the rows of the span output; the backward gets the gradient of each output row.
    /// </summary>
    /// <param name="name">The function's name (<c>Softmax</c> gives the node <c>SoftmaxBackward</c>).</param>
    /// <param name="dtype">Float32 or Float64: the function's element type; other inputs are converted.</param>
    /// <param name="inputs">The tensor arguments, in the function's parameter order.</param>
    /// <param name="kinds">What each tensor is to the function.</param>
    /// <param name="outputLength">
    /// The length of each output row; null for the length of the first <see cref="RowArgument.Row"/> input's row (a
    /// function such as softmax, whose output is as long as its input).
    /// </param>
    /// <param name="forward">Writes each row of the output (zeroed before).</param>
    /// <param name="backward">Adds each row's gradients given the gradient of its output row.</param>
    /// <param name="kernels">The function's row kernels for a GPU (<c>FRowsCudaSource</c>), or why it has none; null for none.</param>
    /// <returns>A tensor of shape [leading…, outputLength], in <paramref name="dtype"/>.</returns>
    /// <exception cref="ArgumentException">
    /// As the other overload, or <paramref name="outputLength"/> is null and no input is a <see cref="RowArgument.Row"/>.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outputLength"/> is negative.</exception>
    /// <exception cref="NotSupportedException">The inputs are on an accelerator and <paramref name="kernels"/> has no source (the message gives its reason).</exception>
    public static Tensor ApplyRowwise(string name, DType dtype, ReadOnlySpan<Tensor> inputs, ReadOnlySpan<RowArgument> kinds, int? outputLength, RowwiseForward forward, RowwiseBackward backward, RowKernels? kernels = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(backward);
        return MapRows(name, dtype, inputs, kinds, outputRow: true, outputLength, forward, backward, valueAndGradient: null, kernels);
    }

    /// <summary>Whether a row function's tensors are on an accelerator (then its row kernels run there).</summary>
    static bool OnDevice(ReadOnlySpan<Tensor> inputs)
    {
        foreach (var input in inputs)
        {
            if (input?.storage is DeviceStorage) return true;
        }

        return false;
    }

    /// <summary>The shared body: either <paramref name="forward"/> and <paramref name="backward"/>, or <paramref name="valueAndGradient"/>.</summary>
    static Tensor MapRows(string name, DType dtype, ReadOnlySpan<Tensor> inputs, ReadOnlySpan<RowArgument> kinds, bool outputRow, int? outputLength, RowwiseForward? forward, RowwiseBackward? backward, RowwiseValueAndGradient? valueAndGradient, RowKernels? kernels)
    {
        if (outputLength < 0) throw new ArgumentOutOfRangeException(nameof(outputLength), outputLength, $"{name}: the output row length must not be negative, but it is {outputLength}.");
        if (OnDevice(inputs))
        {
            var (leading, first) = RowShape(name, dtype, inputs, kinds);
            int? length = outputRow ? outputLength ?? first ?? throw NoOutputLength(name) : null;
            var result = DeviceRows.Apply(name, dtype, inputs, kinds.ToArray(), leading, length is { } l ? [l] : null, kernels);
            return length is { } rowLength ? result.View([.. leading, rowLength]) : result;
        }

        var args = PrepareRows(name, dtype, inputs, kinds);
        if (outputRow && outputLength is null && args.FirstRowLength is null) throw NoOutputLength(name);

        int rows = args.Rows;
        var prepared = args.Prepared;
        var kindArray = args.Kinds;
        // Zeroed: what a method leaves unwritten of its output reads 0, as in the fresh array FBackward computes into.
        var output = outputRow ? Empty(dtype, [.. args.Leading, (outputLength ?? args.FirstRowLength)!.Value], zeroed: true) : Empty(dtype, args.Leading);
        bool recording = Autograd.Recording(inputs);
        if (valueAndGradient is not null)
        {
            // Each row's gradient at seed 1, computed with its value when autograd needs it: one run of the body per row.
            var gradients = new Tensor?[prepared.Length];
            for (int i = 0; recording && i < prepared.Length; i++)
            {
                if (kindArray[i] != RowArgument.Index) gradients[i] = Empty(dtype, prepared[i].shape, zeroed: true);
            }

            var wanted = recording ? gradients : [];
            RunRows(rows, [.. prepared, output], (start, end) => valueAndGradient(prepared, output, wanted, start, end));
            GC.KeepAlive(prepared);
            if (recording) output.WithHistory(new RowwiseScaledGradientNode(name, args.Original, gradients, kindArray, rows));
            return output;
        }

        // With autograd, the values of calls inside Grad.StopGradient are kept for the backward (StopGradientValues).
        var kept = recording ? new StopGradientValues(rows) : null;
        RunRows(rows, [.. prepared, output], (start, end) =>
        {
            using var scope = kept?.Record();
            forward!(prepared, output, start, end);
        });
        GC.KeepAlive(prepared);
        if (recording) output.WithHistory(new RowwiseBackwardNode(name, backward!, args.Original, prepared, kindArray, rows, kept!));
        return output;
    }

    /// <summary>The arguments of a row function, checked and broadcast: see <see cref="PrepareRows"/>.</summary>
    /// <param name="Original">The tensors as given (the graph node's inputs).</param>
    /// <param name="Prepared">Each broadcast to the leading shape, contiguous, in the computation dtype (Int64 for an index).</param>
    /// <param name="Kinds">What each tensor is to the function.</param>
    /// <param name="Leading">The broadcast leading shape: one row per element.</param>
    /// <param name="FirstRowLength">The row length of the first <see cref="RowArgument.Row"/> argument; null without one.</param>
    sealed record RowArguments(Tensor[] Original, Tensor[] Prepared, RowArgument[] Kinds, int[] Leading, int? FirstRowLength)
    {
        public int Rows => Leading.Aggregate(1, (a, b) => a * b);
    }

    static ArgumentException NoOutputLength(string name) =>
        new($"{name}: no argument is a span, so the output row has no length to follow; give outputLength.", "outputLength");

    /// <summary>Checks a row function's arguments and broadcasts their leading dimensions together.</summary>
    static RowArguments PrepareRows(string name, DType dtype, ReadOnlySpan<Tensor> inputs, ReadOnlySpan<RowArgument> kinds)
    {
        var (leading, firstRowLength) = RowShape(name, dtype, inputs, kinds);
        var original = inputs.ToArray();
        var prepared = new Tensor[original.Length];
        var kindArray = kinds.ToArray();
        for (int i = 0; i < original.Length; i++)
        {
            var t = original[i].Detach();
            int[] target = kindArray[i] == RowArgument.Row ? [.. leading, t.shape[^1]] : leading;
            if (!t.shape.AsSpan().SequenceEqual(target)) t = t.Expand(target);
            var want = kindArray[i] == RowArgument.Index ? DType.Int64 : dtype;
            prepared[i] = t.DType == want && t.IsContiguous ? t : t.ToDTypeData(want);
        }

        return new RowArguments(original, prepared, kindArray, leading, firstRowLength);
    }

    /// <summary>Checks a row function's arguments (on any device): the broadcast leading shape, and the first span argument's row length.</summary>
    static (int[] Leading, int? FirstRowLength) RowShape(string name, DType dtype, ReadOnlySpan<Tensor> inputs, ReadOnlySpan<RowArgument> kinds)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!dtype.IsFloating()) throw new ArgumentException($"{name}: row functions compute in Float32 or Float64, not {dtype}.", nameof(dtype));
        if (inputs.Length != kinds.Length) throw new ArgumentException($"{name}: {inputs.Length} tensors but {kinds.Length} argument kinds.", nameof(kinds));
        int[] leading = [];
        int? firstRowLength = null;
        for (int i = 0; i < inputs.Length; i++)
        {
            var input = Checked(inputs[i]);
            if (kinds[i] == RowArgument.Row && input.shape.Length == 0)
                throw new ArgumentException($"{name}: argument {i} is a scalar tensor, but it stands for a span: its last dimension is the span (give it shape [n] or [rows, n]).", nameof(inputs));
            if (kinds[i] == RowArgument.Index && input.DType.IsFloating())
                throw new ArgumentException($"{name}: argument {i} holds one index per row and must be an integer tensor, not {input.DType}.", nameof(inputs));
            if (kinds[i] == RowArgument.Row) firstRowLength ??= input.shape[^1];
            int[] lead = kinds[i] == RowArgument.Row ? input.shape[..^1] : input.shape;
            leading = ElementwiseOp.BroadcastShapes(leading, lead, name);
        }

        return (leading, firstRowLength);
    }

    /// <summary>Runs rows in chunks on Gradgen's threads when there is enough work (elements read) to share.</summary>
    internal static void RunRows(int rows, Tensor[] inputs, Action<int, int> body)
    {
        long work = 0;
        foreach (var input in inputs) work += input.shape.Aggregate(1L, (a, b) => a * b);
        int threads = Elementwise.MaxThreads;
        int chunks = work < 32_768 || rows < 2 || threads < 2 ? 1 : Math.Min(rows, threads * 4);
        using (new KernelScope(inputs))
        {
            ChunkedParallel.Run(chunks, threads, chunk =>
            {
                int start = (int)((long)rows * chunk / chunks);
                int end = (int)((long)rows * (chunk + 1) / chunks);
                body(start, end);
            });
        }
    }
}
