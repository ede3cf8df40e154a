namespace Gradgen;

/// <summary>
/// The binary <see cref="IBinaryOp"/> operations on an accelerator, with the CPU's dtype rules: float + − * / run the
/// generated kernels of the runtime's arithmetic one-liners (Float32 or Float64, with broadcasting, see
/// <see cref="DeviceElementwise"/>) or, with a C# scalar, one affine pass; integer + − * and Maximum, Minimum and Pow
/// run the map kernel in the result's dtype. Integer division gives a float result, as on the CPU and in PyTorch.
/// </summary>
internal static class DeviceBinary
{
    /// <summary>The operation <paramref name="name"/> of <see cref="IBinaryOp"/>, whose <see cref="IBinaryOp.KeepsIntegers"/> is <paramref name="keepsIntegers"/>.</summary>
    public static Tensor Run(Tensor a, Tensor b, string name, bool keepsIntegers)
    {
        var device = Tensor.CommonDevice(name, [a, b]);
        var dtype = ElementwiseOp.ResultType(DTypes.ResultType(a, b), keepsIntegers);
        bool arithmetic = name is "Add" or "Sub" or "Mul" or "Div";
        if (arithmetic && b.isWrappedNumber && !DeviceData.OnDevice(b))
        {
            return DeviceMap.WithScalar(a, b.GetAsDouble(0), name, scalarOnRight: true, dtype);
        }

        if (arithmetic && a.isWrappedNumber && !DeviceData.OnDevice(a))
        {
            return DeviceMap.WithScalar(b, a.GetAsDouble(0), name, scalarOnRight: false, dtype);
        }

        if (!dtype.IsFloating() && name is "Add" or "Sub" or "Mul")
        {
            return DeviceMap.Binary(a, b, name, dtype);
        }

        return name switch
        {
            "Add" => ElementwiseFunctions.Add(Float(a, dtype), Float(b, dtype)),
            "Sub" => ElementwiseFunctions.Sub(Float(a, dtype), Float(b, dtype)),
            "Mul" => ElementwiseFunctions.Mul(Float(a, dtype), Float(b, dtype)),
            "Div" => ElementwiseFunctions.Div(Float(a, dtype), Float(b, dtype)),
            "Maximum" => DeviceMap.Extremum(a, b, max: true, dtype),
            "Minimum" => DeviceMap.Extremum(a, b, max: false, dtype),
            "Pow" => DeviceMap.Pow(a, b, dtype),
            _ => throw new NotSupportedException($"{name} between tensors has no kernel on {device}; run it on the CPU (To(Device.Cpu))."),
        };
    }

    /// <summary>
    /// An operand of the generated float kernels in the result's dtype: they compute in Float64 when any input is, so
    /// an integer operand next to a Float64 one is converted here (recorded) rather than to Float32 there.
    /// </summary>
    static Tensor Float(Tensor t, DType dtype) => t.DType.IsFloating() ? t : t.To(dtype);
}
