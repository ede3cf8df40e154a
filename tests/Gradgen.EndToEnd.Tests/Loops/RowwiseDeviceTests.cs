using Gradgen.Runtime.Tests.Devices;

namespace Gradgen.EndToEnd.Tests.Loops;

/// <summary>
/// The tensor overloads of methods over spans have CPU kernels only so far: on a device (the emulated one here) they
/// refuse with a message that says how to go on, rather than copying silently.
/// </summary>
[Collection(EmulatedDeviceCollection.Name)]
public sealed class RowwiseDeviceTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public RowwiseDeviceTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    [Fact]
    public void ATensorOnADeviceIsRefusedNamingTheMethodAndTheWayBack()
    {
        var x = Tensor.Zeros([3, 4], DType.Float64).To(Device.Cuda());
        var refused = Assert.Throws<NotSupportedException>(() => LoopCorpus.LogSumExp(x));
        Assert.Contains("LogSumExp", refused.Message);
        Assert.Contains("To(Device.Cpu)", refused.Message);
        Assert.Equal(3, LoopCorpus.LogSumExp(x.To(Device.Cpu)).ToArray<double>().Length);
    }

    [Fact]
    public void AMethodWithASpanOutputIsRefusedOnADeviceTheSameWay()
    {
        var x = Tensor.Zeros([3, 4], DType.Float64).To(Device.Cuda());
        var refused = Assert.Throws<NotSupportedException>(() => LoopCorpus.Softmax(x));
        Assert.Contains("Softmax", refused.Message);
        Assert.Contains("To(Device.Cpu)", refused.Message);
    }
}
