namespace Gradgen;

/// <summary>
/// Elementwise operations on an accelerator that the generated kernels do not cover: arithmetic with a C# scalar
/// (one pass, no filled tensor), Relu, Abs, Pow and Clamp with scalars, Maximum, Minimum, comparisons and Where.
/// Each records its graph node as on the CPU (<c>ReluBackward</c>, …), whose backward runs on the device too.
/// </summary>
internal static class DeviceMap
{
    /// <summary>A new Float32 tensor of <paramref name="shape"/>: <paramref name="op"/> over same-shaped operands.</summary>
    public static Tensor Run(DeviceMapOp op, Tensor[] operands, int[] shape, float alpha = 0, float beta = 0)
    {
        var device = operands[0].Device;
        var output = Tensor.EmptyOn(device, DType.Float32, shape);
        if (output.numel == 0)
        {
            return output;
        }

        var buffers = new IDeviceBuffer[operands.Length];
        for (int i = 0; i < operands.Length; i++)
        {
            buffers[i] = DeviceData.Float32Buffer(operands[i].Detach(), op.ToString());
        }

        DeviceData.Backend(output).Map(op, buffers, ((DeviceStorage)output.storage).Buffer, output.numel, alpha, beta);
        return output;
    }

    /// <summary>
    /// + − * / with a C# scalar on one side (the CPU side's wrapped number): one affine or division pass. The scalar
    /// takes the tensor's Float32 dtype, as PyTorch's wrapped numbers do.
    /// </summary>
    public static Tensor WithScalar(Tensor x, double scalar, string name, bool scalarOnRight)
    {
        DeviceData.RequireFloat32(x.DType.IsFloating() ? x.DType : DTypes.Default, name, x.Device);
        var input = x.DType == DType.Float32 ? x : x.To(DType.Float32);
        float s = (float)scalar;
        var (op, alpha, beta) = (name, scalarOnRight) switch
        {
            ("Add", _) => (DeviceMapOp.Affine, 1f, s),
            ("Sub", true) => (DeviceMapOp.Affine, 1f, -s),
            ("Sub", false) => (DeviceMapOp.Affine, -1f, s),
            ("Mul", _) => (DeviceMapOp.Affine, s, 0f),
            ("Div", true) => (DeviceMapOp.DivideByScalar, s, 0f),
            ("Div", false) => (DeviceMapOp.ScalarDivide, s, 0f),
            _ => throw new NotSupportedException($"{name} with a scalar is not supported on {x.Device}."),
        };
        var y = Run(op, [input], input.shape, alpha, beta);
        if (Autograd.Recording(input))
        {
            y.WithHistory(op switch
            {
                DeviceMapOp.Affine => new LambdaBackward(name + "Backward", input, g => alpha == 1 ? g : Run(DeviceMapOp.Affine, [g], g.shape, alpha, 0)),
                DeviceMapOp.DivideByScalar => new LambdaBackward(name + "Backward", input, g => Run(DeviceMapOp.DivideByScalar, [g], g.shape, s, 0)),
                _ => new LambdaBackward(name + "Backward", input, [input.Detach()], (g, saved) => Run(DeviceMapOp.ScalarDivideBackward, [saved[0], g], g.shape, s, 0)),
            });
        }

        return y;
    }

    /// <summary>The runtime's <see cref="IUnaryOp"/> operations on the device (Neg is a generated kernel).</summary>
    public static Tensor Unary<TOp>(Tensor x, TOp op)
        where TOp : struct, IUnaryOp
    {
        if (op.Name == "Neg")
        {
            return ElementwiseFunctions.Neg(x);
        }

        var input = PromoteUnary(x, op.Name, op.KeepsIntegers);
        var (forward, backward, alpha, beta, savesOutput) = op switch
        {
            ReluOp => (DeviceMapOp.Relu, DeviceMapOp.ReluBackward, 0f, 0f, true),
            AbsOp => (DeviceMapOp.Abs, DeviceMapOp.AbsBackward, 0f, 0f, false),
            PowScalarOp p => (DeviceMapOp.PowScalar, DeviceMapOp.PowScalarBackward, (float)p.P, 0f, false),
            ClampOp c => (DeviceMapOp.Clamp, DeviceMapOp.ClampBackward, (float)c.Min, (float)c.Max, false),
            _ => throw new NotSupportedException($"{op.Name} is not supported on {x.Device} yet; run it on the CPU (To(Device.Cpu))."),
        };
        var y = Run(forward, [input], input.shape, alpha, beta);
        if (Autograd.Recording(input))
        {
            var saved = savesOutput ? y.Detach() : input.Detach();
            y.WithHistory(new LambdaBackward(op.Name + "Backward", input, [saved], (g, s) => Run(backward, [s[0], g], g.shape, alpha, beta)));
        }

        return y;
    }

    static Tensor PromoteUnary(Tensor x, string name, bool keepsIntegers)
    {
        var result = x.DType.IsFloating() || !keepsIntegers ? (x.DType.IsFloating() ? x.DType : DTypes.Default) : x.DType;
        DeviceData.RequireFloat32(result, name, x.Device);
        return x.DType == DType.Float32 ? x : x.To(DType.Float32);
    }

    /// <summary>Maximum and Minimum with broadcasting; NaN propagates and ties split the gradient, as on the CPU.</summary>
    public static Tensor Extremum(Tensor a, Tensor b, bool max)
    {
        string name = max ? "Maximum" : "Minimum";
        var device = Tensor.CommonDevice(name, [a, b]);
        DeviceData.RequireFloat32(DTypes.ResultType(a, b), name, device);
        var shape = ElementwiseOp.BroadcastShapes(a.shape, b.shape, name);
        var ca = DeviceData.Operand(a, shape, device, name);
        var cb = DeviceData.Operand(b, shape, device, name);
        var y = Run(max ? DeviceMapOp.Maximum : DeviceMapOp.Minimum, [ca, cb], shape);
        if (Autograd.Recording(ca, cb))
        {
            var backward = max ? DeviceMapOp.MaximumBackward : DeviceMapOp.MinimumBackward;
            y.WithHistory(new Lambda2Backward(name + "Backward", ca, cb, [ca.Detach(), cb.Detach()], (g, s, na, nb) =>
                (na ? Run(backward, [s[0], s[1], g], g.shape) : null, nb ? Run(backward, [s[1], s[0], g], g.shape) : null)));
        }

        return y;
    }

    /// <summary>A comparison with broadcasting; a Bool result without history.</summary>
    public static Tensor Compare(Tensor a, Tensor b, string name)
    {
        var device = Tensor.CommonDevice(name, [a, b]);
        if (a.DType == DType.Float64 || b.DType == DType.Float64)
        {
            DeviceData.RequireFloat32(DType.Float64, name, device);
        }

        var shape = ElementwiseOp.BroadcastShapes(a.shape, b.shape, name);
        Tensor ca, cb;
        using (Autograd.NoGrad())
        {
            ca = DeviceData.Operand(a.Detach(), shape, device, name);
            cb = DeviceData.Operand(b.Detach(), shape, device, name);
        }

        var op = name switch
        {
            "Eq" => DeviceCompareOp.Eq,
            "Ne" => DeviceCompareOp.Ne,
            "Gt" => DeviceCompareOp.Gt,
            "Lt" => DeviceCompareOp.Lt,
            "Ge" => DeviceCompareOp.Ge,
            _ => DeviceCompareOp.Le,
        };
        var r = Tensor.EmptyOn(device, DType.Bool, shape);
        if (r.numel > 0)
        {
            DeviceData.Backend(r).Compare(op, DeviceData.Float32Buffer(ca, name), DeviceData.Float32Buffer(cb, name), ((DeviceStorage)r.storage).Buffer, r.numel);
        }

        return r;
    }

    /// <summary>torch.where on the device: Float32 values, a Bool condition, broadcasting; recorded as <c>WhereBackward</c>.</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y)
    {
        var device = Tensor.CommonDevice("Where", [condition, x, y]);
        DeviceData.RequireFloat32(DTypes.ResultType(x, y), "Where", device);
        var shape = ElementwiseOp.BroadcastShapes(ElementwiseOp.BroadcastShapes(condition.shape, x.shape, "Where"), y.shape, "Where");
        Tensor c = condition.Detach();
        if (!c.shape.AsSpan().SequenceEqual(shape))
        {
            c = c.Expand(shape);
        }

        var cbuf = DeviceData.Buffer(ref c, "Where");
        var cx = DeviceData.Operand(x, shape, device, "Where");
        var cy = DeviceData.Operand(y, shape, device, "Where");
        var r = Select(cbuf, cx, cy, shape);
        if (Autograd.Recording(cx, cy))
        {
            r.WithHistory(new Lambda2Backward("WhereBackward", cx, cy, [c], (g, s, nx, ny) =>
            {
                var cb = DeviceData.Buffer(ref s[0], "WhereBackward");
                var zero = Tensor.FullOn(g.Device, DType.Float32, g.shape, 0);
                return (nx ? Select(cb, g, zero, g.shape) : null, ny ? Select(cb, zero, g, g.shape) : null);
            }));
        }

        return r;
    }

    static Tensor Select(IDeviceBuffer condition, Tensor x, Tensor y, int[] shape)
    {
        var r = Tensor.EmptyOn(x.Device, DType.Float32, shape);
        if (r.numel > 0)
        {
            DeviceData.Backend(r).Where(condition, DeviceData.Float32Buffer(x, "Where"), DeviceData.Float32Buffer(y, "Where"), ((DeviceStorage)r.storage).Buffer, r.numel);
        }

        return r;
    }
}
