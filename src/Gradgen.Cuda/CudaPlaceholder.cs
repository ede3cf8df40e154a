namespace Gradgen.Cuda;

/// <summary>Entry point of the CUDA backend (filled in by the CUDA issue).</summary>
public static class Cuda
{
}
