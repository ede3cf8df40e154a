namespace Gradgen.Kernels;

/// <summary>Drives generated elementwise kernels over whole spans.</summary>
public static class Elementwise
{
    /// <summary>Runs <typeparamref name="TKernel"/> over <c>[0, length)</c>.</summary>
    public static void Run<TKernel, TArgs, T>(scoped ref readonly TArgs args, int length)
        where TKernel : IElementwiseKernel<TArgs, T>
        where TArgs : allows ref struct
        where T : unmanaged
    {
        throw new NotImplementedException();
    }
}
