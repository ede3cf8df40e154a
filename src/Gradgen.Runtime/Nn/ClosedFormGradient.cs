namespace Gradgen.Nn;

/// <summary>
/// A loss's gradient with respect to its input in closed form — MSE's scale·(y − t), cross-entropy's
/// scale·(softmax(y) − onehot(c)) — offered to the node that produced that input instead of a gradient tensor.
/// </summary>
/// <remarks>
/// A node whose backward pass reads its output's gradient row by row (a narrow compiled model reads each row once,
/// in the same pass that computes every weight gradient) can compute those rows where it would have read them: the
/// loss then writes no gradient tensor, and the step saves one pass over the rows and one buffer. This is one
/// protocol between any loss with a row-wise closed form and any node that can take one
/// (<see cref="GradFn.AcceptClosedFormGradient"/>); the autograd engine is not involved: it sends the producer an
/// ordinary tensor, <see cref="Placeholder"/>, which the producer recognises. The loss offers only when it is the
/// producer's sole consumer (<see cref="GradFn.SoleConsumer"/>), so the placeholder reaches exactly that node,
/// unchanged, and only when the producer's output needs a gradient and the loss's other inputs do not.
/// </remarks>
internal abstract class ClosedFormGradient
{
    /// <summary>How many offers were accepted by backward calls on this thread (for tests: it only grows).</summary>
    [ThreadStatic]
    internal static int AcceptedOnThisThread;

    /// <summary>A gradient of <paramref name="output"/>'s shape, [rows, width] with rows = every leading dim.</summary>
    protected ClosedFormGradient(Tensor output)
    {
        Output = output;
        int[] shape = output.Shape.ToArray();
        Width = shape.Length == 0 ? 1 : shape[^1];
        Rows = Width == 0 ? 0 : output.NumElements / Width;
        Placeholder = Tensor.Zeros([]).Expand(shape);
    }

    /// <summary>The loss's input: the producer's output, whose gradient this is.</summary>
    public Tensor Output { get; }

    /// <summary>Rows of the gradient (the product of the output's leading dims).</summary>
    public int Rows { get; }

    /// <summary>Elements per row (the output's last dim).</summary>
    public int Width { get; }

    /// <summary>What the engine sends the producer in place of the gradient: a tensor of the output's shape over one element.</summary>
    public Tensor Placeholder { get; }

    /// <summary>
    /// Writes rows [<paramref name="start"/>, <paramref name="end"/>) of the gradient, row-major, into
    /// <paramref name="gradient"/>, a span of the whole gradient (<see cref="Rows"/> × <see cref="Width"/>; other rows
    /// are not touched). Safe to call from several threads for disjoint rows.
    /// </summary>
    public abstract void WriteRows(int start, int end, Span<float> gradient);

    /// <summary>
    /// The offer, made by a loss node from its backward: when the node that produced the loss's input 0 is its sole
    /// consumer and accepts <paramref name="gradient"/>, sets <paramref name="inputGrads"/>[0] to the placeholder and
    /// returns true; otherwise the loss computes its gradient as a tensor.
    /// </summary>
    public static bool Offer(GradFn loss, ClosedFormGradient gradient, Span<Tensor?> inputGrads)
    {
        if (loss.next[0] is { } producer && GradFn.SoleConsumer(producer) && producer.AcceptClosedFormGradient(gradient))
        {
            AcceptedOnThisThread++;
            inputGrads[0] = gradient.Placeholder;
            return true;
        }

        return false;
    }
}
