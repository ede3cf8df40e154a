using Gradgen.Nn;
using Gradgen.Optim;
using Gradgen.Runtime.Tests.Devices;
using static Gradgen.Tests.Optim.OptimizerReference;

namespace Gradgen.Tests.Optim;

/// <summary>The same update rules on the emulated device (whole-tensor device operations) end where the float64 reference ends.</summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceOptimizerTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceOptimizerTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    public static TheoryData<string> Kinds => new() { "Sgd", "Adam", "AdamW", "RMSprop", "Adagrad" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Twenty_steps_on_the_device_match_the_reference(string kind)
    {
        const int n = 19, steps = 20;
        double[] expected = kind switch
        {
            "Sgd" => Sgd(n, steps, 0.05, 0.9, 0.1, 0.01, false, false),
            "Adam" => Adam(n, steps, 0.05, 0.9, 0.999, 1e-8, 0.01, true, false, false),
            "AdamW" => Adam(n, steps, 0.05, 0.9, 0.999, 1e-8, 0.1, false, false, true),
            "RMSprop" => RMSprop(n, steps, 0.01, 0.99, 1e-8, 0.01, 0.5, true, false),
            _ => Adagrad(n, steps, 0.1, 0.01, 0.01, 0.1, 1e-10, false),
        };
        var p = new Parameter(Tensor.FromArray(Enumerable.Range(0, n).Select(Start).ToArray()).To(Device.Cuda()));
        Optimizer optimizer = kind switch
        {
            "Sgd" => new Sgd([p], lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
            "Adam" => new Adam([p], lr: 0.05, weightDecay: 0.01, amsgrad: true),
            "AdamW" => new AdamW([p], lr: 0.05, weightDecay: 0.1),
            "RMSprop" => new RMSprop([p], weightDecay: 0.01, momentum: 0.5, centered: true),
            _ => new Adagrad([p], lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1),
        };
        for (int t = 1; t <= steps; t++)
        {
            p.Grad = Tensor.FromArray(Enumerable.Range(0, n).Select(i => Gradient(t, i)).ToArray()).To(Device.Cuda());
            optimizer.Step();
        }

        Assert.Equal(Device.Cuda(), p.Device);
        Assert.Equal(Device.Cuda(), optimizer.StateDict().State[0].Values.First(v => v.Ndim > 0).Device);
        OptimizerAlgorithmTests.Close(expected, p.Detach().To(Device.Cpu).ToArray<double>(), 1e-12, kind + " on the device");
    }
}
