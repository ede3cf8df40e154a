using System.Runtime.CompilerServices;

namespace Gradgen;

/// <summary>
/// An n-dimensional array with a dtype, a device and, optionally, an autograd history: Gradgen's <c>torch.Tensor</c>.
/// A tensor is a view (shape, strides and offset) over a storage that its views share, so <see cref="Reshape"/>,
/// <see cref="Transpose"/>, <see cref="Unsqueeze"/>, <see cref="Narrow"/> and friends copy nothing where PyTorch's
/// do not.
/// </summary>
/// <remarks>
/// <para>
/// <b>Equality.</b> C#'s <c>==</c> and <c>!=</c> on tensors keep their usual meaning, reference equality, so that
/// <c>t == null</c>, dictionaries and pattern matching behave as every C# developer expects. PyTorch's elementwise
/// <c>==</c> and <c>!=</c> are the methods <see cref="Eq(Tensor)"/> and <see cref="Ne(Tensor)"/>; the ordering
/// comparisons <c>&lt; &lt;= &gt; &gt;=</c> are elementwise operators, as in PyTorch.
/// </para>
/// <para>
/// <b>Threads.</b> A tensor may be read by several threads at once; writing it (in-place operations, backward into
/// its gradient) needs exclusive access, as in PyTorch.
/// </para>
/// </remarks>
public partial class Tensor
{
    // storage, strides and offset change only in Module.To, which moves a parameter's data to another device in
    // place (as PyTorch's param.data = …); everything else treats them as fixed.
    internal Storage storage;
    internal readonly int[] shape;
    internal int[] strides;
    internal int offset;
    internal readonly int numel;

    /// <summary>True for the zero-dimensional tensors that wrap C# scalars in <c>x + 5</c>: they take part in type promotion as PyTorch's wrapped numbers do.</summary>
    internal bool isWrappedNumber;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        int n = 1;
        foreach (int d in shape) n *= d;
        numel = n;

        // A view without elements (row 1 of a [3, 0] tensor) may point past its storage's end; it reads nothing, so
        // it starts at 0 and every span over its elements is empty instead of out of range.
        this.offset = n == 0 ? 0 : offset;
    }

    internal Tensor(Storage storage, int[] shape) : this(storage, shape, ContiguousStrides(shape), 0)
    {
    }

    /// <summary>
    /// A tensor over the same storage and geometry as <paramref name="data"/>, without its autograd history: for
    /// runtime types that derive from <see cref="Tensor"/>, such as <c>Gradgen.Nn.Parameter</c>.
    /// </summary>
    /// <param name="data">The tensor whose elements the new one shares.</param>
    private protected Tensor(Tensor data) : this((data ?? throw new ArgumentNullException(nameof(data))).storage, data.shape, data.strides, data.offset)
    {
    }

    /// <summary>A new tensor of <paramref name="shape"/> whose elements are not initialised (zeroed for small sizes).</summary>
    internal static Tensor Empty(DType dtype, int[] shape, bool zeroed = false)
    {
        int n = CheckedNumel(shape, "Empty");
        return new Tensor(Storage.Allocate(dtype, n, zeroed), shape);
    }

    internal static int CheckedNumel(ReadOnlySpan<int> shape, string op)
    {
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"{op}: shape {Shape.Format(shape)} has a negative dimension.");
        }

        // A dimension of 0 makes the tensor empty however large the others are, as in PyTorch
        // (torch.empty(2147483647, 2147483647, 0) is a valid empty tensor).
        if (shape.IndexOf(0) >= 0) return 0;
        long n = 1;
        foreach (int d in shape)
        {
            n *= d;
            if (n > Array.MaxLength) throw new ArgumentException($"{op}: shape {Shape.Format(shape)} has more elements than one tensor can hold ({Array.MaxLength}).");
        }
        return (int)n;
    }

    internal static int[] ContiguousStrides(int[] shape)
    {
        if (shape.Length == 0) return [];
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= Math.Max(shape[i], 1);
        }
        return s;
    }

    /// <summary>The element type.</summary>
    public DType DType => storage.DType;

    /// <summary>Where the tensor lives. Always <see cref="Device.Cpu"/> until the CUDA backend provides tensors.</summary>
    public Device Device => storage is DeviceStorage device ? device.Device : Device.Cpu;

    /// <summary>The sizes of the dimensions; prints as <c>[10, 20, 30]</c>.</summary>
    public Shape Shape => Shape.Wrap(shape);

    /// <summary>The number of dimensions (PyTorch's <c>ndim</c>).</summary>
    public int Ndim => shape.Length;

    /// <summary>The number of elements (PyTorch's <c>numel()</c>).</summary>
    public int NumElements => numel;

    /// <summary>The size of dimension <paramref name="dim"/>; negative values count from the end.</summary>
    /// <param name="dim">The dimension.</param>
    public int Size(int dim) => shape[NormalizeDim(dim, shape.Length, "Size")];

    /// <summary>The step in elements between neighbours along each dimension.</summary>
    public int[] Strides => (int[])strides.Clone();

    /// <summary>The index in the storage of the first element.</summary>
    public int StorageOffset => offset;

    /// <summary>Whether the elements lie in row-major order without gaps (PyTorch's <c>is_contiguous()</c>).</summary>
    public bool IsContiguous
    {
        get
        {
            // PyTorch's rule: a tensor without elements is contiguous, whatever its strides.
            if (numel == 0) return true;
            int expected = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                if (shape[i] == 1) continue;
                if (strides[i] != expected) return false;
                expected *= shape[i];
            }
            return true;
        }
    }

    internal Span<T> StorageSpan<T>() where T : unmanaged =>
        storage is Storage<T> host ? host.Span : throw NotOnHost();

    /// <summary>The error of a CPU operation given a tensor that lives on an accelerator.</summary>
    internal NotSupportedException NotOnHost() => new(
        $"This operation has no kernel for tensors on {Device} yet (a CPU kernel was asked for the elements of a {DType} tensor of shape {ShapeString} there). " +
        "On a GPU, Gradgen runs every public tensor operation in every dtype the CPU accepts, with autograd (docs/cuda.md lists them); " +
        "this is an internal path that missed its device dispatch. Call To(Device.Cpu) first.");

    internal static int NormalizeDim(int dim, int ndim, string op)
    {
        int n = Math.Max(ndim, 1);
        if (dim < -n || dim >= n)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} is out of range for a tensor with {ndim} dimension{(ndim == 1 ? "" : "s")} (expected a value in [{-n}, {n - 1}]).");
        return dim < 0 ? dim + n : dim;
    }

    internal string ShapeString => Shape.Format(shape);
}

public partial class Tensor
{
    /// <summary>
    /// The tensor as PyTorch prints it: <c>tensor([0., 1., 2.])</c>, <c>tensor([0, 0], dtype=Int32)</c>,
    /// <c>tensor([  -inf, 0.0000, 0.6931])</c>, with <c>requires_grad=True</c> or <c>grad_fn=&lt;SinBackward&gt;</c>,
    /// nested brackets for more dimensions and <c>...</c> for tensors of more than 1000 elements.
    /// </summary>
    public override string ToString() => TensorFormatter.ToString(this);
}
