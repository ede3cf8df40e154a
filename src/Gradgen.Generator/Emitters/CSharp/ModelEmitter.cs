using System;
using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Models;

namespace Gradgen.Generator.Emitters.CSharp;

/// <summary>
/// Writes a compiled model: <c>CallCompiled</c> runs each layer as one packed matrix product with the bias added as it
/// is written, then the activation as a generated elementwise kernel, and records one graph node whose backward
/// (written out here, layer by layer in reverse) fuses the activation's derivative into one pass and computes
/// dW = dZᵀ·X, db = Σ dZ and dX = dZ·W with transposed operands read in place.
/// </summary>
internal static class ModelEmitter
{
    private const string Support = "global::Gradgen.Nn.CompiledModel";

    public static string Emit(CompiledModelInfo model)
    {
        string kernelClass = KernelClass("GradgenModel_", model.ContainingTypes);
        var layers = model.Layers;
        var writer = new SourceWriter();
        var (namespaceBlock, typeBlocks) = WriteFileStart(writer, $"{model.MetadataName}.Forward compiled into fused kernels and one autograd node", model.Namespace, model.ContainingTypes);

        string chain = string.Join(" → ", layers.Select(l => l.Field + (l.Activation.Length > 0 ? " → " + l.Activation.ToLowerInvariant() : string.Empty)));
        writer.Line("/// <summary>");
        writer.Line($"/// The compiled <see cref=\"Forward\"/>: input → {chain}. When every layer is at most 16 features wide, the whole");
        writer.Line("/// model is one pass over the rows with the activations inlined; otherwise each layer is one matrix product with its");
        writer.Line($"/// bias added as it is written, then its activation as one fused kernel. Either way the model is one autograd node,");
        writer.Line($"/// <c>{model.Name}Backward</c>. Returns null (so that <c>Call</c> runs <see cref=\"Forward\"/>) unless the input is a");
        writer.Line("/// 2-D Float32 CPU tensor whose width is the first layer's input size, and every layer is Float32 with a bias.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"input\">The model's input, <c>[batch, features]</c>.</param>");
        writer.Line("/// <returns>The model's output, or null.</returns>");
        writer.Line(CSharpEmitter.GeneratedCode);
        using (writer.Block("protected override global::Gradgen.Tensor? CallCompiled(global::Gradgen.Tensor input)"))
        {
            if (model.Guards.Count > 0)
            {
                using (writer.Block("if (!GradgenCanCompile())"))
                {
                    writer.Line("return null;    // a Sequential or nested model field no longer holds what was compiled");
                }

                writer.Line();
            }

            for (int i = 0; i < layers.Count; i++)
            {
                writer.Line($"var layer{i} = {layers[i].Access};");
            }

            string allLayers = string.Join(", ", layers.Select((_, i) => "layer" + i));
            using (writer.Block($"if ({Support}.CanRunOnDevice(input, {allLayers}))"))
            {
                writer.Line("// On an accelerator: each layer one device matrix product with its bias and activation fused, and backward");
                writer.Line("// with each hidden activation's derivative (this class's CUDA constants) fused into the product that reaches it.");
                writer.Line($"return {Support}.RunOnDevice(\"{model.Name}Backward\", input, [{allLayers}],");
                writer.Line("[");
                using (writer.Indent())
                {
                    foreach (var layer in layers)
                    {
                        writer.Line(layer.Activation.Length == 0
                            ? "default,"
                            : $"new(global::Gradgen.Nn.CompiledActivation.{layer.Activation}, \"{model.Name}{layer.Activation}Derivative\", {model.Name}{layer.Activation}DerivativeCudaSource),");
                    }
                }

                writer.Line("]);");
            }

            writer.Line();
            using (writer.Block($"if (!{Support}.CanRun(input, {allLayers}) || {string.Join(" || ", layers.Select((_, i) => $"layer{i}.Bias is null"))})"))
            {
                writer.Line("return null;");
            }

            writer.Line();
            using (writer.Block($"if ({Support}.IsNarrow({allLayers}))"))
            {
                writer.Line("// Every layer is at most 16 features wide: the whole model runs as one pass over the rows, the rows in the");
                writer.Line("// vector lanes and each activation below inlined (LayerActivations), and backward as one more pass.");
                writer.Line($"return {Support}.RunNarrow<{kernelClass}.LayerActivations>(\"{model.Name}Backward\", input, {allLayers});");
            }

            writer.Line();
            writer.Line($"var x0 = {Support}.Prepare(input);");
            for (int i = 0; i < layers.Count; i++)
            {
                var layer = layers[i];
                if (layer.Activation.Length > 0)
                {
                    writer.Line($"// {layer.Field}: x{i + 1} = {layer.Activation.ToLowerInvariant()}(x{i}·Wᵀ + b), the activation applied as each tile of the product is written");
                    writer.Line($"var x{i + 1} = {Support}.Linear<{kernelClass}.{layer.Activation}Epilogue>(x{i}, layer{i});");
                }
                else
                {
                    writer.Line($"// {layer.Field}: x{i + 1} = x{i}·Wᵀ + b");
                    writer.Line($"var x{i + 1} = {Support}.Linear(x{i}, layer{i});");
                }
            }

            writer.Line();
            writer.Line("// The model's input, then each layer's weight and bias: the slots the backward fills.");
            string inputs = string.Join(", ", new[] { "input" }.Concat(layers.SelectMany((_, i) => new[] { $"layer{i}.Weight", $"layer{i}.Bias!" })));
            writer.Line($"return {Support}.Record(\"{model.Name}Backward\", x{layers.Count}, [{inputs}], (gradOutput, grads, needed) =>");
            writer.Line("{");
            WriteBackward(writer, model, kernelClass);
            // The slots the backward reads (the input and each weight, as PyTorch's Linear saves them): checked for in-place changes.
            writer.Line($"}}, {string.Join(", ", new[] { 0 }.Concat(layers.Select((_, i) => 1 + (2 * i))))});");
        }

        WriteNestingSupport(writer, model);

        WriteMemberAccessor(writer, model.RegisteredMembers);
        WriteDiscoverMembers(writer, model.RegisteredMembers, model.BaseIsModule);

        // On a device the activation itself is the epilogue of the runtime's Gemm.cu; what the model brings is the
        // derivative its backward applies, named after the model so that every constant is its own module.
        foreach (var derivative in model.Derivatives)
        {
            var cuda = derivative.Signature with { Name = model.Name + derivative.Signature.Name };
            writer.Line();
            writer.Line("/// <summary>");
            writer.Line($"/// CUDA C of this model's {derivative.Signature.SourceText}. On a device its backward compiles <c>{cuda.Name}_element(y, gradOutput)</c>");
            writer.Line($"/// into the epilogue of the product that carries the gradient into a hidden layer (Gemm.cu's gg_gemm_nn_gradient), and launches");
            writer.Line($"/// <c>{cuda.Name}_forward(y, gradOutput, result, n)</c> for an output layer's activation. Self-contained, for NVRTC.");
            writer.Line("/// </summary>");
            writer.Line(CSharpEmitter.GeneratedCode);
            writer.Line($"public const string {cuda.Name}CudaSource = \"\"\"");
            Cuda.CudaEmitter.Write(writer, cuda, derivative.Kernels, elementFunction: true);
            writer.Line("\"\"\";");
        }

        typeBlocks.Dispose();

        writer.Line();
        writer.Line("/// <summary>The activation kernels of the compiled model, generated from Gradgen's rule table; private to this file.</summary>");
        using (writer.Block("file static class " + kernelClass))
        {
            WriteLayerActivations(writer, layers);
            for (int k = 0; k < model.Activations.Count; k++)
            {
                var activation = model.Activations[k];
                var derivative = model.Derivatives[k];
                string a = activation.Signature.Name;
                writer.Line();
                writer.Line($"/// <summary>{a.ToLowerInvariant()} as the epilogue of a matrix product: applied to each element of a tile as it is written.</summary>");
                using (writer.Block($"public readonly struct {a}Epilogue : global::Gradgen.Kernels.IGemmEpilogue"))
                {
                    WriteEpilogueApply(writer, a, "float", "Scalar");
                    writer.Line();
                    WriteEpilogueApply(writer, a, "global::System.Runtime.Intrinsics.Vector256<float>", "Simd256");
                    writer.Line();
                    WriteEpilogueApply(writer, a, "global::System.Runtime.Intrinsics.Vector512<float>", "Simd512");
                }

                string d = derivative.Signature.Name;

                // A hidden layer's derivative is applied as the next layer's input gradient is written (an epilogue that
                // reads the activation's output); only an activation on the model's output needs a pass of its own.
                bool hidden = layers.Take(layers.Count - 1).Any(l => l.Activation == a);
                bool onOutput = layers[layers.Count - 1].Activation == a;
                if (hidden)
                {
                    writer.Line();
                    writer.Line($"/// <summary>dz = (dy·W)·{a.ToLowerInvariant()}′ from the activation's output y, applied to each element of the input gradient's product as it is written.</summary>");
                    using (writer.Block($"public readonly struct {a}GradientEpilogue : global::Gradgen.Kernels.IGemmEpilogue"))
                    {
                        writer.Line("/// <inheritdoc/>");
                        writer.Line("public static bool ReadsOther => true;");
                        writer.Line();
                        WriteGradientEpilogueApply(writer, d, "float", "Scalar");
                        writer.Line();
                        WriteGradientEpilogueApply(writer, d, "global::System.Runtime.Intrinsics.Vector256<float>", "Simd256");
                        writer.Line();
                        WriteGradientEpilogueApply(writer, d, "global::System.Runtime.Intrinsics.Vector512<float>", "Simd512");
                    }
                }

                if (onOutput)
                {
                    writer.Line();
                    writer.Line($"/// <summary>dz = dy·{a.ToLowerInvariant()}′, elementwise, from the activation's output y (the layer never stored z).</summary>");
                    writer.Line($"public static void {a}Backward(global::Gradgen.Tensor y, global::Gradgen.Tensor dy, global::Gradgen.Tensor dz) =>");
                    using (writer.Indent())
                    {
                        writer.Line($"{Support}.RunKernel(y, dy, dz, static (y, dy, dz) =>");
                        writer.Line("{");
                        using (writer.Indent())
                        {
                            writer.Line($"var spans = new {d}ForwardSpans<float>(y, dy, dz);");
                            writer.Line($"global::Gradgen.Kernels.Elementwise.Run<{d}ForwardKernel<float>, {d}ForwardSpans<float>, float>(in spans, y.Length);");
                        }

                        writer.Line("});");
                    }
                }

                writer.Line();
                CSharpEmitter.WriteForwardAndGradientBodies(writer, activation);
                writer.Line();
                CSharpEmitter.WriteForwardKernel(writer, derivative, withKernel: onOutput);
            }
        }

        namespaceBlock?.Dispose();
        return writer.ToString();
    }

    /// <summary>The file-local class of a model's kernels: the prefix and the containing types' names.</summary>
    internal static string KernelClass(string prefix, IEnumerable<Model.ContainingType> types) =>
        prefix + string.Join("_", types.Select(t => new string(t.NameWithTypeParameters.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray())));

    /// <summary>The header of a model's generated file, then its namespace and the partial declarations of its types, open.</summary>
    internal static (IDisposable? Namespace, IDisposable Types) WriteFileStart(SourceWriter writer, string description, string ns, IEnumerable<Model.ContainingType> types)
    {
        writer.Line("// <auto-generated/>");
        writer.Line("// Generated by Gradgen: " + description + ".");
        writer.Line("#nullable enable");
        writer.Line();
        IDisposable? namespaceBlock = ns.Length > 0 ? writer.Block("namespace " + ns) : null;
        return (namespaceBlock, writer.TypeBlocks(types.Select(t => "partial " + t.Keyword + " " + t.NameWithTypeParameters)));
    }

    /// <summary>Registers the model's layers and parameters in declaration order, without reflection.</summary>
    internal static void WriteDiscoverMembers(SourceWriter writer, IReadOnlyList<string> members, bool baseIsModule)
    {
        writer.Line();
        writer.Line("/// <summary>Registers this model's layers and parameters in declaration order, without reflection.</summary>");
        writer.Line(CSharpEmitter.GeneratedCode);
        using (writer.Block("protected override void DiscoverMembers()"))
        {
            if (!baseIsModule)
            {
                writer.Line("base.DiscoverMembers();");
            }

            foreach (var member in members)
            {
                writer.Line($"RegisterField(\"{member}\", this.{member});");
            }
        }
    }

    /// <summary>
    /// <c>GradgenMember(name)</c>: the value of a module or parameter field by name, for a compiled model that holds this
    /// one as a field and reads its layers (its fields are its own, maybe private).
    /// </summary>
    internal static void WriteMemberAccessor(SourceWriter writer, IReadOnlyList<string> members)
    {
        writer.Line();
        writer.Line("/// <summary>The module or parameter field <paramref name=\"name\"/>, for a compiled model that contains this one.</summary>");
        writer.Line("/// <param name=\"name\">The field's name.</param>");
        writer.Line("/// <returns>Its value.</returns>");
        writer.Line(CSharpEmitter.GeneratedCode);
        writer.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        writer.Line("internal object? GradgenMember(string name) => name switch");
        writer.Line("{");
        using (writer.Indent())
        {
            foreach (var member in members)
            {
                writer.Line($"\"{member}\" => this.{member},");
            }

            writer.Line("_ => throw new global::System.ArgumentOutOfRangeException(nameof(name), name, \"No such member.\"),");
        }

        writer.Line("};");
    }

    // Whether the Sequential and nested-model fields still hold what was compiled (checked at run time, as they could
    // have been changed); a model that holds this one as a field checks it too.
    private static void WriteNestingSupport(SourceWriter writer, CompiledModelInfo model) => WriteCanCompile(writer, model.Guards);

    /// <summary><c>GradgenCanCompile()</c>: the run-time checks of what the class was compiled with, all of which must hold.</summary>
    internal static void WriteCanCompile(SourceWriter writer, IReadOnlyList<string> guards)
    {
        writer.Line();
        writer.Line("/// <summary>Whether the Sequential and nested-model fields still hold the modules this class was compiled with.</summary>");
        writer.Line("/// <returns>False after such a field was changed: <c>Call</c> then runs <see cref=\"Forward\"/>.</returns>");
        writer.Line(CSharpEmitter.GeneratedCode);
        writer.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        writer.Line(guards.Count == 0 ? "internal bool GradgenCanCompile() => true;" : "internal bool GradgenCanCompile() =>");
        using (writer.Indent())
        {
            for (int i = 0; i < guards.Count; i++)
            {
                writer.Line((i == 0 ? string.Empty : "&& ") + guards[i] + (i == guards.Count - 1 ? ";" : string.Empty));
            }
        }
    }

    private static void WriteEpilogueApply(SourceWriter writer, string activation, string vector, string simd)
    {
        writer.Line("/// <inheritdoc/>");
        writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        writer.Line($"public static {vector} Apply({vector} value) => {activation}Forward<float, {vector}, global::Gradgen.Kernels.{simd}<float>>(value);");
    }

    private static void WriteGradientEpilogueApply(SourceWriter writer, string derivative, string vector, string simd)
    {
        writer.Line("/// <inheritdoc/>");
        writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        writer.Line($"public static {vector} Apply({vector} value, {vector} other) => {derivative}Forward<float, {vector}, global::Gradgen.Kernels.{simd}<float>>(other, value);");
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

    private static void WriteBackward(SourceWriter writer, CompiledModelInfo model, string kernelClass)
    {
        var layers = model.Layers;
        using (writer.Indent())
        {
            writer.Line($"var dx{layers.Count} = gradOutput;");
            for (int i = layers.Count - 1; i >= 0; i--)
            {
                var layer = layers[i];
                int weightSlot = 1 + (2 * i);
                writer.Line($"// {layer.Field}" + (layer.Activation.Length == 0 ? ": the matrix product"
                    : i == layers.Count - 1 ? $": through {layer.Activation.ToLowerInvariant()} (its derivative from its output), then the matrix product"
                    : ": the matrix product"));
                if (layer.Activation.Length > 0 && i == layers.Count - 1)
                {
                    writer.Line($"var dz{i + 1} = {Support}.EmptyLike(x{i + 1});");
                    writer.Line($"{kernelClass}.{layer.Activation}Backward(x{i + 1}, dx{i + 1}, dz{i + 1});");
                }
                else if (layer.Activation.Length == 0)
                {
                    writer.Line($"var dz{i + 1} = dx{i + 1};");
                }

                writer.Line($"grads[{weightSlot}] = needed[{weightSlot}] ? {Support}.WeightGradient(dz{i + 1}, x{i}) : null;");
                writer.Line($"grads[{weightSlot + 1}] = needed[{weightSlot + 1}] ? {Support}.BiasGradient(dz{i + 1}) : null;");
                if (i > 0 && layers[i - 1].Activation.Length > 0)
                {
                    // The previous layer's activation derivative is the epilogue of this product: dY·W is never stored.
                    writer.Line($"// into {layers[i - 1].Field}: dz{i} = (dz{i + 1}·W)·{layers[i - 1].Activation.ToLowerInvariant()}′(x{i}), the derivative applied as each tile of the product is written");
                    writer.Line($"var dz{i} = {Support}.InputGradient<{kernelClass}.{layers[i - 1].Activation}GradientEpilogue>(dz{i + 1}, layer{i}, x{i});");
                }
                else if (i > 0)
                {
                    writer.Line($"var dx{i} = {Support}.InputGradient(dz{i + 1}, layer{i});");
                }
                else
                {
                    writer.Line($"grads[0] = needed[0] ? {Support}.InputGradient(dz1, layer0).Reshape(input.Shape.ToArray()) : null;");
                }
            }
        }
    }
}
