using System.Buffers;
using System.ComponentModel;
using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// The spans one generated elementwise kernel of a compiled model reads and writes, for one stretch of elements: up to
/// eight inputs (each already laid out element by element for that stretch: a row of a full tensor, a broadcast
/// vector, or a broadcast value repeated) and up to eight outputs.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct MapSpans<T>
    where T : unmanaged
{
    /// <summary>Input 0.</summary>
    public ReadOnlySpan<T> In0;
    /// <summary>Input 1.</summary>
    public ReadOnlySpan<T> In1;
    /// <summary>Input 2.</summary>
    public ReadOnlySpan<T> In2;
    /// <summary>Input 3.</summary>
    public ReadOnlySpan<T> In3;
    /// <summary>Input 4.</summary>
    public ReadOnlySpan<T> In4;
    /// <summary>Input 5.</summary>
    public ReadOnlySpan<T> In5;
    /// <summary>Input 6.</summary>
    public ReadOnlySpan<T> In6;
    /// <summary>Input 7.</summary>
    public ReadOnlySpan<T> In7;
    /// <summary>Output 0.</summary>
    public Span<T> Out0;
    /// <summary>Output 1.</summary>
    public Span<T> Out1;
    /// <summary>Output 2.</summary>
    public Span<T> Out2;
    /// <summary>Output 3.</summary>
    public Span<T> Out3;
    /// <summary>Output 4.</summary>
    public Span<T> Out4;
    /// <summary>Output 5.</summary>
    public Span<T> Out5;
    /// <summary>Output 6.</summary>
    public Span<T> Out6;
    /// <summary>Output 7.</summary>
    public Span<T> Out7;

    internal void SetInput(int k, ReadOnlySpan<T> span)
    {
        switch (k)
        {
            case 0: In0 = span; break;
            case 1: In1 = span; break;
            case 2: In2 = span; break;
            case 3: In3 = span; break;
            case 4: In4 = span; break;
            case 5: In5 = span; break;
            case 6: In6 = span; break;
            default: In7 = span; break;
        }
    }

    internal void SetOutput(int k, Span<T> span)
    {
        switch (k)
        {
            case 0: Out0 = span; break;
            case 1: Out1 = span; break;
            case 2: Out2 = span; break;
            case 3: Out3 = span; break;
            case 4: Out4 = span; break;
            case 5: Out5 = span; break;
            case 6: Out6 = span; break;
            default: Out7 = span; break;
        }
    }
}

/// <summary>
/// What the code the generator writes for a compiled model graph calls at run time (not for direct use): the fused
/// elementwise kernels' driver with broadcasting, the matrix products, reductions and shape operations on detached
/// tensors, and the one graph node. Every operation here computes a value; no derivative is written here: the
/// generator's rule table decided what the backward computes, and this class only runs it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class CompiledGraph
{
    /// <summary>The most inputs or outputs of one elementwise kernel.</summary>
    public const int MaxOperands = 8;

    /// <summary>Elements per stretch when no input is broadcast along rows: long enough for the vector loop, short enough for scratch.</summary>
    private const int Block = 4096;

    /// <summary>
    /// Whether the compiled graph applies: a Float32 or Float64 input of a rank the graph was built for (any rank ≥ 2
    /// when <paramref name="anyRank"/>), and every parameter present, on the input's device, of the input's dtype.
    /// </summary>
    /// <param name="input">The model's input.</param>
    /// <param name="rank">The rank the graph was built for.</param>
    /// <param name="anyRank">The graph acts row by row: leading dims are flattened.</param>
    /// <param name="parameters">The parameters the graph reads.</param>
    /// <returns>False where <c>Call</c> should run <c>Forward</c>.</returns>
    public static bool CanRun(Tensor? input, int rank, bool anyRank, params Tensor?[] parameters)
    {
        if (input is null || input.DType is not (DType.Float32 or DType.Float64)
            || (anyRank ? input.Ndim < 2 : input.Ndim != rank))
        {
            return false;
        }

        foreach (var parameter in parameters)
        {
            if (parameter is null || parameter.Device != input.Device || parameter.DType != input.DType)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The input outside the graph, contiguous; with <paramref name="flattenRows"/> its leading dims as one.</summary>
    /// <param name="input">The model's input.</param>
    /// <param name="flattenRows">Reshape to <c>[rows, features]</c>.</param>
    /// <returns>A detached tensor.</returns>
    public static Tensor Prepare(Tensor input, bool flattenRows)
    {
        ArgumentNullException.ThrowIfNull(input);
        var x = Whole(input.Detach());
        return flattenRows && x.Ndim != 2 ? x.Reshape(-1, x.Shape[^1]) : x;
    }

    /// <summary>A row-wise graph's output given back the input's leading dims.</summary>
    /// <param name="output">The output over flattened rows.</param>
    /// <param name="input">The model's input.</param>
    /// <returns>The output shaped <c>input[..^1] + output[1..]</c>.</returns>
    public static Tensor UnflattenRows(Tensor output, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Ndim == 2)
        {
            return output;
        }

        var shape = new int[input.Ndim - 1 + output.Ndim - 1];
        for (int i = 0; i < input.Ndim - 1; i++) shape[i] = input.Shape[i];
        for (int i = 1; i < output.Ndim; i++) shape[input.Ndim - 2 + i] = output.Shape[i];
        return output.Reshape(shape);
    }

    /// <summary>A parameter as the graph reads it: detached and contiguous (<see cref="CanRun"/> checked that it is there).</summary>
    /// <param name="parameter">The parameter.</param>
    /// <returns>A detached tensor.</returns>
    public static Tensor Parameter(Tensor? parameter) => Whole((parameter ?? throw new ArgumentNullException(nameof(parameter))).Detach());

    /// <summary>A number read at run time (an eps, a slope) as a 0-d tensor of <paramref name="like"/>'s dtype.</summary>
    /// <param name="value">The number.</param>
    /// <param name="like">A tensor of the graph.</param>
    /// <returns>A 0-d tensor.</returns>
    public static Tensor Scalar(double value, Tensor like) => OnDevice(Tensor.Scalar(value, like.DType), like);

    /// <summary>The size of dimension <paramref name="dim"/> as a 0-d tensor (a mean's divisor).</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="dim">The dimension.</param>
    /// <returns>A 0-d tensor.</returns>
    public static Tensor DimSize(Tensor x, int dim) => OnDevice(Tensor.Scalar(x.Shape[dim], x.DType), x);

    /// <summary>
    /// torch.matmul of two activations, B read transposed when <paramref name="transposeB"/>: one packed matrix product
    /// (per batch, when B has A's leading dims; over every row of A when B is 2-D).
    /// </summary>
    /// <param name="a">A, rank ≥ 2.</param>
    /// <param name="b">B, rank ≥ 2.</param>
    /// <param name="transposeB">Multiply by Bᵀ (its last two dims swapped).</param>
    /// <returns>The product.</returns>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return ProductGradients.Times(a, b, transposeB);
    }

    /// <summary>Which input of a kernel the product folded into it is: 0, or 1 of two (with <paramref name="other"/> first).</summary>
    private static void CheckProductInput(string caller, Tensor? other, int productInput)
    {
        if (productInput is not (0 or 1) || (other is null && productInput != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(productInput), productInput, $"{caller}: the product is the kernel's input 0, or 1 of two.");
        }
    }

    /// <summary>Whether every given tensor is Float32 on <paramref name="device"/> (the products with an epilogue).</summary>
    private static bool AllFloat32On(Device device, params Tensor?[] tensors)
    {
        foreach (var t in tensors)
        {
            if (t is not null && (t.DType != DType.Float32 || t.Device != device))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether two tensors of the same rank agree in every dim but the last.</summary>
    private static bool LeadingDimsEqual(Tensor a, Tensor b) => a.Shape.ToArray().AsSpan(0, a.Ndim - 1).SequenceEqual(b.Shape.ToArray().AsSpan(0, b.Ndim - 1));

    /// <summary>
    /// f(A·op(B) + bias, other) on a device in one GEMM (Float32, <c>[rows, k]</c> by <c>[k, n]</c> or, with
    /// <paramref name="transposeB"/>, <c>[n, k]</c>): f is the graph kernel <paramref name="entry"/> with the product as
    /// its input <paramref name="productInput"/>, whose device function <c>{entry}_after_product_at{i}</c> the generator
    /// writes into <paramref name="cudaSource"/> and the backend compiles into the GEMM's store.
    /// </summary>
    private static Tensor DeviceProductThenMap<TFloat>(string entry, string cudaSource, Tensor a, Tensor b, bool transposeB, Tensor? bias, Tensor? other, int productInput)
        where TFloat : IElementwiseKernel<MapSpans<float>, float>
    {
        string function = $"{entry}_after_product_at{productInput}";
        if (!CpuTwins.ContainsKey(function))
        {
            // What an emulated device applies in its place: the kernel's C# twin over (product, other), as for a Map.
            CpuTwins.TryAdd(function, (1, productInput == 0
                ? static (ins, outs) => Run<TFloat, float>(outs[0].Shape.ToArray(), ins, outs)
                : static (ins, outs) => Run<TFloat, float>(outs[0].Shape.ToArray(), [ins[1], ins[0]], outs)));
        }

        int m = a.Shape[0], k = a.Shape[1], n = transposeB ? b.Shape[0] : b.Shape[1];
        var result = Tensor.EmptyOn(a.Device, DType.Float32, [m, n]);
        DeviceMatMul.EpilogueGemm(transposeB, m, n, k, DeviceMatMul.Whole(a, DType.Float32), DeviceMatMul.Whole(b, DType.Float32), result,
            bias is null ? null : DeviceMatMul.Whole(bias, DType.Float32), other is null ? null : DeviceMatMul.Whole(other, DType.Float32), cudaSource, function);
        return result;
    }

    /// <summary>
    /// Where a product's epilogue cannot run (Float64, a convolution on a device): the kernel as a map over the stored product and
    /// <paramref name="other"/> (none for a kernel of one input), the product then freed.
    /// </summary>
    internal static Tensor MapOfProduct<TFloat, TDouble>(string entry, string cudaSource, Tensor product, Tensor? other, int productInput)
        where TFloat : IElementwiseKernel<MapSpans<float>, float>
        where TDouble : IElementwiseKernel<MapSpans<double>, double>
    {
        var result = Map<TFloat, TDouble>(entry, cudaSource, null, 1, other is null ? [product] : productInput == 0 ? [product, other] : [other, product])[0];
        Free(product);
        return result;
    }

    /// <summary>
    /// G·W followed by a generated two-input kernel that reads the product and <paramref name="other"/> at the same
    /// position (a layer's input gradient times its activation's derivative, g·act′(u)): in Float32 the kernel is the
    /// product's epilogue, applied to each element as it is written, so G·W is never stored (on a device, the kernel's
    /// CUDA C compiled into the GEMM); in Float64, the product, then the kernel.
    /// </summary>
    /// <typeparam name="TEpilogue">The kernel as a product's epilogue (generated).</typeparam>
    /// <typeparam name="TFloat">The kernel for Float32.</typeparam>
    /// <typeparam name="TDouble">The kernel for Float64.</typeparam>
    /// <param name="entry">The kernel's name in <paramref name="cudaSource"/>.</param>
    /// <param name="cudaSource">The model's graph kernels in CUDA C.</param>
    /// <param name="g">G, <c>[…, out]</c>.</param>
    /// <param name="weight">W, <c>[out, in]</c>.</param>
    /// <param name="other">The kernel's other input, of the product's shape <c>[…, in]</c>.</param>
    /// <param name="productInput">Which of the kernel's two inputs the product is (0 or 1).</param>
    /// <returns>The kernel's output, <c>[…, in]</c>.</returns>
    public static Tensor MatMulThenMap<TEpilogue, TFloat, TDouble>(string entry, string cudaSource, Tensor g, Tensor weight, Tensor other, int productInput)
        where TEpilogue : IGemmEpilogue
        where TFloat : IElementwiseKernel<MapSpans<float>, float>
        where TDouble : IElementwiseKernel<MapSpans<double>, double>
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(other);
        CheckProductInput("MatMulThenMap", other, productInput);

        bool fits = weight.Ndim == 2 && g.Ndim >= 1 && g.Shape[^1] == weight.Shape[0] && other.Ndim == g.Ndim
            && other.Shape[^1] == weight.Shape[1] && LeadingDimsEqual(other, g);
        if (fits && AllFloat32On(g.Device, g, weight, other))
        {
            if (IsCpu(g))
            {
                return ProductGradients.Times<TEpilogue>(g, weight, Whole(other));
            }

            var shape = other.Shape.ToArray();
            var rows = Whole(g).Reshape(-1, weight.Shape[0]);
            return DeviceProductThenMap<TFloat>(entry, cudaSource, rows, weight, false, null, Whole(other).Reshape(-1, weight.Shape[1]), productInput).Reshape(shape);
        }

        return MapOfProduct<TFloat, TDouble>(entry, cudaSource, MatMul(g, weight, false), other, productInput);
    }

    /// <summary>Aᵀ·B summed over every leading dim: <c>[…, m]</c> and <c>[…, n]</c> give <c>[m, n]</c> (a weight's gradient).</summary>
    /// <param name="a">A.</param>
    /// <param name="b">B.</param>
    /// <returns><c>[m, n]</c>.</returns>
    public static Tensor MatMulAcrossRows(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return ProductGradients.AcrossRows(a, b);
    }

    /// <summary>Σ over <paramref name="dim"/>.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep it with size 1.</param>
    /// <returns>The sums.</returns>
    public static Tensor Sum(Tensor x, int dim, bool keepDim) => Reduce(x, dim, keepDim, Reduction.Sum);

    /// <summary>The mean over <paramref name="dim"/>.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep it with size 1.</param>
    /// <returns>The means.</returns>
    public static Tensor Mean(Tensor x, int dim, bool keepDim) => Reduce(x, dim, keepDim, Reduction.Mean);

    /// <summary>The maximum over <paramref name="dim"/> (NaN if any element is).</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep it with size 1.</param>
    /// <returns>The maxima.</returns>
    public static Tensor Max(Tensor x, int dim, bool keepDim) => Reduce(x, dim, keepDim, Reduction.Max);

    /// <summary>The minimum over <paramref name="dim"/> (NaN if any element is).</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep it with size 1.</param>
    /// <returns>The minima.</returns>
    public static Tensor Min(Tensor x, int dim, bool keepDim) => Reduce(x, dim, keepDim, Reduction.Min);

    /// <summary>log Σ exp over <paramref name="dim"/>, the maximum subtracted first.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep it with size 1.</param>
    /// <returns>The log-sum-exps.</returns>
    public static Tensor LogSumExp(Tensor x, int dim, bool keepDim) => Reduce(x, dim, keepDim, Reduction.LogSumExp);

    /// <summary>The gradient <paramref name="g"/> summed down to <paramref name="like"/>'s shape (the adjoint of broadcasting).</summary>
    /// <param name="g">The gradient of the broadcast value.</param>
    /// <param name="like">The value that was broadcast.</param>
    /// <returns>A tensor of <paramref name="like"/>'s shape.</returns>
    public static Tensor SumToShapeOf(Tensor g, Tensor like)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(like);
        var target = like.Shape.ToArray();
        int width = like.NumElements;
        bool leadingOnly = IsCpu(g) && target.Length <= g.Ndim && g.Shape.ToArray().AsSpan(g.Ndim - target.Length).SequenceEqual(target) && width > 0;
        if (!leadingOnly)
        {
            return SumToShapeOf(g, target);
        }

        // A bias-like gradient: the rows of g summed, one vector pass per row.
        return ProductGradients.ColumnSums(g, width).Reshape(target);
    }

    /// <summary>
    /// The gradient <paramref name="g"/> summed down to <paramref name="shape"/> (the adjoint of broadcasting and of
    /// <see cref="Tensor.Expand"/>), reading <paramref name="g"/> through its strides: an expanded gradient is not copied first.
    /// </summary>
    /// <param name="g">The gradient of the broadcast value.</param>
    /// <param name="shape">The shape of the value that was broadcast.</param>
    /// <returns>A tensor of <paramref name="shape"/> (<paramref name="g"/> itself where the shapes are equal).</returns>
    public static Tensor SumToShapeOf(Tensor g, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(shape);
        return ElementwiseOp.SumToShape(g, shape);
    }

    /// <summary><paramref name="g"/> broadcast to <paramref name="like"/>'s shape as a view (stride 0 along the broadcast dims), no copy.</summary>
    /// <param name="g">The tensor, with size 1 where <paramref name="like"/> is larger.</param>
    /// <param name="like">The tensor whose shape to take.</param>
    /// <returns>The expanded view.</returns>
    public static Tensor ExpandAs(Tensor g, Tensor like)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(like);
        return g.Detach().Expand(like.Shape.ToArray()).Detach();
    }

    /// <summary>
    /// <paramref name="g"/> added along <paramref name="dim"/> at the positions <paramref name="index"/> holds into zeros
    /// shaped like <paramref name="like"/> (the adjoint of <see cref="Tensor.Gather(int, Tensor)"/>).
    /// </summary>
    /// <param name="g">The gradient of the gathered values, of the index's shape.</param>
    /// <param name="index">The positions they were read from, each within the dimension (as Gather left them).</param>
    /// <param name="like">The tensor they were read from.</param>
    /// <param name="dim">The dimension.</param>
    /// <returns>A tensor of <paramref name="like"/>'s shape.</returns>
    public static Tensor ScatterAddAs(Tensor g, Tensor index, Tensor like, int dim)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(like);
        return Tensor.ScatterAddGrad(g, like.Shape.ToArray(), dim, index);
    }

    /// <summary><paramref name="g"/> with <paramref name="like"/>'s shape.</summary>
    /// <param name="g">The tensor.</param>
    /// <param name="like">The tensor whose shape to take.</param>
    /// <returns>The reshaped tensor.</returns>
    public static Tensor ReshapeAs(Tensor g, Tensor like) => g.Reshape(like.Shape.ToArray());

    /// <summary>The order that undoes <paramref name="order"/>: where each dim of a permuted tensor came from (the adjoint of <see cref="Tensor.Permute"/> permutes by it).</summary>
    /// <param name="order">A permutation of the dims, non-negative: dim i of the permuted tensor is dim <c>order[i]</c>.</param>
    /// <returns>The inverse permutation.</returns>
    public static int[] InversePermutation(params int[] order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var inverse = new int[order.Length];
        for (int i = 0; i < order.Length; i++) inverse[order[i]] = i;
        return inverse;
    }

    /// <summary><paramref name="g"/> in <paramref name="shape"/> (the adjoint of every reshape): a view where the strides allow it, else a copy.</summary>
    /// <param name="g">The tensor.</param>
    /// <param name="shape">The shape to take.</param>
    /// <returns>The reshaped tensor.</returns>
    public static Tensor ReshapeAs(Tensor g, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(g);
        return g.Reshape(shape);
    }

    /// <summary><paramref name="g"/> placed at <paramref name="start"/> of <paramref name="dim"/> in zeros shaped like <paramref name="like"/> (the adjoint of Narrow).</summary>
    /// <param name="g">The gradient of the narrowed value.</param>
    /// <param name="like">The value that was narrowed.</param>
    /// <param name="dim">The dimension.</param>
    /// <param name="start">Where the narrowed part began.</param>
    /// <returns>A tensor of <paramref name="like"/>'s shape.</returns>
    public static Tensor PadAs(Tensor g, Tensor like, int dim, int start)
    {
        ArgumentNullException.ThrowIfNull(like);
        return PadAs(g, like.Shape.ToArray(), dim, start, 1);
    }

    /// <summary>
    /// <paramref name="g"/> placed at positions <paramref name="start"/>, <paramref name="start"/> + <paramref name="step"/>, …
    /// of <paramref name="dim"/> in zeros shaped like <paramref name="like"/> (the adjoint of a model's
    /// <c>Slice(dim, start, end, step)</c> or <c>Select(dim, index)</c>), <paramref name="start"/> as the model wrote it: a
    /// negative one counts from the end and it is clamped to the dim, as <see cref="Tensor.Slice"/> does.
    /// </summary>
    /// <param name="g">The gradient of the sliced value.</param>
    /// <param name="like">The value that was sliced.</param>
    /// <param name="dim">The dimension (non-negative).</param>
    /// <param name="start">Where the slice began, as written.</param>
    /// <param name="step">The slice's step, at least 1.</param>
    /// <returns>A tensor of <paramref name="like"/>'s shape.</returns>
    public static Tensor PadAs(Tensor g, Tensor like, int dim, int start, int step)
    {
        ArgumentNullException.ThrowIfNull(like);
        int size = like.Shape[dim];
        return PadAs(g, like.Shape.ToArray(), dim, Math.Clamp(start < 0 ? start + size : start, 0, size), step);
    }

    /// <summary>
    /// <paramref name="g"/> placed at positions <paramref name="start"/>, <paramref name="start"/> + <paramref name="step"/>, …
    /// of <paramref name="dim"/> in zeros of <paramref name="shape"/>, on <paramref name="g"/>'s device (the adjoint of
    /// <see cref="Tensor.Slice"/>, <see cref="Tensor.Narrow"/> and <see cref="Tensor.Select"/>).
    /// </summary>
    /// <param name="g">The gradient of the sliced value, of <paramref name="shape"/> with dim <paramref name="dim"/> as long as the slice.</param>
    /// <param name="shape">The shape of the value that was sliced.</param>
    /// <param name="dim">The dimension (non-negative).</param>
    /// <param name="start">Where the slice began.</param>
    /// <param name="step">The slice's step, at least 1.</param>
    /// <returns>A tensor of <paramref name="shape"/>.</returns>
    public static Tensor PadAs(Tensor g, int[] shape, int dim, int start, int step)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(shape);
        var padded = DeviceData.ZerosAs(g, shape);
        int length = g.Shape[dim];
        Tensor.CopyInto(g, padded.Slice(dim, start, length == 0 ? start : start + (length - 1) * step + 1, step));
        return padded;
    }

    /// <summary>The tensors concatenated along <paramref name="dim"/>.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="pieces">The tensors.</param>
    /// <returns>The concatenation.</returns>
    public static Tensor Cat(int dim, params Tensor[] pieces) => Tensor.Cat(pieces, dim);

    /// <summary>The part of <paramref name="g"/> along <paramref name="dim"/> where piece <paramref name="index"/> of a concatenation was (the adjoint of Cat).</summary>
    /// <param name="g">The gradient of the concatenation.</param>
    /// <param name="dim">The dimension.</param>
    /// <param name="index">Which piece.</param>
    /// <param name="pieces">The concatenated tensors.</param>
    /// <returns>A tensor of that piece's shape.</returns>
    public static Tensor CatPiece(Tensor g, int dim, int index, params Tensor[] pieces)
    {
        int start = 0;
        for (int i = 0; i < index; i++) start += pieces[i].Shape[dim];
        return Whole(g.Narrow(dim, start, pieces[index].Shape[dim]));
    }

    /// <summary>
    /// The factor a Dropout module applies to <paramref name="like"/>: the mask eager <c>Forward</c> would draw (the
    /// same draws from <see cref="RandomGenerator"/>, so the same seed gives the same mask) in training, 1 in eval
    /// mode or for p = 0, 0 for p = 1 — the last two as 0-d tensors, read in place by the kernel.
    /// </summary>
    /// <param name="dropout">The module.</param>
    /// <param name="like">The tensor it applies to.</param>
    /// <returns>The mask.</returns>
    public static Tensor DropoutMask(Dropout dropout, Tensor like)
    {
        ArgumentNullException.ThrowIfNull(dropout);
        ArgumentNullException.ThrowIfNull(like);
        if (!dropout.IsTraining || dropout.P == 0) return OnDevice(Tensor.Scalar(1, like.DType), like);
        if (dropout.P == 1) return OnDevice(Tensor.Scalar(0, like.DType), like);
        return OnDevice(Functional.DropoutMask(like.Shape.ToArray(), dropout.P, like.DType), like);
    }

    /// <summary>
    /// A gradient the node hands out: its own tensor (the engine may accumulate into it), never one of the graph's
    /// other values or the incoming gradient.
    /// </summary>
    /// <param name="gradient">The computed gradient.</param>
    /// <param name="shared">Whether the graph holds it elsewhere too.</param>
    /// <returns>A tensor only the caller holds.</returns>
    public static Tensor Own(Tensor gradient, bool shared) => shared ? gradient.Detach().CloneData() : gradient;

    /// <summary>
    /// Gives the graph's own temporaries back to the storage cache: each tensor a step allocated and handed to no one
    /// (the generator lists those whose storage neither the output nor a returned gradient shares). Skipped steps left
    /// null. In a backward, the engine's bookkeeping decides (it releases only what this backward call allocated and
    /// does not hold); outside one — the forward, whose values no one else has seen — each is released as the node
    /// releases what it saved.
    /// </summary>
    /// <param name="temporaries">The temporaries.</param>
    public static void Free(params Tensor?[] temporaries)
    {
        foreach (var temporary in temporaries)
        {
            if (temporary is null)
            {
                continue;
            }

            if (EngineGradients.CurrentRun == 0)
            {
                temporary.storage.Release();
            }
            else
            {
                EngineGradients.Free(temporary);
            }
        }
    }

    /// <summary>
    /// Attaches the model's one graph node (<paramref name="name"/>) to <paramref name="output"/> when any input needs a
    /// gradient; its backward is the generated graph's. The incoming gradient is given in the output's dtype.
    /// </summary>
    /// <param name="name">The node's name.</param>
    /// <param name="output">The model's output.</param>
    /// <param name="inputs">The input, then the parameters, in the order of the backward's slots.</param>
    /// <param name="backward">The generated backward.</param>
    /// <param name="temporaries">
    /// The forward's own values that no one outside the graph sees (not the output, nor what it is a view of): their
    /// memory goes back to the storage cache once the node has run its backward without retaining the graph, or at
    /// once when no node is recorded (under <see cref="Autograd.NoGrad"/>, or with no input that needs a gradient).
    /// </param>
    /// <param name="read">The slots whose values the backward reads (checked for in-place changes before it runs).</param>
    /// <returns><paramref name="output"/>.</returns>
    public static Tensor Record(string name, Tensor output, Tensor[] inputs, CompiledBackward backward, Tensor[] temporaries, params int[] read)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (Autograd.Recording(inputs))
        {
            output.WithHistory(new CompiledModelBackward(name, inputs, backward, output.DType, read, temporaries));
        }
        else
        {
            // Evaluation: the values kept for a backward that will never run go back now, not to the collector.
            Free(temporaries);
        }

        return output;
    }

    /// <summary>
    /// Runs a generated elementwise kernel over the broadcast shape of <paramref name="inputs"/> (and of
    /// <paramref name="shapeOf"/>, when given), writing <paramref name="outputs"/> new tensors. Each input reaches the
    /// kernel as it is laid out: a full tensor row by row, a vector over the last dim or a value per row broadcast
    /// without a copy of the whole, anything else expanded first.
    /// </summary>
    /// <remarks>
    /// On an accelerator the same kernel runs from its CUDA C (<paramref name="cudaSource"/>, entry
    /// <paramref name="entry"/>, or <c>{entry}_f64</c> for Float64) over inputs expanded to the output's shape.
    /// </remarks>
    /// <typeparam name="TFloat">The kernel for Float32.</typeparam>
    /// <typeparam name="TDouble">The kernel for Float64.</typeparam>
    /// <param name="entry">The kernel's name in <paramref name="cudaSource"/>.</param>
    /// <param name="cudaSource">The model's graph kernels in CUDA C.</param>
    /// <param name="shapeOf">A tensor whose shape the outputs take, or null.</param>
    /// <param name="outputs">How many outputs the kernel writes.</param>
    /// <param name="inputs">The kernel's inputs.</param>
    /// <returns>The outputs.</returns>
    public static Tensor[] Map<TFloat, TDouble>(string entry, string cudaSource, Tensor? shapeOf, int outputs, params Tensor[] inputs)
        where TFloat : IElementwiseKernel<MapSpans<float>, float>
        where TDouble : IElementwiseKernel<MapSpans<double>, double>
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length > MaxOperands || outputs > MaxOperands || outputs < 1)
        {
            throw new ArgumentException($"Map: a kernel takes at most {MaxOperands} inputs and 1 to {MaxOperands} outputs, not {inputs.Length} and {outputs}.");
        }

        int[] shape = shapeOf?.Shape.ToArray() ?? [];
        foreach (var input in inputs)
        {
            shape = ElementwiseOp.BroadcastShapes(shape, input.Shape.ToArray(), "Map");
        }

        var dtype = inputs.Length > 0 ? inputs[0].DType : shapeOf!.DType;
        var first = inputs.Length > 0 ? inputs[0] : shapeOf!;
        if (!IsCpu(first))
        {
            return MapOnDevice<TFloat, TDouble>(entry, cudaSource, shape, dtype, first.Device, outputs, inputs);
        }

        var results = new Tensor[outputs];
        for (int i = 0; i < outputs; i++) results[i] = Tensor.Empty(dtype, shape);
        if (dtype == DType.Float64)
        {
            Run<TDouble, double>(shape, inputs, results);
        }
        else
        {
            Run<TFloat, float>(shape, inputs, results);
        }

        return results;
    }

    /// <summary>
    /// The CPU twin of each graph kernel launched on a device, by entry name: what an emulated device runs for it, so
    /// that it checks the launch plumbing with the same generated code, not a second copy of the formulas.
    /// </summary>
    internal static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (int Outputs, Action<Tensor[], Tensor[]> Run)> CpuTwins = new();

    private static Tensor[] MapOnDevice<TFloat, TDouble>(string entry, string cudaSource, int[] shape, DType dtype, Device device, int outputs, Tensor[] inputs)
        where TFloat : IElementwiseKernel<MapSpans<float>, float>
        where TDouble : IElementwiseKernel<MapSpans<double>, double>
    {
        string name = dtype == DType.Float64 ? entry + "_f64" : entry;
        CpuTwins.TryAdd(entry, (outputs, static (ins, outs) => Run<TFloat, float>(outs[0].Shape.ToArray(), ins, outs)));
        CpuTwins.TryAdd(entry + "_f64", (outputs, static (ins, outs) => Run<TDouble, double>(outs[0].Shape.ToArray(), ins, outs)));
        var buffers = new IDeviceBuffer[inputs.Length + outputs];
        for (int i = 0; i < inputs.Length; i++)
        {
            buffers[i] = DeviceData.Operand(inputs[i], shape, device, dtype).DeviceBuffer(name);
        }

        var results = new Tensor[outputs];
        for (int o = 0; o < outputs; o++)
        {
            results[o] = Tensor.EmptyOn(device, dtype, shape);
            buffers[inputs.Length + o] = results[o].DeviceBuffer(name);
        }

        if (results[0].NumElements > 0)
        {
            ((DeviceStorage)results[0].storage).Backend.LaunchElementwise(cudaSource, name, buffers, results[0].NumElements);
        }

        return results;
    }

    private static bool IsCpu(Tensor t) => t.Device.Type == DeviceType.Cpu;

    /// <summary>A contiguous tensor with <paramref name="t"/>'s elements (itself when it is one), on its device.</summary>
    private static Tensor Whole(Tensor t) => IsCpu(t) ? t.ContiguousData() : t.IsContiguous ? t : t.Contiguous();

    /// <summary><paramref name="t"/> on <paramref name="like"/>'s device.</summary>
    private static Tensor OnDevice(Tensor t, Tensor like) => IsCpu(like) ? t : t.To(like.Device);

    private enum Layout
    {
        Full,
        Row,
        Column,
        Scalar,
    }

    private static void Run<TKernel, T>(int[] shape, Tensor[] inputs, Tensor[] outputs)
        where TKernel : IElementwiseKernel<MapSpans<T>, T>
        where T : unmanaged
    {
        int numel = outputs[0].NumElements;
        if (numel == 0) return;
        int cols = shape.Length == 0 ? 1 : shape[^1];
        int rows = cols == 0 ? 0 : numel / cols;
        var layouts = new Layout[inputs.Length];
        var data = new Tensor[inputs.Length];
        bool byRows = false;
        for (int k = 0; k < inputs.Length; k++)
        {
            (layouts[k], data[k]) = Classify(inputs[k], shape, numel, cols, rows);
            byRows |= layouts[k] is Layout.Row or Layout.Column;
        }

        // Stretches: whole rows when an input is broadcast along them, else blocks of the flat elements.
        int stretch = byRows ? cols : Math.Min(numel, Block);
        int stretches = byRows ? rows : (numel + Block - 1) / Block;
        var scalars = new T[inputs.Length][];
        for (int k = 0; k < inputs.Length; k++)
        {
            if (layouts[k] == Layout.Scalar)
            {
                scalars[k] = new T[stretch];
                Array.Fill(scalars[k], data[k].Elements<T>()[0]);
            }
        }

        void RunStretches(int first, int end)
        {
            T[]? columns = null;
            try
            {
                var spans = new MapSpans<T>();
                for (int s = first; s < end; s++)
                {
                    int start = s * stretch;
                    int length = Math.Min(stretch, numel - start);
                    for (int k = 0; k < inputs.Length; k++)
                    {
                        switch (layouts[k])
                        {
                            case Layout.Full:
                                spans.SetInput(k, data[k].Elements<T>().Slice(start, length));
                                break;
                            case Layout.Row:
                                spans.SetInput(k, data[k].Elements<T>());
                                break;
                            case Layout.Scalar:
                                spans.SetInput(k, scalars[k].AsSpan(0, length));
                                break;
                            default:
                                columns ??= ArrayPool<T>.Shared.Rent(stretch * inputs.Length);
                                var column = columns.AsSpan(k * stretch, length);
                                column.Fill(data[k].Elements<T>()[s]);
                                spans.SetInput(k, column);
                                break;
                        }
                    }

                    for (int o = 0; o < outputs.Length; o++)
                    {
                        spans.SetOutput(o, outputs[o].Elements<T>().Slice(start, length));
                    }

                    Elementwise.RunWith<TKernel, MapSpans<T>, T>(in spans, length, Elementwise.VectorBits, 1, int.MaxValue);
                }
            }
            finally
            {
                if (columns is not null) ArrayPool<T>.Shared.Return(columns);
            }
        }

        int threads = Math.Min(Elementwise.MaxThreads, stretches);
        if (threads > 1 && numel >= Elementwise.ParallelThreshold)
        {
            int chunks = Math.Min(stretches, threads * 4);
            ChunkedParallel.Run(chunks, threads, chunk => RunStretches((int)((long)stretches * chunk / chunks), (int)((long)stretches * (chunk + 1) / chunks)));
        }
        else
        {
            RunStretches(0, stretches);
        }

        GC.KeepAlive(data);
        GC.KeepAlive(outputs);
    }

    private static (Layout, Tensor) Classify(Tensor input, int[] shape, int numel, int cols, int rows)
    {
        var dims = input.Shape.ToArray();
        if (input.NumElements == numel && dims.AsSpan().SequenceEqual(shape.AsSpan(shape.Length - dims.Length)) && dims.Length == shape.Length)
        {
            return (Layout.Full, input.ContiguousData());
        }

        if (input.NumElements == 1)
        {
            return (Layout.Scalar, input.ContiguousData());
        }

        if (dims.Length > 0 && dims[^1] == cols && input.NumElements == cols)
        {
            return (Layout.Row, input.ContiguousData());
        }

        if (dims.Length == shape.Length && dims.Length > 0 && dims[^1] == 1 && input.NumElements == rows && dims.AsSpan(0, dims.Length - 1).SequenceEqual(shape.AsSpan(0, shape.Length - 1)))
        {
            return (Layout.Column, input.ContiguousData());
        }

        return (Layout.Full, input.Expand(shape).ContiguousData());
    }

    private enum Reduction
    {
        Sum,
        Mean,
        Max,
        Min,
        LogSumExp,
    }

    private static Tensor Reduce(Tensor x, int dim, bool keepDim, Reduction kind)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!IsCpu(x))
        {
            return kind switch
            {
                Reduction.Sum => x.Sum(dim, keepDim),
                Reduction.Mean => x.Mean(dim, keepDim),
                Reduction.Max => x.Max(dim, keepDim),
                Reduction.Min => x.Min(dim, keepDim).Values,
                _ => x.LogSumExp(dim, keepDim),
            };
        }

        int d = Tensor.NormalizeDim(dim, x.Ndim, kind.ToString());
        var (outer, size, inner) = Functional.Split(x.Shape.ToArray(), d);
        var shape = x.Shape.ToArray();
        shape[d] = 1;
        if (kind is Reduction.Sum or Reduction.Mean && x.DType is DType.Float32 or DType.Float64)
        {
            // The runtime's one summing loop, as eager Sum and Mean run it (Float32 accumulated in Float64), so the
            // compiled graph's sums are eager's to the bit; a mean divides each sum in place, as eager's Sum(d) / n.
            var sums = Reductions.SumToKeptShape(x, shape);
            if (kind == Reduction.Mean)
            {
                DivideInPlace(sums, size);
            }

            return keepDim ? sums : sums.Squeeze(d);
        }

        var source = x.ContiguousData();
        var result = Tensor.Empty(x.DType, shape);
        if (x.DType == DType.Float64)
        {
            Reduce<double>(source.Elements<double>(), result.Elements<double>(), outer, size, inner, kind);
        }
        else
        {
            Reduce<float>(source.Elements<float>(), result.Elements<float>(), outer, size, inner, kind);
        }

        GC.KeepAlive(source);
        return keepDim ? result : result.Squeeze(d);
    }

    /// <summary>Each sum divided by <paramref name="size"/>, in the sums' dtype (a mean, as eager's <c>Sum(d) / n</c>).</summary>
    private static void DivideInPlace(Tensor sums, int size)
    {
        if (sums.DType == DType.Float64)
        {
            foreach (ref double v in sums.Elements<double>()) v /= size;
        }
        else
        {
            foreach (ref float v in sums.Elements<float>()) v /= size;
        }
    }

    /// <summary>Max, Min or LogSumExp along the middle dim of <c>[outer, size, inner]</c> (NaN wins, as PyTorch).</summary>
    private static void Reduce<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int size, int inner, Reduction kind)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int start = (o * size * inner) + i;

                // The minimum is the maximum of the negated values, negated back (exact: negation never rounds).
                T sign = kind == Reduction.Min ? -T.One : T.One;
                T max = T.NegativeInfinity;
                for (int j = 0; j < size; j++)
                {
                    T v = sign * x[start + (j * inner)];
                    if (v > max || T.IsNaN(v)) max = v;
                    if (T.IsNaN(max)) break;
                }

                T result;
                if (kind == Reduction.Min)
                {
                    result = -max;
                }
                else if (kind == Reduction.Max || T.IsNaN(max) || T.IsInfinity(max))
                {
                    result = max;
                }
                else
                {
                    T sum = T.Zero;
                    for (int j = 0; j < size; j++) sum += T.Exp(x[start + (j * inner)] - max);
                    result = max + T.Log(sum);
                }

                y[(o * inner) + i] = result;
            }
        }
    }
}
