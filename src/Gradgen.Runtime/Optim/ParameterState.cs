namespace Gradgen.Optim;

/// <summary>The state an optimizer keeps for one parameter: its step count and up to three buffers shaped like it.</summary>
internal sealed class ParameterState
{
    /// <summary>The number of steps that updated the parameter.</summary>
    public long Step;

    /// <summary>The buffers, by the optimizer's slot (<see cref="Optimizer{TOptions}"/>'s buffer names); null until made.</summary>
    public readonly Tensor?[] Buffers = new Tensor?[3];

    /// <summary>The buffer of <paramref name="slot"/>, made filled with <paramref name="fill"/> like <paramref name="p"/> (contiguous, same dtype and device) the first time.</summary>
    public Tensor Buffer(int slot, Tensor p, double fill) =>
        Buffers[slot] ??= Tensor.Full(p.shape, fill, p.DType, p.Device);
}
