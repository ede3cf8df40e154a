namespace Gradgen;

/// <summary>
/// Elementwise operations on an accelerator that the generated kernels do not cover, in every numeric dtype the CPU
/// gives them: arithmetic with a C# scalar (one pass, no filled tensor), integer + − *, Relu, Abs, Pow and Clamp with
/// scalars, Pow with a tensor exponent, Maximum, Minimum, comparisons and Where. Each records its graph node as on the
/// CPU (<c>PowBackward</c>, …): the generated backward kernel of the matching one-liner (<see cref="ElementwiseGradient"/>).
/// </summary>
internal static class DeviceMap
{
    /// <summary>A new tensor of <paramref name="dtype"/> and <paramref name="shape"/>: <paramref name="op"/> over same-shaped operands (converted to the dtype).</summary>
    public static Tensor Run(DeviceMapOp op, DType dtype, Tensor[] operands, int[] shape, double alpha = 0, double beta = 0)
    {
        var device = operands[0].Device;
        var output = Tensor.EmptyOn(device, dtype, shape);
        if (output.numel == 0)
        {
            return output;
        }

        var buffers = new IDeviceBuffer[operands.Length];
        for (int i = 0; i < operands.Length; i++)
        {
            buffers[i] = DeviceData.Buffer(operands[i].Detach(), dtype);
        }

        DeviceData.Backend(output).Map(op, dtype, buffers, DeviceData.Storage(output), output.numel, alpha, beta);
        return output;
    }

    /// <summary>
    /// + − * / with a C# scalar on one side (the CPU side's wrapped number), in the result's <paramref name="dtype"/>:
    /// one affine or division pass. The scalar takes the tensor's dtype, as PyTorch's wrapped numbers do.
    /// </summary>
    public static Tensor WithScalar(Tensor x, double scalar, string name, bool scalarOnRight, DType dtype)
    {
        var input = x.DType == dtype ? x : x.To(dtype);
        double s = scalar;
        var (op, alpha, beta) = (name, scalarOnRight) switch
        {
            ("Add", _) => (DeviceMapOp.Affine, 1d, s),
            ("Sub", true) => (DeviceMapOp.Affine, 1d, -s),
            ("Sub", false) => (DeviceMapOp.Affine, -1d, s),
            ("Mul", _) => (DeviceMapOp.Affine, s, 0d),
            ("Div", true) => (DeviceMapOp.DivideByScalar, s, 0d),
            ("Div", false) => (DeviceMapOp.ScalarDivide, s, 0d),
            _ => throw new NotSupportedException($"{name} with a scalar has no kernel on {x.Device}."),
        };

        var y = Run(op, dtype, [input], input.shape, alpha, beta);
        if (Autograd.Recording(input))
        {
            // The derivative is the generated kernel of the one-liner, with the scalar as a constant operand.
            var gradient = name switch
            {
                "Add" => ElementwiseGradient.Add,
                "Sub" => ElementwiseGradient.Sub,
                "Mul" => ElementwiseGradient.Mul,
                _ => ElementwiseGradient.Div,
            };
            var constant = Tensor.FullOn(input.Device, dtype, [], s);
            gradient.Record(name, y, scalarOnRight ? [input, null] : [null, input], scalarOnRight ? [input, constant] : [constant, input]);
        }

        return y;
    }

    /// <summary>Integer + − * with broadcasting (integer tensors never require grad, so no node).</summary>
    public static Tensor Binary(Tensor a, Tensor b, string name, DType dtype)
    {
        var device = Tensor.CommonDevice(name, [a, b]);
        var shape = ElementwiseOp.BroadcastShapes(a.shape, b.shape, name);
        var op = name switch
        {
            "Add" => DeviceMapOp.Add,
            "Sub" => DeviceMapOp.Subtract,
            _ => DeviceMapOp.Multiply,
        };
        return Run(op, dtype, [DeviceData.Operand(a.Detach(), shape, device, dtype), DeviceData.Operand(b.Detach(), shape, device, dtype)], shape);
    }

    /// <summary>The runtime's <see cref="IUnaryOp"/> operations on the device (float Neg is a generated kernel).</summary>
    public static Tensor Unary<TOp>(Tensor x, TOp op)
        where TOp : struct, IUnaryOp
    {
        var dtype = ElementwiseOp.ResultType(x.DType, op.KeepsIntegers);
        if (op.Name == "Neg" && dtype.IsFloating())
        {
            return ElementwiseFunctions.Neg(x.DType == dtype ? x : x.To(dtype));
        }

        var input = x.DType == dtype ? x : x.To(dtype);
        var (forward, alpha, beta) = op switch
        {
            NegOp => (DeviceMapOp.Affine, -1d, 0d),
            ReluOp => (DeviceMapOp.Relu, 0d, 0d),
            AbsOp => (DeviceMapOp.Abs, 0d, 0d),
            PowScalarOp p => (DeviceMapOp.PowScalar, p.P, 0d),
            ClampOp c => (DeviceMapOp.Clamp, ClampBound(c.Min, dtype, up: true), ClampBound(c.Max, dtype, up: false)),
            _ => throw new NotSupportedException($"{op.Name} has no kernel on {x.Device}; run it on the CPU (To(Device.Cpu))."),
        };
        var y = Run(forward, dtype, [input], input.shape, alpha, beta);
        if (op.Gradient is { } gradient && Autograd.Recording(input))
        {
            // As on the CPU: the one-liner's generated backward kernel, the scalar arguments as constant operands.
            var constants = op.Constants;
            var inputs = new Tensor?[1 + constants.Length];
            var operands = new Tensor[inputs.Length];
            inputs[0] = input;
            operands[0] = input;
            for (int i = 0; i < constants.Length; i++)
            {
                operands[i + 1] = Tensor.FullOn(input.Device, dtype, [], constants[i]);
            }

            gradient.Record(op.Name, y, inputs, operands);
        }

        return y;
    }

    /// <summary>
    /// A clamp bound in the kernel's dtype: as it is for floats; for integers rounded inward (ClampOp's ceiling of the
    /// minimum, floor of the maximum) and held within the dtype's range, so that infinite bounds convert safely.
    /// </summary>
    static double ClampBound(double bound, DType dtype, bool up)
    {
        if (dtype.IsFloating() || double.IsNaN(bound))
        {
            return bound;
        }

        double rounded = up ? Math.Ceiling(bound) : Math.Floor(bound);
        return dtype == DType.Int32 ? Math.Clamp(rounded, int.MinValue, int.MaxValue) : Math.Clamp(rounded, long.MinValue, Math.BitDecrement((double)long.MaxValue));
    }

    /// <summary>Maximum and Minimum with broadcasting; NaN propagates and ties split the gradient, as on the CPU.</summary>
    public static Tensor Extremum(Tensor a, Tensor b, bool max, DType dtype) => max
        ? BinaryWithGradient("Maximum", a, b, dtype, DeviceMapOp.Maximum, ElementwiseGradient.Maximum)
        : BinaryWithGradient("Minimum", a, b, dtype, DeviceMapOp.Minimum, ElementwiseGradient.Minimum);

    /// <summary>a^b with a tensor exponent and broadcasting (a float result, as on the CPU), recorded as <c>PowBackward</c>.</summary>
    public static Tensor Pow(Tensor a, Tensor b, DType dtype) =>
        BinaryWithGradient("Pow", a, b, dtype, DeviceMapOp.Pow, ElementwiseGradient.Pow);

    /// <summary>
    /// y = <paramref name="forward"/>(a, b) with broadcasting, recorded as <c>{name}Backward</c> whose backward is the
    /// generated kernel <paramref name="gradient"/> (integer results have no history: integer tensors never require grad).
    /// </summary>
    static Tensor BinaryWithGradient(string name, Tensor a, Tensor b, DType dtype, DeviceMapOp forward, ElementwiseGradient gradient)
    {
        var device = Tensor.CommonDevice(name, [a, b]);
        var shape = ElementwiseOp.BroadcastShapes(a.shape, b.shape, name);
        var ca = DeviceData.Operand(a, shape, device, dtype);
        var cb = DeviceData.Operand(b, shape, device, dtype);
        var y = Run(forward, dtype, [ca, cb], shape);
        if (Autograd.Recording(ca, cb))
        {
            gradient.Record(name, y, [ca, cb], [ca, cb]);
        }

        return y;
    }

    /// <summary>A comparison with broadcasting, in the operands' promoted dtype (Bool compares as Int32, as on the CPU); a Bool result without history.</summary>
    public static Tensor Compare(Tensor a, Tensor b, string name)
    {
        var device = Tensor.CommonDevice(name, [a, b]);
        var dtype = DTypes.ResultType(a, b);
        dtype = dtype == DType.Bool ? DType.Int32 : dtype;
        var shape = ElementwiseOp.BroadcastShapes(a.shape, b.shape, name);
        Tensor ca, cb;
        using (Autograd.Pause())
        {
            ca = DeviceData.Operand(a.Detach(), shape, device, dtype);
            cb = DeviceData.Operand(b.Detach(), shape, device, dtype);
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
            DeviceData.Backend(r).Compare(op, dtype, DeviceData.Storage(ca), DeviceData.Storage(cb), DeviceData.Storage(r), r.numel);
        }

        return r;
    }

    /// <summary>torch.where on the device: values of the promoted dtype (any), a Bool condition, broadcasting; recorded as <c>WhereBackward</c>.</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y)
    {
        var device = Tensor.CommonDevice("Where", [condition, x, y]);
        var dtype = DTypes.ResultType(x, y);
        var shape = ElementwiseOp.BroadcastShapes(ElementwiseOp.BroadcastShapes(condition.shape, x.shape, "Where"), y.shape, "Where");
        var c = DeviceData.Operand(condition.Detach(), shape, device, DType.Bool);
        var cx = DeviceData.Operand(x, shape, device, dtype);
        var cy = DeviceData.Operand(y, shape, device, dtype);
        var r = Select(c, cx, cy);
        if (Autograd.Recording(cx, cy))
        {
            // The generated backward of ElementwiseFunctions.Where, as on the CPU: it reads the condition as 1 or 0.
            ElementwiseGradient.Where.Record("Where", r, [null, cx, cy], [DeviceData.Operand(condition.Detach(), shape, device, dtype), cx, cy]);
        }

        return r;
    }

    /// <summary>condition ? x : y over whole tensors of one shape; the result has x's dtype.</summary>
    static Tensor Select(Tensor condition, Tensor x, Tensor y)
    {
        var r = Tensor.EmptyOn(x.Device, x.DType, x.shape);
        if (r.numel > 0)
        {
            DeviceData.Backend(r).Where(x.DType, DeviceData.Storage(condition), DeviceData.Storage(x), DeviceData.Storage(y), DeviceData.Storage(r), r.numel);
        }

        return r;
    }
}
