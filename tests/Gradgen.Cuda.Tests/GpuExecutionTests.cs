using Gradgen.Cuda.Tests.Fixtures;
using Xunit.Abstractions;

namespace Gradgen.Cuda.Tests;

/// <summary>Runs kernels on a real GPU and compares with the CPU; skips (with the reason) where there is none.</summary>
public sealed class GpuExecutionTests(ITestOutputHelper output)
{
    const string ScalarArguments = """
        extern "C" __global__ void scalars(const float* x, float a, double b, long long c, unsigned int d, float* y, int n)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
            {
                y[i] = x[i] * a + (float)b + (float)c + (float)d;
            }
        }
        """;

    [SkippableFact]
    public void Buffers_round_trip_and_copy_on_the_device()
    {
        Requires.Gpu();
        CudaContext context = Cuda.DefaultContext;
        float[] data = [.. Enumerable.Range(0, 1001).Select(i => i * 0.5f)];

        using DeviceBuffer<float> a = context.Upload<float>(data);
        using DeviceBuffer<float> b = context.Allocate<float>(data.Length);
        b.CopyFrom(a);
        Assert.Equal(data, b.ToArray());

        var part = new float[10];
        b.CopyToHost(part, sourceIndex: 991);
        Assert.Equal(data[991..], part);
        b.CopyFromHost(new float[] { -1, -2 }, destinationIndex: 999);
        Assert.Equal([-1f, -2f], b.ToArray()[999..]);
        b.Clear();
        Assert.All(b.ToArray(), v => Assert.Equal(0f, v));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => b.CopyToHost(new float[3], sourceIndex: 999));
        Assert.Contains("3 elements from index 999 do not fit in a device buffer of 1001 elements", e.Message);
    }

    [SkippableFact]
    public void The_allocator_reuses_freed_device_memory()
    {
        Requires.Gpu();
        CudaContext context = Cuda.DefaultContext;
        ulong first;
        using (DeviceBuffer<double> a = context.Allocate<double>(12_345))
        {
            first = a.DevicePointer;
        }

        long allocations = context.Allocator.DriverAllocations;
        using DeviceBuffer<double> b = context.Allocate<double>(12_000); // same 128 KiB bucket
        Assert.Equal(first, b.DevicePointer);
        Assert.Equal(allocations, context.Allocator.DriverAllocations);
    }

    [SkippableFact]
    public void Scalar_arguments_of_every_size_reach_the_kernel()
    {
        Requires.Gpu();
        CudaContext context = Cuda.DefaultContext;
        CudaKernel kernel = context.LoadModule(ScalarArguments, "scalars.cu").GetKernel("scalars");
        float[] x = [.. Enumerable.Range(0, 1000).Select(i => (float)i)];
        using DeviceBuffer<float> input = context.Upload<float>(x);
        using DeviceBuffer<float> y = context.Allocate<float>(x.Length);

        kernel.Launch(LaunchShape.ForElements(x.Length, context.Device), input, 2.0f, 0.5, 1000L, 7u, y, x.Length);
        context.Synchronize();

        Assert.Equal(x.Select(v => v * 2 + 0.5f + 1000 + 7), y.ToArray());
    }

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(257)]
    [InlineData(100_003)]
    public void Hand_written_abi_kernels_match_the_cpu(int n)
    {
        Requires.Gpu();
        foreach (KernelFixture fixture in HandWrittenKernels.All)
        {
            // A small grid as well, so that every thread loops in the grid-stride loop.
            foreach (LaunchShape? shape in new LaunchShape?[] { null, new LaunchShape(3, 64) })
            {
                IReadOnlyList<AbiCheckResult> results = AbiChecker.Check(Cuda.DefaultContext, fixture, n, seed: n, shape);
                foreach (AbiCheckResult result in results)
                {
                    output.WriteLine(result.ToString());
                }

                Assert.All(results, r => Assert.True(r.Passed, r.ToString()));
            }
        }
    }

    [SkippableFact]
    public void Events_time_device_work()
    {
        Requires.Gpu();
        CudaContext context = Cuda.DefaultContext;
        using DeviceBuffer<float> a = context.Allocate<float>(1 << 22);
        using DeviceBuffer<float> b = context.Allocate<float>(1 << 22);
        using CudaEvent start = CudaEvent.Create(context);
        using CudaEvent end = CudaEvent.Create(context);

        start.Record();
        b.CopyFrom(a);
        end.Record();
        end.Synchronize();

        Assert.True(CudaEvent.ElapsedMilliseconds(start, end) > 0);
    }

    [SkippableFact]
    public void A_missing_kernel_names_itself_and_its_module()
    {
        Requires.Gpu();
        CudaModule module = Cuda.DefaultContext.LoadModule(ScalarArguments, "scalars.cu");

        var e = Assert.Throws<CudaException>(() => module.GetKernel("no_such_kernel"));

        Assert.Equal("no_such_kernel", e.EntryName);
        Assert.Equal("CUDA_ERROR_NOT_FOUND", e.ErrorName);
        Assert.Contains("scalars.cu", e.Message);
    }

    [SkippableFact]
    public void Device_description_names_the_device()
    {
        Requires.Gpu();
        output.WriteLine(Cuda.DeviceDescription);
        CudaDevice device = CudaDevice.Get(0);
        Assert.StartsWith(device.Name, Cuda.DeviceDescription);
        Assert.True(device.ComputeCapability.Major >= 5);
        Assert.True(device.TotalMemoryBytes > 0);
        Assert.Matches("^(sm|compute)_[0-9]+$", Cuda.DefaultContext.TargetArchitecture);
    }
}
