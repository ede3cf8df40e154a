using System.Collections.Concurrent;

namespace Gradgen.Optim;

/// <summary>
/// An optimizer's update of a parameter on an accelerator as one kernel launch: the rule is traced
/// (<see cref="UpdateTrace"/>) into CUDA C that reads the gradient and the parameter and state elements once and
/// writes the parameter and the states once, with the step's scalars as arguments. The kernel's source depends only on
/// the rule's structure (its flags: weight decay or not, AMSGrad, maximize, …), so the backend compiles it once per
/// structure and dtype and every later step launches it again.
/// </summary>
internal static class DeviceUpdate
{
    /// <summary>The traces by kernel source: what an emulated device evaluates for a launch of that source.</summary>
    internal static readonly ConcurrentDictionary<string, UpdateTrace> Traces = new(StringComparer.Ordinal);

    /// <summary>The entry of the update kernel for elements of <paramref name="dtype"/>.</summary>
    public static string Entry(DType dtype) => dtype == DType.Float64 ? "gg_update_f64" : "gg_update";

    /// <summary>
    /// Whether the one-kernel update takes these tensors: a whole Float32 or Float64 parameter on an accelerator, its
    /// gradient on the same device, and whole state buffers like the parameter.
    /// </summary>
    public static bool CanRun(Tensor p, Tensor g, Tensor? s0, Tensor? s1, Tensor? s2) =>
        p.DType is DType.Float32 or DType.Float64
        && DeviceData.IsWhole(p) && p.NumElements > 0
        && g.Device == p.Device
        && IsWholeState(s0, p) && IsWholeState(s1, p) && IsWholeState(s2, p);

    /// <summary>Updates <paramref name="p"/> and the state buffers in place (see <see cref="CanRun"/>).</summary>
    public static void Run<TRule>(in TRule rule, Tensor p, Tensor g, Tensor? s0, Tensor? s1, Tensor? s2)
        where TRule : struct, IUpdateRule
    {
        var trace = UpdateTrace.Record(rule);
        Tensor?[] states = [s0, s1, s2];
        for (int k = 0; k < states.Length; k++)
        {
            if (states[k] is null && trace.Uses(UpdateTrace.FirstState + k))
            {
                throw new InvalidOperationException($"{typeof(TRule).Name} uses state buffer {k}, which the optimizer did not create.");
            }
        }

        string entry = Entry(p.DType);
        string source = trace.CudaSource(p.DType == DType.Float64 ? "double" : "float", entry);
        Traces.TryAdd(source, trace);

        // The kernel's pointer arguments: the gradient (in the parameter's dtype), then each buffer the rule uses.
        var buffers = new List<IDeviceBuffer> { DeviceData.Buffer(g.Detach(), p.DType) };
        for (int b = 0; b < UpdateTrace.Buffers; b++)
        {
            if (b != UpdateTrace.Gradient && trace.Uses(b))
            {
                buffers.Add(DeviceData.Storage(b == UpdateTrace.Parameter ? p : states[b - UpdateTrace.FirstState]!));
            }
        }

        double[] scalars = [.. trace.Scalars];
        DeviceData.Backend(p).LaunchElementwise(source, entry, buffers.ToArray(), scalars, p.NumElements);
        p.storage.Version++;
        foreach (var state in states)
        {
            if (state is not null)
            {
                state.storage.Version++;
            }
        }
    }

    private static bool IsWholeState(Tensor? state, Tensor p) =>
        state is null || (state.DType == p.DType && state.Device == p.Device && DeviceData.IsWhole(state) && state.NumElements == p.NumElements);
}
