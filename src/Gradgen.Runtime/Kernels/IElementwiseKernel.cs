namespace Gradgen.Kernels;

/// <summary>
/// One fused elementwise loop body, as the generator emits it: reads the inputs of <typeparamref name="TArgs"/> at an
/// index, computes, and writes the outputs there. <see cref="Elementwise.Run{TKernel, TArgs, T}"/> drives it over a
/// whole length with the widest accelerated vectors, a scalar tail, and several cores for large lengths.
/// </summary>
/// <typeparam name="TArgs">A ref struct holding the kernel's input and output spans.</typeparam>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public interface IElementwiseKernel<TArgs, T>
    where TArgs : allows ref struct
    where T : unmanaged
{
    /// <summary>Computes the elements <c>[index, index + TSimd.Count)</c>.</summary>
    static abstract void Invoke<TVec, TSimd>(scoped ref readonly TArgs args, int index)
        where TVec : struct
        where TSimd : ISimd<TVec, T>;
}
