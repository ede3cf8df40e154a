using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Models;

namespace Gradgen.Generator.Emitters.CSharp;

/// <summary>
/// Writes the strategy a chain of Linear layers and activations (<see cref="LinearChain"/>) tries before its general
/// plan: when every layer is at most 16 features wide, one pass over the rows with the rows in the vector lanes
/// (<c>CompiledModel.RunNarrow</c>). Wider layers, and any device, run the general plan, which makes the same fusions
/// (each activation in its product's epilogue, its derivative in the gradient product's).
/// </summary>
internal static class LinearChainEmitter
{
    private const string Support = "global::Gradgen.Nn.CompiledModel";

    /// <summary>The narrow strategy, in <c>CallCompiled</c>: returns the model's output when it applies.</summary>
    public static void WriteNarrowStrategy(SourceWriter writer, GraphModelInfo model, LinearChain chain, string kernelClass)
    {
        var layers = chain.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            writer.Line($"var layer{i} = {layers[i].Access};");
        }

        string allLayers = string.Join(", ", layers.Select((_, i) => "layer" + i));
        using (writer.Block($"if ({Support}.IsNarrow({allLayers}) && {Support}.CanRun(input, {allLayers}))"))
        {
            writer.Line("// Every layer is at most 16 features wide: the whole model runs as one pass over the rows, the rows in the");
            writer.Line("// vector lanes and each activation below inlined (LayerActivations), and backward as one more pass.");
            writer.Line($"return {Support}.RunNarrow<{kernelClass}.LayerActivations>(\"{model.Name}Backward\", input, {allLayers});");
        }

        writer.Line();
    }

    /// <summary>The narrow strategy's kernels: a file-local class with each layer's activation by index, and the activations' bodies.</summary>
    public static void WriteKernels(SourceWriter writer, LinearChain chain, string kernelClass)
    {
        writer.Line();
        writer.Line("/// <summary>The activations of the narrow strategy, generated from Gradgen's rule table; private to this file.</summary>");
        using (writer.Block("file static class " + kernelClass))
        {
            WriteLayerActivations(writer, chain.Layers);
            foreach (var activation in chain.Activations)
            {
                writer.Line();
                CSharpEmitter.WriteForwardAndGradientBodies(writer, activation);
            }
        }
    }

    // The narrow path's view of the activations: the layer's index selects the generated kernel, a constant in the
    // loop that the JIT's branch predictor and inliner both see through.
    private static void WriteLayerActivations(SourceWriter writer, IReadOnlyList<ModelLayer> layers)
    {
        const string Constraints = "where TVec : struct where TSimd : global::Gradgen.Kernels.ISimd<TVec, float>";
        var activated = layers.Select((layer, i) => (layer.Activation, Index: i)).Where(l => l.Activation.Length > 0).ToList();
        writer.Line("/// <summary>Each layer's activation, by the layer's index, for <c>CompiledModel.RunNarrow</c>.</summary>");
        using (writer.Block("public readonly struct LayerActivations : global::Gradgen.Nn.ILayerActivations"))
        {
            string test = activated.Count == 0 ? "false" : "layer is " + string.Join(" or ", activated.Select(a => a.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            writer.Line("/// <inheritdoc/>");
            writer.Line($"public static bool HasActivation(int layer) => {test};");
            writer.Line();
            WriteActivationSwitch(writer, $"public static TVec Apply<TVec, TSimd>(int layer, TVec z) {Constraints}", activated.Select(a => $"case {a.Index}: return {a.Activation}Forward<float, TVec, TSimd>(z);"), "default: return z;");
            writer.Line();
            WriteActivationSwitch(writer, $"public static TVec ApplyWithDerivative<TVec, TSimd>(int layer, TVec z, out TVec derivative) {Constraints}", activated.Select(a => $"case {a.Index}: return {a.Activation}ValueAndGradient<float, TVec, TSimd>(z, out derivative);"), "default: derivative = TSimd.Constant(1.0); return z;");
        }
    }

    private static void WriteActivationSwitch(SourceWriter writer, string signature, IEnumerable<string> cases, string defaultCase)
    {
        writer.Line("/// <inheritdoc/>");
        writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        using (writer.Block(signature))
        using (writer.Block("switch (layer)"))
        {
            foreach (string line in cases)
            {
                writer.Line(line);
            }

            writer.Line(defaultCase);
        }
    }
}
