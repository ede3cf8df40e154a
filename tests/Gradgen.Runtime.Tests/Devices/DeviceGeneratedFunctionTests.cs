using static Gradgen.Runtime.Tests.Devices.DeviceCheck;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>Functions as users write them, for <see cref="DeviceGeneratedFunctionTests"/>: one in double, one in float.</summary>
public static partial class DeviceUserFunctions
{
    /// <summary>sin a · b + e^(−a²), declared in double.</summary>
    [Differentiable]
    public static double Wave(double a, double b) => (Math.Sin(a) * b) + Math.Exp(-a * a);

    /// <summary>a·|a| / (1 + a²), declared in float.</summary>
    [Differentiable]
    public static float Soft(float a) => a * MathF.Abs(a) / (1 + (a * a));
}

/// <summary>
/// The generated tensor overloads of users' <c>[Differentiable]</c> functions on the emulated device: they compute in
/// Float64 when any input is Float64, else in Float32, whatever the declared type, as on the CPU, launching the kernels
/// of that element type from <c>FCudaSource</c> (the emulated device fails a launch whose entry takes another type).
/// </summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceGeneratedFunctionTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceGeneratedFunctionTests()
    {
        device.Register("Wave", t => DeviceUserFunctions.Wave(t[0], t[1]));
        device.Register("Soft", t => DeviceUserFunctions.Soft(t[0]));
        DeviceBackends.Register(device);
    }

    public void Dispose() => DeviceBackends.Register(null);

    [Theory]
    [InlineData(DType.Float64, DType.Float64, "Wave_forward", "Wave_backward")]
    [InlineData(DType.Float32, DType.Float32, "Wave_forward_f32", "Wave_backward_f32")]
    [InlineData(DType.Float32, DType.Float64, "Wave_forward", "Wave_backward")]
    [InlineData(DType.Int32, DType.Float32, "Wave_forward_f32", "Wave_backward_f32")]
    public void ADoubleFunctionRunsInTheTensorsDType(DType a, DType b, string forward, string backward)
    {
        var x = Random(1, 3, 4).To(a);
        var y = Random(2, 4).To(b);
        SameAsCpu(t => DeviceUserFunctions.Wave(t[0], t[1]), x, y);
        Assert.Contains(forward, device.Entries);
        Assert.Contains(backward, device.Entries);
    }

    [Theory]
    [InlineData(DType.Float32, "Soft_forward", "Soft_backward")]
    [InlineData(DType.Float64, "Soft_forward_f64", "Soft_backward_f64")]
    public void AFloatFunctionRunsInTheTensorsDType(DType dtype, string forward, string backward)
    {
        SameAsCpu(t => DeviceUserFunctions.Soft(t[0]), Random(3, 2, 5).To(dtype));
        Assert.Equal([forward, backward], device.Entries);
    }
}
