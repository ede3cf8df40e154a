using Gradgen.Nn;
using Gradgen.Optim;
using Gradgen.Runtime.Tests.Devices;
using static Gradgen.Tests.Optim.OptimizerReference;

namespace Gradgen.Tests.Optim;

/// <summary>
/// The same update rules on the emulated device end where the float64 reference ends, each step is one kernel launch
/// per parameter traced from the rule, and that kernel is compiled once: the step's scalars are its arguments.
/// </summary>
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
        Assert.Equal(Enumerable.Repeat("gg_update_f64", steps), device.Entries);
    }

    private static readonly string[] ConfigurationNames =
    [
        "Sgd", "Sgd momentum nesterov", "Sgd maximize", "Adam", "Adam amsgrad", "AdamW", "RMSprop", "RMSprop centered momentum", "Adagrad",
    ];

    public static TheoryData<string> Configurations => new(ConfigurationNames);

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Float32_steps_under_a_changing_learning_rate_are_one_launch_each_and_equal_the_cpu_bit_for_bit(string configuration)
    {
        const int steps = 6;
        var cpu = Parameters(Device.Cpu);
        var onDevice = Parameters(Device.Cuda());
        Optimizer cpuOptimizer = Create(configuration, cpu), deviceOptimizer = Create(configuration, onDevice);
        var cpuSchedule = new StepLR(cpuOptimizer, stepSize: 2, gamma: 0.5);
        var deviceSchedule = new StepLR(deviceOptimizer, stepSize: 2, gamma: 0.5);
        for (int t = 1; t <= steps; t++)
        {
            for (int i = 0; i < cpu.Length; i++)
            {
                var g = Tensor.FromArray(Enumerable.Range(0, cpu[i].NumElements).Select(e => (float)Gradient(t, e + (7 * i))).ToArray()).Reshape(cpu[i].Shape.ToArray());
                cpu[i].Grad = g;
                onDevice[i].Grad = g.To(Device.Cuda());
            }

            cpuOptimizer.Step();
            deviceOptimizer.Step();
            cpuSchedule.Step();
            deviceSchedule.Step();
        }

        // The CPU's fused pass and the traced kernel do the same float operations in the same order.
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.Equal(cpu[i].Detach().ToArray<float>(), onDevice[i].Detach().To(Device.Cpu).ToArray<float>());
        }

        Assert.Equal(Enumerable.Repeat("gg_update", steps * cpu.Length), device.Entries);
    }

    [Fact]
    public void The_kernel_source_depends_on_the_rules_flags_not_on_its_scalars()
    {
        string Source(Func<Parameter[], Optimizer> create)
        {
            var p = new Parameter(Tensor.Ones(5).To(Device.Cuda())) { Grad = Tensor.Ones(5).To(Device.Cuda()) };
            create([p]).Step();
            return device.UpdateSources[^1];
        }

        string adam = Source(ps => new Adam(ps, lr: 0.1));
        Assert.Equal(adam, Source(ps => new Adam(ps, lr: 0.0123, beta1: 0.8)));
        Assert.NotEqual(adam, Source(ps => new Adam(ps, lr: 0.1, amsgrad: true)));
        Assert.NotEqual(adam, Source(ps => new Adam(ps, lr: 0.1, weightDecay: 0.01)));
        Assert.DoesNotContain("0.0123", adam, StringComparison.Ordinal);
        Assert.Contains("double c0", adam, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every update kernel the configurations above launch, float and double, compiles with NVRTC for the GPUs the
    /// project targets, without warnings (an unused local would be one). NVRTC needs no GPU; CI installs it.
    /// </summary>
    [SkippableFact]
    public void Every_update_kernel_compiles_with_nvrtc()
    {
        if (Gradgen.Cuda.Nvrtc.UnavailableReason is { } reason)
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), $"CI=true but NVRTC is unavailable ({reason})");
            Skip.If(true, $"NVRTC is unavailable: {reason} (run .ci/install-nvrtc.sh)");
        }

        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            foreach (string configuration in ConfigurationNames)
            {
                var p = new Parameter(Tensor.Ones(3).To(dtype).To(Device.Cuda())) { Grad = Tensor.Ones(3).To(dtype).To(Device.Cuda()) };
                Create(configuration, [p]).Step();
            }
        }

        var sources = device.UpdateSources.Distinct().ToList();
        Assert.Equal(2 * ConfigurationNames.Length, sources.Count);
        foreach (string source in sources)
        {
            foreach (string architecture in new[] { "compute_80", "compute_90" })
            {
                var program = Gradgen.Cuda.Nvrtc.Compile(source, "update.cu", architecture);
                Assert.True(program.Warnings.Count == 0, $"{program.Log}\n--- source ---\n{source}");
                Assert.Contains(source.Contains("double* g", StringComparison.Ordinal) ? "gg_update_f64" : "gg_update", program.EntryNames);
            }
        }
    }

    private static Parameter[] Parameters(Device device) =>
    [
        new(Tensor.FromArray(Enumerable.Range(0, 37).Select(i => (float)Start(i)).ToArray()).Reshape(37).To(device)),
        new(Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (float)Start(i + 3)).ToArray()).Reshape(4, 6).To(device)),
    ];

    private static Optimizer Create(string configuration, Parameter[] parameters) => configuration switch
    {
        "Sgd" => new Sgd(parameters, lr: 0.05, weightDecay: 0.01),
        "Sgd momentum nesterov" => new Sgd(parameters, lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: true),
        "Sgd maximize" => new Sgd(parameters, lr: 0.05, momentum: 0.5, dampening: 0.1, maximize: true),
        "Adam" => new Adam(parameters, lr: 0.05, weightDecay: 0.01),
        "Adam amsgrad" => new Adam(parameters, lr: 0.05, amsgrad: true),
        "AdamW" => new AdamW(parameters, lr: 0.05, weightDecay: 0.1),
        "RMSprop" => new RMSprop(parameters, lr: 0.01),
        "RMSprop centered momentum" => new RMSprop(parameters, lr: 0.01, weightDecay: 0.01, momentum: 0.5, centered: true),
        _ => new Adagrad(parameters, lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1),
    };
}
