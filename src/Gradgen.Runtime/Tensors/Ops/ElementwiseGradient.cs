namespace Gradgen;

/// <summary>
/// The generated backward of one of the runtime's <c>[Differentiable]</c> one-liners (<see cref="ElementwiseFunctions"/>):
/// its CPU kernel, its CUDA source and the inputs the kernel reads. Operations that keep a forward of their own
/// (integer dtypes, a scalar operand, PyTorch's type promotion: + − * /, Pow, Maximum, Minimum, Clamp, Where) record
/// <see cref="GeneratedBackward"/> with one of these, so their derivatives come from the rule table like every other's.
/// </summary>
/// <param name="Function">The one-liner's name: its CUDA kernel is <c>{Function}_backward</c> (<c>_f64</c> in double).</param>
/// <param name="Backward">The CPU kernel.</param>
/// <param name="CudaSource">The CUDA C that holds the kernel.</param>
/// <param name="Reads">Bit i: the kernel reads input i (the others need not be saved).</param>
internal sealed record ElementwiseGradient(string Function, ElementwiseBackward Backward, string CudaSource, int Reads)
{
    public static readonly ElementwiseGradient Add = new("Add", ElementwiseFunctions.AddTensorBackward, ElementwiseFunctions.AddCudaSource, ElementwiseFunctions.AddBackwardReads);
    public static readonly ElementwiseGradient Sub = new("Sub", ElementwiseFunctions.SubTensorBackward, ElementwiseFunctions.SubCudaSource, ElementwiseFunctions.SubBackwardReads);
    public static readonly ElementwiseGradient Mul = new("Mul", ElementwiseFunctions.MulTensorBackward, ElementwiseFunctions.MulCudaSource, ElementwiseFunctions.MulBackwardReads);
    public static readonly ElementwiseGradient Div = new("Div", ElementwiseFunctions.DivTensorBackward, ElementwiseFunctions.DivCudaSource, ElementwiseFunctions.DivBackwardReads);
    public static readonly ElementwiseGradient Neg = new("Neg", ElementwiseFunctions.NegTensorBackward, ElementwiseFunctions.NegCudaSource, ElementwiseFunctions.NegBackwardReads);
    public static readonly ElementwiseGradient Pow = new("Pow", ElementwiseFunctions.PowTensorBackward, ElementwiseFunctions.PowCudaSource, ElementwiseFunctions.PowBackwardReads);
    public static readonly ElementwiseGradient Square = new("Square", ElementwiseFunctions.SquareTensorBackward, ElementwiseFunctions.SquareCudaSource, ElementwiseFunctions.SquareBackwardReads);
    public static readonly ElementwiseGradient Maximum = new("Maximum", ElementwiseFunctions.MaximumTensorBackward, ElementwiseFunctions.MaximumCudaSource, ElementwiseFunctions.MaximumBackwardReads);
    public static readonly ElementwiseGradient Minimum = new("Minimum", ElementwiseFunctions.MinimumTensorBackward, ElementwiseFunctions.MinimumCudaSource, ElementwiseFunctions.MinimumBackwardReads);
    public static readonly ElementwiseGradient Clamp = new("Clamp", ElementwiseFunctions.ClampTensorBackward, ElementwiseFunctions.ClampCudaSource, ElementwiseFunctions.ClampBackwardReads);
    public static readonly ElementwiseGradient Where = new("Where", ElementwiseFunctions.WhereTensorBackward, ElementwiseFunctions.WhereCudaSource, ElementwiseFunctions.WhereBackwardReads);

    /// <summary>
    /// Records on <paramref name="output"/> the node <c>{name}Backward</c> of an operation computed as
    /// <see cref="Function"/>(<paramref name="operands"/>): <paramref name="inputs"/>[i] is the tensor whose gradient
    /// operand i gives, or null for a constant (a C# scalar, a clamp bound); the operands are in the computation's
    /// dtype and broadcast to the output's shape only when the backward runs. The caller checks that autograd records.
    /// </summary>
    public void Record(string name, Tensor output, Tensor?[] inputs, Tensor[] operands)
    {
        output.WithHistory(new GeneratedBackward(name, this, inputs, operands, output));
    }

    internal static Tensor[] Graph(Tensor?[] inputs)
    {
        int n = 0;
        foreach (var t in inputs)
        {
            n += t is null ? 0 : 1;
        }

        var r = new Tensor[n];
        n = 0;
        foreach (var t in inputs)
        {
            if (t is not null)
            {
                r[n++] = t;
            }
        }

        return r;
    }
}

/// <summary>
/// The graph node of an operation whose derivative is a generated kernel (<see cref="ElementwiseGradient"/>): saves the
/// operands that kernel reads, and at backward broadcasts them to the gradient's shape, runs the kernel (on the CPU or,
/// for device tensors, its CUDA source) and sums each gradient back to its input's shape and dtype.
/// </summary>
internal sealed class GeneratedBackward : GradFn
{
    string name;
    readonly ElementwiseGradient kernel;
    readonly SavedTensor[] operands;
    readonly int[] inputOf;
    readonly int[][] shapes;
    readonly DType[] dtypes;
    readonly DType dtype;

    /// <summary>
    /// Names the node as PyTorch names the operation the caller wrote rather than the kernel that ran: c − x runs
    /// the subtraction's kernel and is PyTorch's <c>RsubBackward</c>.
    /// </summary>
    internal static Tensor Rename(Tensor result, string name)
    {
        if (result.GradFn is GeneratedBackward g) g.name = name;
        return result;
    }

    public GeneratedBackward(string name, ElementwiseGradient kernel, Tensor?[] inputs, Tensor[] operands, Tensor output)
    {
        this.name = name + "Backward";
        this.kernel = kernel;
        var graph = ElementwiseGradient.Graph(inputs);
        SetInputs(graph);
        dtype = output.DType;
        this.operands = new SavedTensor[operands.Length];
        inputOf = new int[operands.Length];
        shapes = new int[graph.Length][];
        dtypes = new DType[graph.Length];
        int k = 0;
        for (int i = 0; i < operands.Length; i++)
        {
            inputOf[i] = inputs[i] is null ? -1 : k++;
            if (inputs[i] is { } t)
            {
                shapes[inputOf[i]] = t.shape;
                dtypes[inputOf[i]] = t.DType;
            }

            if ((kernel.Reads & (1 << i)) != 0)
            {
                this.operands[i] = Save(operands[i].Detach());
            }
        }
    }

    public override string Name => name;

    internal override void Apply(Tensor grad, Span<Tensor?> inputGrads)
    {
        bool device = grad.storage is DeviceStorage;
        int[] shape = grad.shape;
        var g = device
            ? (DeviceData.IsWhole(grad) && grad.DType == dtype ? grad : DeviceData.Copy(grad, dtype))
            : (grad.DType == dtype ? grad.ContiguousData() : grad.ToDTypeData(dtype));
        var xs = new Tensor[operands.Length];
        var grads = new Tensor[operands.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            // An operand the kernel does not read: any tensor of the right shape will do.
            xs[i] = (kernel.Reads & (1 << i)) == 0 ? g : Broadcast(operands[i].Get(this), shape, device, 2 * i);
            bool wanted = inputOf[i] >= 0 && Needs(inputOf[i]);
            grads[i] = device ? Tensor.EmptyOn(g.Device, dtype, shape) : wanted ? Tensor.Empty(dtype, shape) : Scratch(2 * i + 1, shape);
        }

        if (g.numel > 0)
        {
            if (device)
            {
                var buffers = new IDeviceBuffer[(2 * xs.Length) + 1];
                for (int i = 0; i < xs.Length; i++)
                {
                    buffers[i] = xs[i].DeviceBuffer(name);
                    buffers[xs.Length + 1 + i] = grads[i].DeviceBuffer(name);
                }

                buffers[xs.Length] = g.DeviceBuffer(name);
                string suffix = dtype == DType.Float32 ? string.Empty : "_f64";
                ((DeviceStorage)g.storage).Backend.LaunchElementwise(kernel.CudaSource, kernel.Function + "_backward" + suffix, buffers, g.numel);
            }
            else
            {
                using (new KernelScope([.. xs, g, .. grads]))
                {
                    kernel.Backward(xs, g, g, grads);
                }

                GC.KeepAlive(xs);
                GC.KeepAlive(g);
            }
        }

        for (int i = 0; i < grads.Length; i++)
        {
            int k = inputOf[i];
            if (k < 0 || !Needs(k))
            {
                if (!device) EngineGradients.Free(grads[i]);
                continue;
            }

            var gi = ElementwiseOp.SumToShape(grads[i], shapes[k]);
            inputGrads[k] = gi.DType == dtypes[k] ? gi : device ? gi.To(dtypes[k]) : gi.ToDTypeData(dtypes[k]);
            if (!device && inputGrads[k]!.storage != grads[i].storage) EngineGradients.Free(grads[i]);
        }

        if (!device)
        {
            // The broadcast copies of saved operands (a scalar made full size) and a converted gradient: temporaries.
            for (int i = 0; i < xs.Length; i++)
            {
                if (xs[i] != g && !operands[i].Holds(xs[i])) EngineGradients.Free(xs[i]);
            }

            if (g.storage != grad.storage) EngineGradients.Free(g);
        }
    }

    /// <summary>A saved operand as the kernel sees it: of the gradient's shape, contiguous, in the computation's dtype.</summary>
    Tensor Broadcast(Tensor t, int[] shape, bool device, int slot)
    {
        if (device)
        {
            return DeviceData.Operand(t, shape, t.Device, dtype);
        }

        bool sameShape = t.shape.AsSpan().SequenceEqual(shape);
        if (t.DType == dtype && t.IsContiguous && sameShape)
        {
            return t;
        }

        // A scalar (x * 3) or a broadcast row, made full size for the kernel.
        var r = Scratch(slot, shape);
        Tensor.CopyInto(sameShape ? t : t.Expand(shape), r);
        return r;
    }

    // Per-thread buffers for what the kernel needs but nobody keeps (a broadcast scalar, the gradient of a constant or
    // of an input that needs none) below the storage cache's size: otherwise x * 3 would allocate two arrays of x's
    // size per backward. Larger ones come from, and go back to, the storage cache.
    [ThreadStatic] static Array?[]? scratch;

    Tensor Scratch(int slot, int[] shape)
    {
        int n = 1;
        foreach (int d in shape) n *= d;
        if (dtype == DType.Float32 ? StoragePool<float>.Pools(n) : StoragePool<double>.Pools(n))
        {
            return Tensor.Empty(dtype, shape);
        }

        scratch ??= new Array?[8];
        if (slot >= scratch.Length) Array.Resize(ref scratch, slot + 1);
        return dtype == DType.Float32 ? Over<float>(slot, n, shape) : Over<double>(slot, n, shape);
    }

    static Tensor Over<T>(int slot, int n, int[] shape) where T : unmanaged
    {
        if (scratch![slot] is not T[] a || a.Length < n) scratch[slot] = a = new T[Math.Max(n, 16)];
        return new Tensor(new Storage<T>(new Memory<T>(a, 0, n)), shape);
    }

    internal override void ReleaseSaved()
    {
        for (int i = 0; i < operands.Length; i++)
        {
            operands[i].Release();
        }
    }
}
