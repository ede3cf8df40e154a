using System.Collections.Generic;
using System.Linq;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;
using Gradgen.Generator.Models;
using Gradgen.Generator.Planning;

namespace Gradgen.Generator.Emitters.CSharp;

/// <summary>
/// Writes the bodies of the runtime's eager backward functions (<c>[EagerVjp("Op")] static partial Tensor F(…)</c>):
/// each is the backward half of its operation's one-op graph (<see cref="EagerVjpGraphs"/>), planned like a model's
/// and printed by the same <see cref="GraphStepWriter"/>, so that the runtime's reductions and gathers take their
/// derivatives from <see cref="Rules.TensorRules"/> like a compiled model does, and so do its views, whose input shape
/// and dims come in as <c>int[]</c> and <c>int</c> arguments. The kernels of every function of the
/// type live in one file-local class, with their CUDA C for device tensors.
/// </summary>
internal static class EagerVjpEmitter
{
    private const string TensorType = "global::Gradgen.Tensor";

    public static string Emit(EagerVjpType type)
    {
        string name = type.ContainingTypes[type.ContainingTypes.Count - 1].NameWithTypeParameters;
        string kernelClass = ModelFileWriter.KernelClass("GradgenEager_", type.ContainingTypes);
        string cudaSource = name + "EagerCudaSource";
        var kernels = new List<IrGraph>();
        var plans = type.Methods.Select(m => GraphPlanner.Plan(EagerVjpGraphs.Build(m.Op, m.ParameterNames), kernels)).ToList();
        (plans, kernels) = WithoutCopyKernels(plans, kernels);

        var writer = new SourceWriter();
        var (namespaceBlock, typeBlocks) = ModelFileWriter.WriteFileStart(writer, $"the eager backward functions of {type.MetadataName}, from the rule table", type.Namespace, type.ContainingTypes);
        for (int m = 0; m < type.Methods.Count; m++)
        {
            if (m > 0)
            {
                writer.Line();
            }

            WriteMethod(writer, type.Methods[m], plans[m], kernelClass, name, cudaSource);
        }

        GraphStepWriter.WriteKernels(writer, typeBlocks, name, cudaSource, kernelClass, kernels,
            "CUDA C of the kernels below, the same bodies; what the functions launch for device tensors.",
            "The elementwise kernels of the eager backward functions, generated from Gradgen's rule table; private to this file.");
        namespaceBlock?.Dispose();
        return writer.ToString();
    }

    /// <summary>
    /// The plans with the kernels of broadcast copies left out (each is written as an expanded view, launching no
    /// kernel: a file holds no kernel nothing launches; such a step keeps kernel −1), the others numbered anew.
    /// </summary>
    private static (List<GraphPlan> Plans, List<IrGraph> Kernels) WithoutCopyKernels(List<GraphPlan> plans, List<IrGraph> kernels)
    {
        var launched = plans
            .SelectMany(p => p.Backward.Where(s => s.Kernel >= 0 && !(s.Nodes.Count == 1 && p.Graph.Nodes[s.Nodes[0]].ShapeOf >= 0 && GraphStepWriter.IsCopy(p.Graph.Nodes[s.Nodes[0]]))))
            .Select(s => s.Kernel).Distinct().OrderBy(k => k).ToList();
        var renumbered = plans.Select(p => p with
        {
            Backward = p.Backward.Select(s => s.Kernel < 0 ? s : s with { Kernel = launched.IndexOf(s.Kernel) }).ToEquatableArray(),
        }).ToList();
        return (renumbered, launched.Select(k => kernels[k]).ToList());
    }

    private static void WriteMethod(SourceWriter writer, EagerVjpMethod method, GraphPlan plan, string kernelClass, string entryPrefix, string cudaSource)
    {
        var graph = plan.Graph;
        var names = method.ParameterNames;
        var signature = EagerVjpGraphs.Signature(method.Op)!;
        bool view = EagerVjpGraphs.IsView(method.Op);
        int inputs = graph.Slots.Count;
        string Name(int id)
        {
            // The inputs come first; a reduction's or gather's result follows them; the gradient is last.
            int slot = graph.Slots.AsImmutableArray().IndexOf(id);
            return slot >= 0 ? names[slot] : id == graph.Output && !view ? names[inputs] : id == graph.GradOutput ? names[names.Count - 1] : GraphStepWriter.DefaultName(id);
        }

        var steps = new GraphStepWriter(graph, kernelClass, entryPrefix, cudaSource, rowWise: false, broadcastsAsViews: true, Name);
        string parameters = string.Join(", ", names.Select((n, i) => $"{ParameterType(signature[i])} {n}"));
        writer.Line(view
            ? $"/// <summary>The gradient of <c>{method.Op}({string.Join(", ", names.Take(names.Count - 1))})</c> at any rank, its shape and dims read at run time: the rule table's, as a compiled graph's.</summary>"
            : $"/// <summary>The gradient of <c>{method.Op}</c> along dim 1 (keepDim) of <c>{names[0]}</c>, shaped <c>[outer, size, inner]</c>: the rule table's, as a compiled graph's.</summary>");
        writer.Line(CSharpEmitter.GeneratedCode);
        using (writer.Block($"{method.Accessibility} static partial {TensorType} {method.Name}({parameters})"))
        {
            // The forward values are the parameters; only the backward's own steps are written.
            foreach (var step in plan.Backward.Where(s => graph.Nodes[s.Nodes[0]].Op != TensorOp.GradOutput))
            {
                steps.WriteStep(writer, step);
            }

            int gradient = graph.Gradients[0];
            var temporaries = plan.Backward.SelectMany(s => s.Nodes)
                .Where(id => id != gradient && graph.Nodes[id].ShapeOf < 0 && GraphStepWriter.Allocates(graph.Nodes[id].Op))
                .ToList();
            if (temporaries.Count > 0)
            {
                writer.Line();
                writer.Line("// What the backward allocated and returns to no one goes back to the storage cache now.");
                writer.Line($"{GraphStepWriter.Runtime}.Free({string.Join(", ", temporaries.Select(Name))});");
            }

            writer.Line($"return {Name(gradient)};");
        }
    }

    private static string ParameterType(EagerVjpParameter kind) => kind switch
    {
        EagerVjpParameter.Tensor => TensorType,
        EagerVjpParameter.Shape or EagerVjpParameter.Ints => "int[]",
        _ => "int",
    };
}
