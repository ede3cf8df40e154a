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
    private const string Runtime = "global::Gradgen.Nn.CompiledGraph";
    private const string TensorType = "global::Gradgen.Tensor";

    public static string Emit(GraphModelInfo model)
    {
        string kernelClass = ModelEmitter.KernelClass("GradgenGraph_", model.ContainingTypes);
        var kernels = new List<IrGraph>();
        var plans = model.Graphs.Select(g => GraphPlanner.Plan(g, kernels)).ToList();

        var writer = new SourceWriter();
        var (namespaceBlock, typeBlocks) = ModelEmitter.WriteFileStart(writer, $"{model.MetadataName}.Forward compiled as a tensor graph into fused kernels and one autograd node", model.Namespace, model.ContainingTypes);

        writer.Line("/// <summary>");
        writer.Line("/// The compiled <see cref=\"Forward\"/>: its tensor graph differentiated once by Gradgen's rule table, each elementwise chain");
        writer.Line($"/// one fused loop, recorded as one autograd node, <c>{model.Name}Backward</c>. Returns null (so that <c>Call</c> runs");
        writer.Line(model.RowWise
            ? "/// <see cref=\"Forward\"/>) unless the input is a Float32 or Float64 tensor of rank 2 or more (leading dims are rows)"
            : $"/// <see cref=\"Forward\"/>) unless the input is a Float32 or Float64 tensor of rank {string.Join(" or ", model.Graphs.Select(g => g.InputRank))}");
        writer.Line("/// and every parameter is present, on the input's device (CPU or GPU), of the input's dtype.");
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
        writer.Line();
        writer.Line("/// <summary>CUDA C of this model's elementwise kernels, the same bodies as the C# kernels below; self-contained, for NVRTC.</summary>");
        writer.Line(CSharpEmitter.GeneratedCode);
        writer.Line($"internal const string {model.Name}GraphCudaSource = \"\"\"");
        writer.Lines(Cuda.CudaEmitter.EmitGraph(model.Name, kernels).TrimEnd('\n'));
        writer.Line("\"\"\";");
        typeBlocks.Dispose();

        writer.Line();
        writer.Line("/// <summary>The fused elementwise kernels of the compiled graph, generated from Gradgen's rule table; private to this file.</summary>");
        using (writer.Block("file static class " + kernelClass))
        {
            for (int k = 0; k < kernels.Count; k++)
            {
                if (k > 0)
                {
                    writer.Line();
                }

                WriteKernel(writer, kernels[k], k);
            }
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
        writer.Line($"/// <summary>The compiled graph for an input of rank {(model.RowWise ? "2 or more, its leading dims flattened into rows" : rank.ToString(CultureInfo.InvariantCulture))}.</summary>");
        writer.Line(CSharpEmitter.GeneratedCode);
        using (writer.Block($"private global::Gradgen.Tensor? GradgenCallRank{rank}(global::Gradgen.Tensor input)"))
        {
            for (int s = 0; s < slotParameters.Count; s++)
            {
                writer.Line($"var parameter{s + 1} = {slotParameters[s]};");
            }

            string parameters = string.Join(string.Empty, slotParameters.Select((_, s) => $", parameter{s + 1}"));
            // Convolution, pooling and batch norm kernels run on the CPU only so far: on a device, Forward runs eagerly.
            string canRun = nodes.Any(n => n.Op is TensorOp.Conv2d or TensorOp.MaxPool2d or TensorOp.BatchNormStatistics) ? "CanRunOnCpu" : "CanRun";
            using (writer.Block($"if (!{Runtime}.{canRun}(input, {rank}, {Bool(model.RowWise)}{parameters}))"))
            {
                writer.Line("return null;");
            }

            writer.Line();
            writer.Line("// Forward");
            foreach (var step in plan.Forward)
            {
                WriteStep(writer, graph, step, kernelClass, model.RowWise, model.Name);
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
                    WriteStep(writer, graph, step, kernelClass, model.RowWise, model.Name);
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

                    bool shared = gradient == graph.GradOutput || plan.Forward.Any(f => f.Nodes.Contains(gradient))
                        || graph.Gradients.Where((g, other) => other != s && g == gradient).Any();
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

            // The slots whose values the backward reads: changing one in place before backward is an error.
            var read = graph.Slots.Select((node, slot) => (node, slot))
                .Where(s => plan.Backward.Any(step => step.Nodes.Any(n => nodes[n].Inputs.Contains(s.node) || nodes[n].ShapeOf == s.node)))
                .Select(s => s.slot.ToString(CultureInfo.InvariantCulture)).ToList();
            var forwardTemporaries = Temporaries(graph, plan.Forward, new[] { graph.Output });
            writer.Line($"}}, [{string.Join(", ", forwardTemporaries.Select(Name))}]{string.Join(string.Empty, read.Select(r => ", " + r))});");
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

            // A view, or an operation that may return its input as it is, shares its input's storage.
            if (nodes[id].Op is TensorOp.Reshape or TensorOp.ReshapeAs or TensorOp.Transpose or TensorOp.Narrow or TensorOp.CatPiece or TensorOp.SumToShapeOf)
            {
                stack.Push(nodes[id].Inputs[0]);
            }
        }

        return steps.SelectMany(step => step.Nodes)
            .Where(id => !kept.Contains(id) && nodes[id].Op is TensorOp.Map or TensorOp.Linear or TensorOp.MatMul or TensorOp.MatMulAcrossRows
                or TensorOp.Sum or TensorOp.Mean or TensorOp.Max or TensorOp.LogSumExp or TensorOp.PadAs or TensorOp.Cat or TensorOp.DropoutMask
                or TensorOp.Conv2d or TensorOp.Conv2dGradient or TensorOp.MaxPool2d or TensorOp.MaxPool2dGradient
                or TensorOp.BatchNormStatistics or TensorOp.BatchNorm or TensorOp.BatchNormGradient)
            .ToList();
    }

    private static void WriteStep(SourceWriter writer, TensorGraph graph, PlannedStep step, string kernelClass, bool rowWise, string modelName)
    {
        var nodes = graph.Nodes;
        var first = nodes[step.Nodes[0]];
        string label = string.Join("; ", step.Nodes.Select(n => nodes[n].Label).Where(l => l.Length > 0).Distinct());
        if (label.Length > 0)
        {
            writer.Line("// " + label);
        }

        IDisposable? guard = null;
        if (step.Slots.Count > 0)
        {
            foreach (int id in step.Nodes)
            {
                writer.Line($"{TensorType} {Name(id)} = null!;");
            }

            guard = writer.Block($"if ({string.Join(" || ", step.Slots.Select(s => $"needed[{s}]"))})");
        }

        string declare = step.Slots.Count > 0 ? string.Empty : "var ";
        if (first.Op == TensorOp.Map)
        {
            string shapeOf = first.ShapeOf >= 0 ? Name(first.ShapeOf) : "null";
            string inputs = string.Join(string.Empty, first.Inputs.Select(i => ", " + Name(i)));
            string call = $"{Runtime}.Map<{kernelClass}.Kernel{step.Kernel}<float>, {kernelClass}.Kernel{step.Kernel}<double>>(\"{modelName}_kernel{step.Kernel}\", {modelName}GraphCudaSource, {shapeOf}, {step.Nodes.Count}{inputs})";
            if (step.Nodes.Count == 1)
            {
                writer.Line($"{declare}{Name(step.Nodes[0])} = {call}[0];");
            }
            else
            {
                writer.Line($"var results{step.Nodes[0]} = {call};");
                for (int o = 0; o < step.Nodes.Count; o++)
                {
                    writer.Line($"{declare}{Name(step.Nodes[o])} = results{step.Nodes[0]}[{o}];");
                }
            }
        }
        else if (Results(graph, step) is { } results)
        {
            writer.Line($"var results{step.Nodes[0]} = {results};");
            foreach (int id in step.Nodes)
            {
                writer.Line($"{declare}{Name(id)} = results{step.Nodes[0]}[{nodes[id].Index.ToString(CultureInfo.InvariantCulture)}]!;");
            }
        }
        else
        {
            writer.Line($"{declare}{Name(step.Nodes[0])} = {Expression(graph, step.Nodes[0], rowWise)};");
        }

        guard?.Dispose();
    }

    /// <summary>
    /// The one run-time call that gives the results of <paramref name="step"/> (max pooling's values and indices; a
    /// convolution's or batch norm's gradients, each asked for only when the slots it serves are needed), or null for
    /// a step of one plain expression.
    /// </summary>
    private static string? Results(TensorGraph graph, PlannedStep step)
    {
        var node = graph.Nodes[step.Nodes[0]];
        string In(int i) => Name(node.Inputs[i]);
        string Wanted(int index)
        {
            int at = step.Nodes.Select((id, k) => (id, k)).Where(p => graph.Nodes[p.id].Index == index).Select(p => p.k).DefaultIfEmpty(-1).First();
            return at < 0 ? "false" : step.NodeSlots[at].Count == 0 ? "true" : string.Join(" || ", step.NodeSlots[at].Select(s => $"needed[{s}]"));
        }

        return node.Op switch
        {
            TensorOp.MaxPool2d when step.Nodes.Count > 1 || node.Index > 0 => $"{Runtime}.MaxPool2dWithIndices({In(0)}, {node.Text})",
            TensorOp.Conv2dGradient => $"{Runtime}.Conv2dGradients({In(0)}, {In(1)}, {In(2)}, {node.Text}, {Wanted(0)}, {Wanted(1)}, {Wanted(2)})",
            TensorOp.BatchNormGradient => $"{Runtime}.BatchNormGradients({In(0)}, {In(1)}, {In(2)}, {(node.Inputs.Count > 3 ? In(3) : "null")}, {Wanted(0)}, {Wanted(1)}, {Wanted(2)})",
            _ => null,
        };
    }

    private static string Expression(TensorGraph graph, int id, bool rowWise)
    {
        var node = graph.Nodes[id];
        string In(int i) => Name(node.Inputs[i]);
        string Ints(params int[] values) => string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        return node.Op switch
        {
            TensorOp.Input => $"{Runtime}.Prepare(input, {Bool(rowWise)})",
            TensorOp.Parameter => $"{Runtime}.Parameter(parameter{graph.Slots.AsImmutableArray().IndexOf(id)})",
            TensorOp.RuntimeScalar => $"{Runtime}.Scalar({node.Text}, t{graph.Slots[0]})",
            TensorOp.DimSize => $"{Runtime}.DimSize({In(0)}, {Ints(node.Dim)})",
            TensorOp.GradOutput => rowWise ? $"{Runtime}.ReshapeAs(gradOutput, {Name(graph.Output)})" : "gradOutput",
            TensorOp.Linear => $"{Runtime}.Linear({In(0)}, {In(1)}, {(node.Inputs.Count > 2 ? In(2) : "null")})",
            TensorOp.MatMul => $"{Runtime}.MatMul({In(0)}, {In(1)}, {Bool(node.Flag)})",
            TensorOp.MatMulAcrossRows => $"{Runtime}.MatMulAcrossRows({In(0)}, {In(1)})",
            TensorOp.Sum or TensorOp.Mean or TensorOp.Max or TensorOp.LogSumExp => $"{Runtime}.{node.Op}({In(0)}, {Ints(node.Dim)}, {Bool(node.Flag)})",
            TensorOp.SumToShapeOf => $"{Runtime}.SumToShapeOf({In(0)}, {In(1)})",
            TensorOp.Reshape => $"{In(0)}.{node.Text.Replace("$0", In(0))}",
            TensorOp.ReshapeAs => $"{Runtime}.ReshapeAs({In(0)}, {In(1)})",
            TensorOp.Transpose => $"{In(0)}.Transpose({Ints(node.Dim, node.Dim2)})",
            TensorOp.Narrow => $"{In(0)}.Narrow({Ints(node.Dim, node.Start, node.Length)})",
            TensorOp.PadAs => $"{Runtime}.PadAs({In(0)}, {In(1)}, {Ints(node.Dim, node.Start)})",
            TensorOp.Cat => $"{Runtime}.Cat({Ints(node.Dim)}{string.Join(string.Empty, node.Inputs.Select(i => ", " + Name(i)))})",
            TensorOp.CatPiece => $"{Runtime}.CatPiece({In(0)}, {Ints(node.Dim, node.Index)}{string.Join(string.Empty, node.Inputs.Skip(1).Select(i => ", " + Name(i)))})",
            TensorOp.DropoutMask => $"{Runtime}.DropoutMask({node.Text}, {In(0)})",
            TensorOp.Conv2d => $"{Runtime}.Conv2d({In(0)}, {In(1)}, {(node.Inputs.Count > 2 ? In(2) : "null")}, {node.Text})",
            TensorOp.MaxPool2d => $"{Runtime}.MaxPool2d({In(0)}, {node.Text})",
            TensorOp.MaxPool2dGradient => $"{Runtime}.MaxPool2dGradient({In(0)}, {In(1)}, {In(2)})",
            TensorOp.BatchNormStatistics => $"{Runtime}.BatchNormStatistics({In(0)}, {node.Text})",
            TensorOp.BatchNorm => $"{Runtime}.BatchNorm({In(0)}, {In(1)}, {(node.Inputs.Count > 2 ? In(2) : "null")}, {(node.Inputs.Count > 2 ? In(3) : "null")})",
            _ => throw new InvalidOperationException($"{node.Op} is planned as a kernel, not an expression."),
        };
    }

    /// <summary>One elementwise kernel: its inputs loaded, its body a statement per node under the source it computes, its outputs stored.</summary>
    private static void WriteKernel(SourceWriter writer, IrGraph body, int index)
    {
        string what = string.Join("; ", body.Outputs.Select(o => body.Labels[o]).Where(l => l.Length > 0).Distinct());
        writer.Line($"/// <summary>{Xml(what.Length > 0 ? what : "an elementwise step")}</summary>");
        writer.Line($"public readonly struct Kernel{index}<T> : global::Gradgen.Kernels.IElementwiseKernel<global::Gradgen.Nn.MapSpans<T>, T>");
        using (writer.Block("    where T : unmanaged"))
        {
            writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
            writer.Line("public static void Invoke<TVec, TSimd>(scoped ref readonly global::Gradgen.Nn.MapSpans<T> s, int i)");
            writer.Line("    where TVec : struct");
            using (writer.Block("    where TSimd : global::Gradgen.Kernels.ISimd<TVec, T>"))
            {
                var values = new string[body.Nodes.Count];
                var loaded = new HashSet<int>();
                for (int id = 0; id < body.Nodes.Count; id++)
                {
                    var node = body.Nodes[id];
                    switch (node.Op)
                    {
                        case Op.Parameter:
                            int p = (int)node.Value;
                            values[id] = "p" + p;
                            if (loaded.Add(p))
                            {
                                writer.Line($"TVec p{p} = TSimd.Load(s.In{p}, i);");
                            }

                            continue;
                        case Op.Constant:
                            values[id] = $"TSimd.Constant({Literals.CSharpConstant(node.Value)})";
                            continue;
                    }

                    if (body.Labels[id].Length > 0)
                    {
                        writer.Line("// " + body.Labels[id]);
                    }

                    string description = FunctionNames.DescriptionOf(body, id);
                    values[id] = (description.Length > 0 ? description + "_v" : "v") + id.ToString(CultureInfo.InvariantCulture);
                    writer.Line($"TVec {values[id]} = {string.Format(CultureInfo.InvariantCulture, PrimitiveRules.Get(node.Op).SimdFormat, node.Args.Select(a => (object)values[a]).ToArray())};");
                }

                for (int o = 0; o < body.Outputs.Count; o++)
                {
                    writer.Line($"TSimd.Store({values[body.Outputs[o]]}, s.Out{o}, i);");
                }
            }
        }
    }

    // Registration, the run-time check of what was compiled, and the accessor a model that nests this one reads through.
    private static void WriteMembers(SourceWriter writer, GraphModelInfo model)
    {
        ModelEmitter.WriteCanCompile(writer, model.Guards);
        ModelEmitter.WriteMemberAccessor(writer, model.RegisteredMembers);
        ModelEmitter.WriteDiscoverMembers(writer, model.RegisteredMembers, model.BaseIsModule);
    }

    private static string Name(int id) => "t" + id.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
