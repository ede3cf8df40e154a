using System.ComponentModel;
using Gradgen.Kernels;

namespace Gradgen.Nn;

/// <summary>
/// The activation after each linear layer of a compiled model, as the source generator writes it for that model: a
/// struct whose methods switch on the layer's index and call the generated elementwise kernel of that layer's
/// activation (sigmoid, ReLU, tanh, …). <see cref="CompiledModel.RunNarrow{TActivations}"/> is generic over it, so
/// the JIT inlines the activation into the loop that computes the layer. Not meant to be implemented by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ILayerActivations
{
    /// <summary>Whether layer <paramref name="layer"/> (0-based) is followed by an activation.</summary>
    /// <param name="layer">The layer's index in the model.</param>
    /// <returns>False for a layer whose output is used as it is.</returns>
    static abstract bool HasActivation(int layer);

    /// <summary>The activation of layer <paramref name="layer"/> applied to the lanes of <paramref name="z"/>.</summary>
    /// <typeparam name="TVec">The vector type.</typeparam>
    /// <typeparam name="TSimd">The operations on it.</typeparam>
    /// <param name="layer">The layer's index.</param>
    /// <param name="z">The layer's pre-activation outputs.</param>
    /// <returns>The activations.</returns>
    static abstract TVec Apply<TVec, TSimd>(int layer, TVec z)
        where TVec : struct
        where TSimd : ISimd<TVec, float>;

    /// <summary>The activation and its derivative at <paramref name="z"/>, for backward.</summary>
    /// <typeparam name="TVec">The vector type.</typeparam>
    /// <typeparam name="TSimd">The operations on it.</typeparam>
    /// <param name="layer">The layer's index.</param>
    /// <param name="z">The layer's pre-activation outputs.</param>
    /// <param name="derivative">∂activation/∂z at each lane.</param>
    /// <returns>The activations.</returns>
    static abstract TVec ApplyWithDerivative<TVec, TSimd>(int layer, TVec z, out TVec derivative)
        where TVec : struct
        where TSimd : ISimd<TVec, float>;
}
