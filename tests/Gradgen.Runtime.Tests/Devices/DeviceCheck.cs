namespace Gradgen.Runtime.Tests.Devices;

/// <summary>Runs one function on the CPU and on the emulated device and compares values and gradients.</summary>
internal static class DeviceCheck
{
    /// <summary>
    /// f on CPU copies and on device copies of <paramref name="inputs"/>: the same values, the result on the device,
    /// and, where the result has a gradient, the same input gradients (on the device) for a random output gradient.
    /// </summary>
    public static void SameAsCpu(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var cpu = new Tensor[inputs.Length];
        var device = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            cpu[i] = inputs[i].Detach().Clone();
            device[i] = inputs[i].Detach().To(Device.Cuda());
            if (inputs[i].DType.IsFloating())
            {
                cpu[i].RequiresGrad = true;
                device[i].RequiresGrad = true;
            }
        }

        var expected = f(cpu);
        var actual = f(device);
        Assert.Equal(Device.Cuda(), actual.Device);
        Assert.Equal(expected.DType, actual.DType);
        Close(expected, actual.To(Device.Cpu));
        if (!expected.RequiresGrad)
        {
            return;
        }

        Assert.True(actual.RequiresGrad);
        var seed = Tensor.Rand(expected.Shape.ToArray()) - 0.5;
        expected.Backward(seed);
        actual.Backward(seed.To(Device.Cuda()));
        for (int i = 0; i < inputs.Length; i++)
        {
            if (cpu[i].Grad is null)
            {
                Assert.Null(device[i].Grad);
                continue;
            }

            Assert.NotNull(device[i].Grad);
            Assert.Equal(Device.Cuda(), device[i].Grad!.Device);
            Close(cpu[i].Grad!, device[i].Grad!.To(Device.Cpu));
        }
    }

    /// <summary>Same shape and dtype, and elements within 1e-5 relative (Float32 sums and products in another order).</summary>
    public static void Close(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.DType, actual.DType);
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i]) || double.IsInfinity(e[i]))
            {
                Assert.True(e[i].Equals(a[i]), $"[{i}] expected {e[i]}, got {a[i]}");
                continue;
            }

            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5 * (1 + Math.Abs(e[i])), $"[{i}] expected {e[i]}, got {a[i]}");
        }
    }

    /// <summary>Random Float32 values in [−2, 2) of <paramref name="shape"/>, reproducible.</summary>
    public static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        int n = 1;
        foreach (int d in shape)
        {
            n *= d;
        }

        var data = new float[n];
        for (int i = 0; i < n; i++)
        {
            data[i] = (float)((rng.NextDouble() * 4) - 2);
        }

        return Tensor.FromArray(data).Reshape(shape);
    }
}
