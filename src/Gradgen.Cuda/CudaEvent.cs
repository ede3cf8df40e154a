using Gradgen.Cuda.Native;

namespace Gradgen.Cuda;

/// <summary>A CUDA event, for timing work on the device (<c>cuEventRecord</c>, <c>cuEventElapsedTime</c>).</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    readonly CudaContext context;
    IntPtr handle;

    CudaEvent(CudaContext context, IntPtr handle)
    {
        this.context = context;
        this.handle = handle;
    }

    /// <summary>Creates an event in <paramref name="context"/> (default flags: it records timing).</summary>
    /// <param name="context">The context.</param>
    /// <returns>The event.</returns>
    public static CudaEvent Create(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.MakeCurrent();
        IntPtr handle = IntPtr.Zero;
        CudaException.Check(CudaDriverNative.cuEventCreate(&handle, 0), "cuEventCreate");
        return new CudaEvent(context, handle);
    }

    /// <summary>Records the event on the default stream: it completes when the work launched before it has.</summary>
    public void Record()
    {
        context.MakeCurrent();
        CudaException.Check(CudaDriverNative.cuEventRecord(Live(), IntPtr.Zero), "cuEventRecord");
    }

    /// <summary>Waits until the event has completed.</summary>
    public void Synchronize()
    {
        context.MakeCurrent();
        CudaException.Check(CudaDriverNative.cuEventSynchronize(Live()), "cuEventSynchronize");
    }

    /// <summary>The milliseconds between two recorded, completed events (resolution about 0.5 µs).</summary>
    /// <param name="start">The earlier event.</param>
    /// <param name="end">The later event.</param>
    /// <returns>The elapsed time in milliseconds.</returns>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        start.context.MakeCurrent();
        float milliseconds = 0;
        CudaException.Check(CudaDriverNative.cuEventElapsedTime(&milliseconds, start.Live(), end.Live()), "cuEventElapsedTime");
        return milliseconds;
    }

    /// <summary>Destroys the event.</summary>
    public void Dispose()
    {
        if (handle == IntPtr.Zero)
        {
            return;
        }

        context.MakeCurrent();
        CudaDriverNative.cuEventDestroy_v2(handle);
        handle = IntPtr.Zero;
    }

    IntPtr Live()
    {
        ObjectDisposedException.ThrowIf(handle == IntPtr.Zero, this);
        return handle;
    }
}
