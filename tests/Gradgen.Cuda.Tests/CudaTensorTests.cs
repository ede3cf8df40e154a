namespace Gradgen.Cuda.Tests;

/// <summary>
/// Tensors on the GPU against the same computation on the CPU: copies, printing, the generated elementwise kernels
/// (user functions and the runtime's own), arithmetic, Sum and autograd through them. Skipped without a GPU.
/// </summary>
public sealed class CudaTensorTests
{
    private static Device Gpu()
    {
        Requires.Gpu();
        Assert.True(Cuda.Register());
        return Device.Cuda();
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"[{i}]: CPU {expected[i]}, GPU {actual[i]}");
        }
    }

    [SkippableFact]
    public void ToTheGpuAndBackKeepsTheValuesAndPrintsTheDevice()
    {
        var gpu = Gpu();
        var data = Tensor.Zeros(10).To(gpu);
        Assert.Equal(gpu, data.Device);
        Assert.Equal("tensor([0., 0., 0., 0., 0., 0., 0., 0., 0., 0.], device='cuda:0')", data.ToString());
        var x = Tensor.Linspace(-3, 3, 1001);
        Assert.Equal(x.ToArray<float>(), x.To(gpu).To(Device.Cpu).ToArray<float>());
    }

    [SkippableFact]
    public void TheGaussianWindowedSineAndItsGradientMatchTheCpu()
    {
        var gpu = Gpu();
        var cpu = Tensor.Linspace(0, 10, 100_003, requiresGrad: true);
        var device = Tensor.Linspace(0, 10, 100_003).To(gpu);
        device.RequiresGrad = true;

        var yCpu = Fixtures.GpuCurves.Bump(cpu);
        var yGpu = Fixtures.GpuCurves.Bump(device);
        Assert.Equal("BumpBackward", yGpu.GradFn!.Name);
        yCpu.Backward(Tensor.OnesLike(yCpu));
        yGpu.Backward(Tensor.OnesLike(yGpu));
        // CUDA's sinf/expf against Gradgen's CPU vector polynomials: a few ulp of terms up to 2π.
        AssertClose(yCpu.ToArray<float>(), yGpu.To(Device.Cpu).ToArray<float>(), 1e-5);
        AssertClose(cpu.Grad!.ToArray<float>(), device.Grad!.To(Device.Cpu).ToArray<float>(), 1e-4);
    }

    [SkippableFact]
    public void EagerOperationsAndSumRunOnTheGpuWithAutograd()
    {
        var gpu = Gpu();
        static Tensor Eager(Tensor x)
        {
            var d = x - 5;
            return ((x * (2 * MathF.PI)).Sin() * (-(d * d) / 3).Exp()).Sum();
        }

        var cpu = Tensor.Linspace(0, 10, 4097, requiresGrad: true);
        var device = Tensor.Linspace(0, 10, 4097).To(gpu);
        device.RequiresGrad = true;
        var sCpu = Eager(cpu);
        var sGpu = Eager(device);
        Assert.Equal("SumBackward", sGpu.GradFn!.Name);
        Assert.Equal(sCpu.Item<float>(), sGpu.To(Device.Cpu).Item<float>(), 2);
        sCpu.Backward();
        sGpu.Backward();
        AssertClose(cpu.Grad!.ToArray<float>(), device.Grad!.To(Device.Cpu).ToArray<float>(), 1e-4);
    }

    [SkippableFact]
    public void MixingDevicesAndUnsupportedOperationsGiveClearErrors()
    {
        var gpu = Gpu();
        var a = Tensor.Ones(3).To(gpu);
        var error = Assert.Throws<InvalidOperationException>(() => a + Tensor.Ones(3));
        Assert.Contains("same device", error.Message, StringComparison.Ordinal);
        var unsupported = Assert.Throws<NotSupportedException>(() => Tensor.ApplyElementwise("CpuOnlyFused", DType.Float32, [a], (_, _) => { }, (_, _, _, _) => { }));
        Assert.Contains("To(Device.Cpu)", unsupported.Message, StringComparison.Ordinal);
    }
}
