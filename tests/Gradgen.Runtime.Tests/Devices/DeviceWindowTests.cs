using Gradgen.Nn;
using static Gradgen.Runtime.Tests.Devices.DeviceCheck;

namespace Gradgen.Runtime.Tests.Devices;

/// <summary>
/// Convolution and max pooling on the emulated device (composed of device operations: one IndexSelect reads every
/// window's taps) against the CPU kernels.
/// </summary>
[Collection(DeviceBackendCollection.Name)]
public sealed class DeviceWindowTests : IDisposable
{
    private readonly EmulatedDevice device = new();

    public DeviceWindowTests() => DeviceBackends.Register(device);

    public void Dispose() => DeviceBackends.Register(null);

    [Fact]
    public void TapPositionsReadThePlaneRowMajorAndThePaddingValueOutside()
    {
        // A 2×3 plane, a 2×2 window, stride 1, padding 1: 3×4 outputs. The plane's padding value sits at 2·3 = 6.
        var window = new Window2d(2, 2, 1, 1, 1, 1, 1, 1);
        var taps = DeviceWindows.TapPositions(2, 3, window, 3, 4, tapsFirst: false);
        Assert.Equal(3 * 4 * 4, taps.Length);
        Assert.Equal([6, 6, 6, 0], taps[..4]);      // output (0, 0): only its last tap is inside, at (0, 0)
        Assert.Equal([0, 1, 3, 4], taps[20..24]);   // output (1, 1): the window at rows 0–1, columns 0–1
        Assert.Equal([5, 6, 6, 6], taps[44..48]);   // output (2, 3): only its first tap is inside, at (1, 2)

        // Taps first: tap t of output p at t·cells + p.
        var byTap = DeviceWindows.TapPositions(2, 3, window, 3, 4, tapsFirst: true);
        Assert.Equal(taps[(5 * 4) + 2], byTap[(2 * 12) + 5]);
    }

    [Fact]
    public void MaxPoolingGivesTiesGradientToTheFirstElementOfEachWindowAsTheCpu()
    {
        // A constant image: every window is a tie, the padding (−∞) never wins, and each window's gradient goes to its
        // first element inside the image, as PyTorch's max_pool2d_with_indices.
        SameAsCpu(t => Functional.MaxPool2d(t[0], 3, stride: 2, padding: 1), Tensor.Full([1, 2, 5, 5], 0.25));
    }

    [Fact]
    public void MaxPoolingOfNegativeValuesNeverTakesThePaddingAndANaNWins()
    {
        var x = -Tensor.Ones(1, 1, 3, 3) * 2.0;
        var data = x.ToArray<float>();
        data[4] = float.NaN;
        var image = Tensor.FromArray(data).Reshape(1, 1, 3, 3).To(Device.Cuda());

        var pooled = Functional.MaxPool2d(image, 2, stride: 2, padding: 1).To(Device.Cpu).ToArray<float>();

        // Windows: {x00}, {x01, x02}, {x10, x20}, {x11 = NaN, x12, x21, x22}.
        Assert.Equal([-2f, -2f, -2f, float.NaN], pooled);
    }

    [Fact]
    public void ASmallCnnTrainsOnTheDeviceAsOnTheCpu()
    {
        // Conv2d → BatchNorm2d → ReLU → MaxPool2d → grouped, strided Conv2d → Flatten → Linear, three SGD steps with
        // momentum: the device's parameters follow the CPU's.
        static Module Build() => new Sequential(
            new Conv2d(2, 4, 3, padding: 1),
            new BatchNorm2d(4),
            new ReLU(),
            new MaxPool2d(2),
            new Conv2d(4, 4, 3, stride: 2, padding: 1, groups: 2),
            new Flatten(),
            new Linear(16, 3));
        var x = Random(50, 6, 2, 8, 8);
        var y = Random(51, 6, 3);
        DeviceModuleTests.TrainAndCompare(Build, x, y, new MSELoss(), momentum: 0.9);
    }
}
