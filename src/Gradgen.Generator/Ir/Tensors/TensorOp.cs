namespace Gradgen.Generator.Ir.Tensors;

/// <summary>
/// The operations of the tensor-level IR (DESIGN.md 10). Elementwise work is <see cref="Map"/>, whose body is the scalar
/// IR; everything else is a matrix product, a reduction or a shape operation. Nothing here is model-specific: a
/// <c>Linear</c> layer is <see cref="Linear"/> (x·Wᵀ + b, one matrix product with its bias), an activation is a
/// <see cref="Map"/>, LayerNorm and softmax are reductions and maps.
/// </summary>
internal enum TensorOp
{
    /// <summary>The model's input (slot 0 of the compiled node).</summary>
    Input,

    /// <summary>The gradient of the output (the backward pass's seed).</summary>
    GradOutput,

    /// <summary>A parameter read from the model (<c>this.l1.Weight</c>): <see cref="TensorNode.Text"/> is the C# that reads it.</summary>
    Parameter,

    /// <summary>A 0-d value known only at run time (an eps, a slope, a dimension's size): <see cref="TensorNode.Text"/> is its C#.</summary>
    RuntimeScalar,

    /// <summary>The size of dimension <see cref="TensorNode.Dim"/> of input 0, as a 0-d tensor (a mean's divisor).</summary>
    DimSize,

    /// <summary>Elementwise: output <see cref="TensorNode.Index"/> of the scalar body applied to the broadcast inputs.</summary>
    Map,

    /// <summary>x·Wᵀ (+ b): input 0 of any rank ≥ 1, W <c>[out, in]</c>, optional bias <c>[out]</c>.</summary>
    Linear,

    /// <summary>torch.matmul of two activations of rank ≥ 2 (batched over the leading dims), B transposed when <see cref="TensorNode.Flag"/>.</summary>
    MatMul,

    /// <summary>aᵀ·b summed over every leading dim: <c>[…, m]</c>, <c>[…, n]</c> → <c>[m, n]</c> (a weight's gradient).</summary>
    MatMulAcrossRows,

    /// <summary>Sum over dim (keepDim = <see cref="TensorNode.Flag"/>).</summary>
    Sum,

    /// <summary>Mean over dim.</summary>
    Mean,

    /// <summary>Maximum over dim (torch.amax: the gradient is split among ties; a NaN maximum gives its row NaN, as PyTorch).</summary>
    Max,

    /// <summary>
    /// Maximum over dim whose gradient goes evenly to the positions holding it, the NaNs when it is NaN, and exactly 0
    /// elsewhere (torch.max() of a whole tensor: PyTorch's evenly_distribute_backward).
    /// </summary>
    MaxEvenly,

    /// <summary>Minimum over dim, differentiated as <see cref="MaxEvenly"/> (torch.min() of a whole tensor).</summary>
    MinEvenly,

    /// <summary>torch.gather: input 0 read along dim at the positions of input 1 (an integer index shaped like the result).</summary>
    Gather,

    /// <summary>Input 0 added along dim at the positions of input 1 into zeros shaped like input 2 (the adjoint of Gather).</summary>
    ScatterAddAs,

    /// <summary>log Σ exp over dim, computed stably.</summary>
    LogSumExp,

    /// <summary>Sums input 0 down to the shape of input 1 (the adjoint of broadcasting and of <see cref="Expand"/>).</summary>
    SumToShapeOf,

    /// <summary>
    /// torch.expand: input 0 repeated along its size-1 dims and new leading dims, a view (stride 0);
    /// <see cref="TensorNode.Text"/> is the target sizes' C#, where <c>$k</c> stands for input k ≥ 1, a value a size
    /// is read from at run time (<c>$1.Shape[0]</c>).
    /// </summary>
    Expand,

    /// <summary>A view or copy with a new shape, written as the user wrote it: <see cref="TensorNode.Text"/> is the call (<c>Reshape(-1, 8)</c>).</summary>
    Reshape,

    /// <summary>Input 0 reshaped to the shape of input 1 (the adjoint of every reshape).</summary>
    ReshapeAs,

    /// <summary>Swaps dims <see cref="TensorNode.Dim"/> and <see cref="TensorNode.Dim2"/> (or the run-time dims <see cref="TensorNode.Text"/> names).</summary>
    Transpose,

    /// <summary>
    /// The dims reordered by the order <see cref="TensorNode.Text"/> names (dim i of the result is dim order[i]): a
    /// model's constant order (<c>0, 2, 1</c>) or an eager backward's run-time <c>int[]</c>; by its inverse when
    /// <see cref="TensorNode.Flag"/> (the adjoint). A view.
    /// </summary>
    Permute,

    /// <summary>
    /// Elements [Start, Start + Length) of dim; a model's stepped slice when <see cref="TensorNode.Step"/> ≥ 1
    /// ([Start, End) by Step); or, where <see cref="TensorNode.Text"/> names run-time arguments, dim, start and step (an
    /// eager backward's strided slice). A view. A model's Select is one of length 1, then a squeeze.
    /// </summary>
    Narrow,

    /// <summary>Input 0 placed at [Start, …) of dim in zeros shaped like input 1 (the adjoint of Narrow; with the Narrow's run-time dim, start and step where it has them).</summary>
    PadAs,

    /// <summary>The inputs concatenated along dim.</summary>
    Cat,

    /// <summary>Piece <see cref="TensorNode.Index"/> of input 0 cut along dim at the sizes of inputs 1… (the adjoint of Cat).</summary>
    CatPiece,

    /// <summary>
    /// A 2-D convolution of input 0 <c>[N, C, H, W]</c> by the filters input 1 <c>[O, C / groups, k, k]</c> (+ bias
    /// input 2 <c>[O]</c>): <see cref="TensorNode.Text"/> is the <c>Conv2d</c> module, whose window the run time reads.
    /// </summary>
    Conv2d,

    /// <summary>
    /// Gradient <see cref="TensorNode.Index"/> (0: input, 1: weight, 2: bias) of a convolution, from its output's
    /// gradient (input 0), its input (input 1) and its filters (input 2): <see cref="TensorNode.Text"/> is the module.
    /// </summary>
    Conv2dGradient,

    /// <summary>
    /// 2-D max pooling of input 0 <c>[N, C, H, W]</c>: <see cref="TensorNode.Text"/> is the <c>MaxPool2d</c> module;
    /// <see cref="TensorNode.Index"/> 0 the values, 1 the position in the input each one was taken from (not differentiated).
    /// </summary>
    MaxPool2d,

    /// <summary>Input 0 (the pooled output's gradient) added at the positions input 1 (the pooling's indices) holds, in zeros shaped like input 2 (the pooling's input).</summary>
    MaxPool2dGradient,

    /// <summary>
    /// 2-D average pooling of input 0 <c>[N, C, H, W]</c>: <see cref="TensorNode.Text"/> is the <c>AvgPool2d</c> or
    /// <c>AdaptiveAvgPool2d</c> module, whose windows the run time reads.
    /// </summary>
    AvgPool2d,

    /// <summary>The gradient of an average pooling's input 1 <c>[N, C, H, W]</c> from its output's gradient (input 0): each output's share spread over its window.</summary>
    AvgPool2dGradient,

    /// <summary>
    /// What batch norm <see cref="TensorNode.Text"/> normalises input 0 <c>[N, C, *]</c> with on this call,
    /// <c>[3, C]</c> (mean, 1/√(var + eps), whether they are the batch's); in training it updates the running
    /// statistics. Not differentiated: the gradient of <see cref="BatchNorm"/> accounts for the batch's statistics.
    /// </summary>
    BatchNormStatistics,

    /// <summary>Input 0 <c>[N, C, *]</c> normalised per channel with the statistics input 1, then scaled by input 2 and shifted by input 3 when affine.</summary>
    BatchNorm,

    /// <summary>Gradient <see cref="TensorNode.Index"/> (0: input, 1: weight, 2: bias) of a batch norm, from its output's gradient (input 0), input (1), statistics (2) and weight (3, when affine).</summary>
    BatchNormGradient,

    /// <summary>Dropout's scaled mask (0 or 1/(1−p)) shaped like input 0, ones in eval mode: <see cref="TensorNode.Text"/> is the module.</summary>
    DropoutMask,
}
