using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;
using Gradgen.Generator.Models;
using Gradgen.Generator.Planning;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Emitters.CSharp;

/// <summary>
/// Writes a model compiled through the tensor graph: <c>CallCompiled</c> runs the planned forward steps (a matrix
/// product per layer, one fused loop per elementwise chain, reductions and views) on detached tensors and records one
/// graph node whose backward runs the planned backward steps. Every elementwise kernel is a struct in a file-local
/// class, its body printed from the rule table node by node with the source of each step as a comment.
/// </summary>
internal static class GraphModelEmitter
{
    private const string Runtime = GraphStepWriter.Runtime;

    public static string Emit(GraphModelInfo model)
    {
        string kernelClass = ModelFileWriter.KernelClass("GradgenGraph_", model.ContainingTypes);
        var kernels = new List<IrGraph>();
        var plans = model.Graphs.Select(g => GraphPlanner.Plan(g, kernels, fuseProducts: true)).ToList();
        var chain = model.Chain;
        string chainKernelClass = ModelFileWriter.KernelClass("GradgenChain_", model.ContainingTypes);

        var writer = new SourceWriter();
        var (namespaceBlock, typeBlocks) = ModelFileWriter.WriteFileStart(writer, $"{model.MetadataName}.Forward compiled as a tensor graph into fused kernels and one autograd node", model.Namespace, model.ContainingTypes);

        writer.Line("/// <summary>");
        writer.Line("/// The compiled <see cref=\"Forward\"/>: its tensor graph differentiated once by Gradgen's rule table, each elementwise chain");
        writer.Line($"/// one fused loop, recorded as one autograd node, <c>{model.Name}Backward</c>. Returns null (so that <c>Call</c> runs");
        writer.Line(model.RowWise
            ? "/// <see cref=\"Forward\"/>) unless the input is a Float32 or Float64 tensor of rank 2 or more (leading dims are rows)"
            : $"/// <see cref=\"Forward\"/>) unless the input is a Float32 or Float64 tensor of rank {string.Join(" or ", model.Graphs.Select(g => g.InputRank))}");
        writer.Line("/// and every parameter is present, on the input's device (CPU or GPU), of the input's dtype.");
        if (chain is not null)
        {
            writer.Line("/// As a chain of Linear layers and activations it first tries two strategies: on an accelerator, the device's matrix");
            writer.Line("/// products with each activation and its derivative fused; when every layer is at most 16 features wide, one pass");
            writer.Line("/// over the rows with the rows in the vector lanes.");
        }

        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"input\">The model's input.</param>");
        writer.Line("/// <returns>The model's output, or null.</returns>");
        writer.Line(CSharpEmitter.GeneratedCode);
        using (writer.Block("protected override global::Gradgen.Tensor? CallCompiled(global::Gradgen.Tensor input)"))
        {
            if (model.Guards.Count > 0)
            {
                using (writer.Block("if (!GradgenCanCompile())"))
                {
                    writer.Line("return null;    // a Sequential, nested model or layer no longer holds what was compiled");
                }

                writer.Line();
            }

            if (chain is not null)
            {
                LinearChainEmitter.WriteNarrowStrategy(writer, model, chain, chainKernelClass);
            }

            if (model.RowWise)
            {
                writer.Line("return GradgenCallRank2(input);");
            }
            else
            {
                writer.Line("return input?.Ndim switch");
                writer.Line("{");
                using (writer.Indent())
                {
                    foreach (var graph in model.Graphs)
                    {
                        writer.Line($"{graph.InputRank} => GradgenCallRank{graph.InputRank}(input),");
                    }

                    writer.Line("_ => null,");
                }

                writer.Line("};");
            }
        }

        foreach (var plan in plans)
        {
            writer.Line();
            WriteCall(writer, model, plan, kernelClass);
        }

        WriteMembers(writer, model);

        // The same kernels in CUDA C, from the same plan: what the graph launches on a device.
        GraphStepWriter.WriteKernels(writer, typeBlocks, model.Name, model.Name + "GraphCudaSource", kernelClass, kernels,
            "CUDA C of this model's elementwise kernels, the same bodies as the C# kernels below; self-contained, for NVRTC.",
            "The fused elementwise kernels of the compiled graph, generated from Gradgen's rule table; private to this file.",
            plans.SelectMany(plan => plan.Forward.Concat(plan.Backward).Where(step => step.Product >= 0)
                .Select(step => new ProductEpilogue(step.Kernel, step.ProductInput(plan.Graph), plan.Graph.Nodes[step.Product].Op != TensorOp.Conv2d))).ToList());
        if (chain is not null)
        {
            LinearChainEmitter.WriteKernels(writer, chain, chainKernelClass);
        }

        namespaceBlock?.Dispose();
        return writer.ToString();
    }

    private static void WriteCall(SourceWriter writer, GraphModelInfo model, GraphPlan plan, string kernelClass)
    {
        var graph = plan.Graph;
        var nodes = graph.Nodes;
        int rank = graph.InputRank;
        var slotParameters = graph.Slots.Skip(1).Select(id => nodes[id].Text).ToList();
        var steps = new GraphStepWriter(graph, kernelClass, model.Name, model.Name + "GraphCudaSource", model.RowWise, broadcastsAsViews: false, Name);
        writer.Line($"/// <summary>The compiled graph for an input of rank {(model.RowWise ? "2 or more, its leading dims flattened into rows" : rank.ToString(CultureInfo.InvariantCulture))}.</summary>");
        writer.Line(CSharpEmitter.GeneratedCode);
        using (writer.Block($"private global::Gradgen.Tensor? GradgenCallRank{rank}(global::Gradgen.Tensor input)"))
        {
            for (int s = 0; s < slotParameters.Count; s++)
            {
                writer.Line($"var parameter{s + 1} = {slotParameters[s]};");
            }

            string parameters = string.Join(string.Empty, slotParameters.Select((_, s) => $", parameter{s + 1}"));
            using (writer.Block($"if (!{Runtime}.CanRun(input, {rank}, {Bool(model.RowWise)}{parameters}))"))
            {
                writer.Line("return null;");
            }

            writer.Line();
            writer.Line("// Forward");
            foreach (var step in plan.Forward)
            {
                steps.WriteStep(writer, step);
            }

            // What the forward allocated that neither the output nor the backward reads goes back to the storage cache
            // now, not when the node is released: the node keeps only what its backward needs.
            var readByBackward = plan.Backward.SelectMany(step => step.Computed).SelectMany(n => nodes[n].Inputs.Append(nodes[n].ShapeOf)).Where(n => n >= 0);
            var forwardTemporaries = Temporaries(graph, plan.Forward, new[] { graph.Output }.Concat(readByBackward));
            var keptForBackward = Temporaries(graph, plan.Forward, new[] { graph.Output }).Except(forwardTemporaries).ToList();
            if (forwardTemporaries.Count > 0)
            {
                writer.Line();
                writer.Line("// Not read by the backward: back to the storage cache now.");
                writer.Line($"{Runtime}.Free({string.Join(", ", forwardTemporaries.Select(Name))});");
            }

            string output = Name(graph.Output);
            if (model.RowWise)
            {
                output = $"{Runtime}.UnflattenRows({output}, input)";
            }

            writer.Line();
            writer.Line("// One node for the whole model: the input, then each parameter (the slots the backward fills).");
            string slotTensors = string.Join(string.Empty, slotParameters.Select((_, s) => $", parameter{s + 1}!"));
            writer.Line($"return {Runtime}.Record(\"{model.Name}Backward\", {output}, [input{slotTensors}], (gradOutput, grads, needed) =>");
            writer.Line("{");
            using (writer.Indent())
            {
                foreach (var step in plan.Backward)
                {
                    steps.WriteStep(writer, step);
                }

                writer.Line();
                for (int s = 0; s < graph.Slots.Count; s++)
                {
                    int gradient = graph.Gradients[s];
                    if (gradient < 0)
                    {
                        writer.Line($"grads[{s}] = null;    // {nodes[graph.Slots[s]].Label} does not reach the output");
                        continue;
                    }

                    // A gradient that is (a view of) the incoming gradient, a forward value or another slot's gradient is copied.
                    int storage = StorageOf(graph, gradient);
                    bool shared = storage == graph.GradOutput || plan.Forward.Any(f => f.Nodes.Contains(storage))
                        || graph.Gradients.Where((g, other) => other != s && g >= 0 && StorageOf(graph, g) == storage).Any();
                    string value = $"{Runtime}.Own({Name(gradient)}, {Bool(shared)})";
                    if (s == 0 && model.RowWise)
                    {
                        value = $"{Runtime}.ReshapeAs({value}, input)";
                    }

                    writer.Line($"grads[{s}] = needed[{s}] ? {value} : null;    // ∂/∂{nodes[graph.Slots[s]].Label}");
                }

                var temporaries = Temporaries(graph, plan.Backward, graph.Gradients.Where(g => g >= 0));
                if (temporaries.Count > 0)
                {
                    writer.Line();
                    writer.Line("// Done: what the backward allocated and returned to no one goes back to the storage cache now.");
                    writer.Line($"{Runtime}.Free({string.Join(", ", temporaries.Select(Name))});");
                }
            }

            // The slots whose values the backward reads (not only their shapes): changing one in place before backward is an error.
            var read = graph.Slots.Select((node, slot) => (node, slot))
                .Where(s => plan.Backward.Any(step => step.Computed.Any(n => nodes[n].ValuesRead.Contains(s.node))))
                .Select(s => s.slot.ToString(CultureInfo.InvariantCulture)).ToList();
            writer.Line($"}}, [{string.Join(", ", keptForBackward.Select(Name))}]{string.Join(string.Empty, read.Select(r => ", " + r))});");
        }
    }

    /// <summary>
    /// The tensors of <paramref name="steps"/> that nothing returned shares storage with: those of the steps that
    /// allocate (a kernel, a product, a reduction, a pad, a cat, a mask), minus what is returned
    /// (<paramref name="returned"/>: the output, the gradients) and what it may be a view of.
    /// </summary>
    private static List<int> Temporaries(TensorGraph graph, IEnumerable<PlannedStep> steps, IEnumerable<int> returned)
    {
        var nodes = graph.Nodes;
        var kept = new HashSet<int>();
        var stack = new Stack<int>(returned);
        while (stack.Count > 0)
        {
            int id = stack.Pop();
            if (!kept.Add(id))
            {
                continue;
            }

            if (IsView(nodes[id].Op))
            {
                stack.Push(nodes[id].Inputs[0]);
            }
        }

        return steps.SelectMany(step => step.Nodes)
            .Where(id => !kept.Contains(id) && GraphStepWriter.Allocates(nodes[id].Op))
            .ToList();
    }

    /// <summary>The value whose storage <paramref name="id"/> may share: itself, or what its chain of views starts from.</summary>
    private static int StorageOf(TensorGraph graph, int id)
    {
        while (IsView(graph.Nodes[id].Op))
        {
            id = graph.Nodes[id].Inputs[0];
        }

        return id;
    }

    /// <summary>A view, or an operation that may return its input as it is: it shares its input's storage.</summary>
    private static bool IsView(TensorOp op) =>
        op is TensorOp.Reshape or TensorOp.ReshapeAs or TensorOp.Expand or TensorOp.Permute or TensorOp.Transpose or TensorOp.Narrow or TensorOp.CatPiece or TensorOp.SumToShapeOf;

    // Registration, the run-time check of what was compiled, and the accessor a model that nests this one reads through.
    private static void WriteMembers(SourceWriter writer, GraphModelInfo model)
    {
        ModelFileWriter.WriteCanCompile(writer, model.Guards);
        ModelFileWriter.WriteMemberAccessor(writer, model.RegisteredMembers);
        ModelFileWriter.WriteDiscoverMembers(writer, model.RegisteredMembers, model.BaseIsModule);
    }

    private static string Name(int id) => GraphStepWriter.DefaultName(id);

    private static string Bool(bool value) => GraphStepWriter.Bool(value);
}
