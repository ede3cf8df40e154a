namespace Gradgen;

/// <summary>
/// The binary <see cref="IBinaryOp"/> operations on an accelerator: + − * / run the generated kernels of the runtime's
/// arithmetic one-liners (with broadcasting, see <see cref="DeviceElementwise"/>) or, with a C# scalar, one affine
/// pass; Maximum and Minimum run the map kernel. Integer and Float64 results have no device kernel and say so.
/// </summary>
internal static class DeviceBinary
{
    public static Tensor Run(Tensor a, Tensor b, string name)
    {
        var device = Tensor.CommonDevice(name, [a, b]);
        DeviceData.RequireFloat32(DTypes.ResultType(a, b), name, device);
        bool arithmetic = name is "Add" or "Sub" or "Mul" or "Div";
        if (arithmetic && b.isWrappedNumber && !DeviceData.OnDevice(b))
        {
            return DeviceMap.WithScalar(a, b.GetAsDouble(0), name, scalarOnRight: true);
        }

        if (arithmetic && a.isWrappedNumber && !DeviceData.OnDevice(a))
        {
            return DeviceMap.WithScalar(b, a.GetAsDouble(0), name, scalarOnRight: false);
        }

        return name switch
        {
            "Add" => ElementwiseFunctions.Add(a, b),
            "Sub" => ElementwiseFunctions.Sub(a, b),
            "Mul" => ElementwiseFunctions.Mul(a, b),
            "Div" => ElementwiseFunctions.Div(a, b),
            "Maximum" => DeviceMap.Extremum(a, b, max: true),
            "Minimum" => DeviceMap.Extremum(a, b, max: false),
            _ => throw new NotSupportedException($"{name} between tensors is not supported on {device} yet; run it on the CPU (To(Device.Cpu))."),
        };
    }
}
