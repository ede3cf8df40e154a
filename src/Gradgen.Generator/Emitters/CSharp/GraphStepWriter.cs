using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;
using Gradgen.Generator.Planning;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Emitters.CSharp;

/// <summary>
/// Writes the planned steps of a tensor graph as calls into the runtime (<c>CompiledGraph.Map</c> for a kernel,
/// <c>CompiledGraph.Sum</c>, views, products for the rest) and its elementwise kernels as structs. Shared by the two
/// users of tensor graphs: a compiled model (<see cref="GraphModelEmitter"/>) and the runtime's eager backward
/// functions (<see cref="EagerVjpEmitter"/>), which differ only in how values are named and where kernels live.
/// </summary>
internal sealed class GraphStepWriter
{
    public const string Runtime = "global::Gradgen.Nn.CompiledGraph";
    private const string TensorType = "global::Gradgen.Tensor";

    private readonly TensorGraph _graph;
    private readonly string _kernelClass;
    private readonly string _entryPrefix;
    private readonly string _cudaSource;
    private readonly bool _rowWise;
    private readonly bool _broadcastsAsViews;
    private readonly Func<int, string> _name;

    /// <param name="graph">The planned graph.</param>
    /// <param name="kernelClass">The class holding the kernel structs.</param>
    /// <param name="entryPrefix">The CUDA entries' name: <c>{entryPrefix}_kernel{k}</c>.</param>
    /// <param name="cudaSource">The C# constant that holds the CUDA C of the kernels.</param>
    /// <param name="rowWise">A model whose input's leading dims are flattened into rows.</param>
    /// <param name="broadcastsAsViews">
    /// Print a Map that broadcasts up to another value's shape (a reduction's adjoint) as the Map over its own inputs,
    /// then an expanded view (a copy when the body is the identity is no Map at all). An eager backward returns that
    /// view to the engine as the old hand-written <c>g.Expand(shape)</c> did; a compiled model keeps dense values.
    /// </param>
    /// <param name="name">The C# name of each value.</param>
    public GraphStepWriter(TensorGraph graph, string kernelClass, string entryPrefix, string cudaSource, bool rowWise, bool broadcastsAsViews, Func<int, string> name)
    {
        _graph = graph;
        _kernelClass = kernelClass;
        _entryPrefix = entryPrefix;
        _cudaSource = cudaSource;
        _rowWise = rowWise;
        _broadcastsAsViews = broadcastsAsViews;
        _name = name;
    }

    /// <summary>The default value names: <c>t{id}</c>.</summary>
    public static string DefaultName(int id) => "t" + id.ToString(CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "true" : "false";

    /// <summary>One planned step: its source as a comment, then the call, under <c>if (needed[…])</c> when only some slots need it.</summary>
    public void WriteStep(SourceWriter writer, PlannedStep step)
    {
        var nodes = _graph.Nodes;
        var first = nodes[step.Nodes[0]];
        string label = string.Join("; ", step.Computed.Select(n => nodes[n].Label).Where(l => l.Length > 0).Distinct());
        if (label.Length > 0)
        {
            writer.Line("// " + label);
        }

        IDisposable? guard = null;
        if (step.Slots.Count > 0)
        {
            foreach (int id in step.Nodes)
            {
                writer.Line($"{TensorType} {_name(id)} = null!;");
            }

            guard = writer.Block($"if ({string.Join(" || ", step.Slots.Select(s => $"needed[{s}]"))})");
        }

        string declare = step.Slots.Count > 0 ? string.Empty : "var ";
        if (first.Op == TensorOp.Map)
        {
            string shapeOf = first.ShapeOf >= 0 ? _name(first.ShapeOf) : "null";
            bool expand = _broadcastsAsViews && first.ShapeOf >= 0 && step.Nodes.Count == 1;
            if (expand && IsCopy(first))
            {
                writer.Line($"{declare}{_name(step.Nodes[0])} = {Runtime}.ExpandAs({_name(first.Inputs[0])}, {shapeOf});");
                guard?.Dispose();
                return;
            }

            if (step.Product >= 0)
            {
                // The product with this kernel applied to each element as it is written (its other input read at the
                // same position): one pass, and the product never stored.
                var product = nodes[step.Product];
                int at = step.ProductInput(_graph);
                string kernel = $"{_kernelClass}.Kernel{step.Kernel}";
                string types = $"<{EpilogueName(_kernelClass, step.Kernel, at)}, {kernel}<float>, {kernel}<double>>(\"{_entryPrefix}_kernel{step.Kernel}\", {_cudaSource}";
                string other = first.Inputs.Count == 2 ? _name(first.Inputs[1 - at]) : "null";
                string bias = product.Inputs.Count > 2 ? _name(product.Inputs[2]) : "null";
                writer.Line(product.Op switch
                {
                    TensorOp.Linear => $"{declare}{_name(step.Nodes[0])} = {Runtime}.LinearThenMap{types}, {_name(product.Inputs[0])}, {_name(product.Inputs[1])}, {bias}, {other}, {at});",
                    TensorOp.Conv2d => $"{declare}{_name(step.Nodes[0])} = {Runtime}.Conv2dThenMap{types}, {_name(product.Inputs[0])}, {_name(product.Inputs[1])}, {bias}, {product.Text}{(first.Inputs.Count == 2 ? $", {other}, {at}" : string.Empty)});",
                    _ => $"{declare}{_name(step.Nodes[0])} = {Runtime}.MatMulThenMap{types}, {_name(product.Inputs[0])}, {_name(product.Inputs[1])}, {other}, {at});",
                });
                guard?.Dispose();
                return;
            }

            string inputs = string.Join(string.Empty, first.Inputs.Select(i => ", " + _name(i)));
            string call = $"{Runtime}.Map<{_kernelClass}.Kernel{step.Kernel}<float>, {_kernelClass}.Kernel{step.Kernel}<double>>(\"{_entryPrefix}_kernel{step.Kernel}\", {_cudaSource}, {(expand ? "null" : shapeOf)}, {step.Nodes.Count}{inputs})";
            if (expand)
            {
                writer.Line($"{declare}{_name(step.Nodes[0])} = {Runtime}.ExpandAs({call}[0], {shapeOf});");
            }
            else if (step.Nodes.Count == 1)
            {
                writer.Line($"{declare}{_name(step.Nodes[0])} = {call}[0];");
            }
            else
            {
                writer.Line($"var results{step.Nodes[0]} = {call};");
                for (int o = 0; o < step.Nodes.Count; o++)
                {
                    writer.Line($"{declare}{_name(step.Nodes[o])} = results{step.Nodes[0]}[{o}];");
                }
            }
        }
        else if (Results(step) is { } results)
        {
            writer.Line($"var results{step.Nodes[0]} = {results};");
            foreach (int id in step.Nodes)
            {
                writer.Line($"{declare}{_name(id)} = results{step.Nodes[0]}[{nodes[id].Index.ToString(CultureInfo.InvariantCulture)}]!;");
            }
        }
        else
        {
            writer.Line($"{declare}{_name(step.Nodes[0])} = {Expression(step.Nodes[0])};");
        }

        guard?.Dispose();
    }

    /// <summary>
    /// The one run-time call that gives the results of <paramref name="step"/> (max pooling's values and indices; a
    /// convolution's or batch norm's gradients, each asked for only when the slots it serves are needed), or null for
    /// a step of one plain expression.
    /// </summary>
    private string? Results(PlannedStep step)
    {
        var node = _graph.Nodes[step.Nodes[0]];
        string In(int i) => _name(node.Inputs[i]);
        string Wanted(int index)
        {
            int at = step.Nodes.Select((id, k) => (id, k)).Where(p => _graph.Nodes[p.id].Index == index).Select(p => p.k).DefaultIfEmpty(-1).First();
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

    /// <summary>Whether a Map only copies its one input (a broadcast back): written as a view where broadcasts are views, with no kernel.</summary>
    public static bool IsCopy(TensorNode node) => node.Op == TensorOp.Map && node.Body!.Equals(ScalarBodies.Identity);

    /// <summary>The runtime call that computes a node other than a Map.</summary>
    public string Expression(int id)
    {
        var node = _graph.Nodes[id];
        string In(int i) => _name(node.Inputs[i]);
        // int.MaxValue is an open end (a slice to the end of a size known at run time).
        string Ints(params int[] values) => string.Join(", ", values.Select(v => v == int.MaxValue ? "int.MaxValue" : v.ToString(CultureInfo.InvariantCulture)));
        return node.Op switch
        {
            TensorOp.Input => $"{Runtime}.Prepare(input, {Bool(_rowWise)})",
            TensorOp.Parameter => $"{Runtime}.Parameter(parameter{_graph.Slots.AsImmutableArray().IndexOf(id)})",
            TensorOp.RuntimeScalar => $"{Runtime}.Scalar({node.Text}, {_name(_graph.Slots[0])})",
            TensorOp.DimSize => $"{Runtime}.DimSize({In(0)}, {Ints(node.Dim)})",
            TensorOp.GradOutput => _rowWise ? $"{Runtime}.ReshapeAs(gradOutput, {_name(_graph.Output)})" : "gradOutput",
            TensorOp.Linear => $"{Runtime}.Linear({In(0)}, {In(1)}, {(node.Inputs.Count > 2 ? In(2) : "null")})",
            TensorOp.MatMul => $"{Runtime}.MatMul({In(0)}, {In(1)}, {Bool(node.Flag)})",
            TensorOp.MatMulAcrossRows => $"{Runtime}.MatMulAcrossRows({In(0)}, {In(1)})",
            TensorOp.Sum or TensorOp.Mean or TensorOp.Max or TensorOp.LogSumExp => $"{Runtime}.{node.Op}({In(0)}, {Ints(node.Dim)}, {Bool(node.Flag)})",
            TensorOp.MaxEvenly or TensorOp.MinEvenly => $"{Runtime}.{(node.Op == TensorOp.MaxEvenly ? "Max" : "Min")}({In(0)}, {Ints(node.Dim)}, {Bool(node.Flag)})",
            TensorOp.Gather => $"{In(0)}.Gather({Ints(node.Dim)}, {In(1)})",
            TensorOp.ScatterAddAs => $"{Runtime}.ScatterAddAs({In(0)}, {In(1)}, {In(2)}, {Ints(node.Dim)})",
            TensorOp.SumToShapeOf => $"{Runtime}.SumToShapeOf({In(0)}, {In(1)})",
            TensorOp.Reshape => $"{In(0)}.{node.Text.Replace("$0", In(0))}",
            TensorOp.ReshapeAs => $"{Runtime}.ReshapeAs({In(0)}, {In(1)})",
            TensorOp.Expand => $"{In(0)}.Expand({SizeSources(node)})",
            TensorOp.Permute => $"{In(0)}.Permute({(node.Flag ? $"{Runtime}.InversePermutation({node.Text})" : node.Text)})",
            TensorOp.Transpose => $"{In(0)}.Transpose({Or(node.Text, Ints(node.Dim, node.Dim2))})",
            TensorOp.Narrow when node.Text.Length == 0 && node.Step > 0 => $"{In(0)}.Slice({Ints(node.Dim, node.Start, node.End, node.Step)})",
            TensorOp.Narrow when node.Text.Length == 0 => $"{In(0)}.Narrow({Ints(node.Dim, node.Start, node.Length)})",
            TensorOp.PadAs when node.Text.Length == 0 && (node.Step > 0 || node.Start < 0) => $"{Runtime}.PadAs({In(0)}, {In(1)}, {Ints(node.Dim, node.Start, Math.Max(node.Step, 1))})",
            TensorOp.PadAs => $"{Runtime}.PadAs({In(0)}, {In(1)}, {Or(node.Text, Ints(node.Dim, node.Start))})",
            TensorOp.Cat => $"{Runtime}.Cat({Ints(node.Dim)}{string.Join(string.Empty, node.Inputs.Select(i => ", " + _name(i)))})",
            TensorOp.CatPiece => $"{Runtime}.CatPiece({In(0)}, {Ints(node.Dim, node.Index)}{string.Join(string.Empty, node.Inputs.Skip(1).Select(i => ", " + _name(i)))})",
            TensorOp.DropoutMask => $"{Runtime}.DropoutMask({node.Text}, {In(0)})",
            TensorOp.Conv2d => $"{Runtime}.Conv2d({In(0)}, {In(1)}, {(node.Inputs.Count > 2 ? In(2) : "null")}, {node.Text})",
            TensorOp.MaxPool2d => $"{Runtime}.MaxPool2d({In(0)}, {node.Text})",
            TensorOp.MaxPool2dGradient => $"{Runtime}.MaxPool2dGradient({In(0)}, {In(1)}, {In(2)})",
            TensorOp.AvgPool2d => $"{Runtime}.AvgPool2d({In(0)}, {node.Text})",
            TensorOp.AvgPool2dGradient => $"{Runtime}.AvgPool2dGradient({In(0)}, {In(1)}, {node.Text})",
            TensorOp.BatchNormStatistics => $"{Runtime}.BatchNormStatistics({In(0)}, {node.Text})",
            TensorOp.BatchNorm => $"{Runtime}.BatchNorm({In(0)}, {In(1)}, {(node.Inputs.Count > 2 ? In(2) : "null")}, {(node.Inputs.Count > 2 ? In(3) : "null")})",
            _ => throw new InvalidOperationException($"{node.Op} is planned as a kernel, not an expression."),
        };
    }

    /// <summary>An expand's sizes, each <c>$k</c> in them the name of input k (a value whose size is read at run time).</summary>
    private string SizeSources(TensorNode node)
    {
        string sizes = node.Text;
        for (int k = node.Inputs.Count - 1; k >= 1; k--)
        {
            sizes = sizes.Replace("$" + k.ToString(CultureInfo.InvariantCulture), _name(node.Inputs[k]));
        }

        return sizes;
    }

    /// <summary>The run-time arguments of an eager backward's operation where it has them, else its constant ones.</summary>
    private static string Or(string runTime, string constants) => runTime.Length > 0 ? runTime : constants;

    /// <summary>Whether a step computing <paramref name="op"/> allocates a tensor of its own (rather than a view, or its input as it is).</summary>
    public static bool Allocates(TensorOp op) =>
        op is TensorOp.Map or TensorOp.Linear or TensorOp.MatMul or TensorOp.MatMulAcrossRows or TensorOp.Sum or TensorOp.Mean or TensorOp.Max
            or TensorOp.MaxEvenly or TensorOp.MinEvenly or TensorOp.LogSumExp or TensorOp.Gather or TensorOp.ScatterAddAs or TensorOp.PadAs
            or TensorOp.Cat or TensorOp.DropoutMask or TensorOp.Conv2d or TensorOp.Conv2dGradient or TensorOp.MaxPool2d or TensorOp.MaxPool2dGradient
            or TensorOp.AvgPool2d or TensorOp.AvgPool2dGradient or TensorOp.BatchNormStatistics or TensorOp.BatchNorm or TensorOp.BatchNormGradient;

    /// <summary>
    /// Ends the generated type with the kernels' CUDA C as a constant (<paramref name="cudaSource"/>, entries
    /// <c>{entryPrefix}_kernel{k}</c>), closes the type's declarations (<paramref name="typeBlocks"/>) and writes the
    /// kernel structs into the file-local <paramref name="kernelClass"/>, with <paramref name="epilogues"/>: the kernels
    /// that run as a product's epilogue, each with the input the product gives (in CUDA C too where the product runs
    /// through Gemm.cu on a device).
    /// </summary>
    public static void WriteKernels(SourceWriter writer, IDisposable typeBlocks, string entryPrefix, string cudaSource, string kernelClass, IReadOnlyList<IrGraph> kernels, string cudaSummary, string classSummary, IReadOnlyCollection<ProductEpilogue>? epilogues = null)
    {
        epilogues ??= Array.Empty<ProductEpilogue>();
        if (kernels.Count == 0)
        {
            // A graph with no elementwise step (a convolution and a Linear, say) launches no kernel of its own: no empty
            // CUDA source, no empty kernel class.
            typeBlocks.Dispose();
            return;
        }

        writer.Line();
        writer.Line($"/// <summary>{cudaSummary}</summary>");
        writer.Line(CSharpEmitter.GeneratedCode);
        writer.Line($"internal const string {cudaSource} = \"\"\"");
        Cuda.CudaEmitter.WriteGraph(writer, entryPrefix, kernels, epilogues.Where(e => e.OnDevice).Select(e => (e.Kernel, e.ProductInput)).Distinct().OrderBy(e => e).ToList());
        writer.Line("\"\"\";");
        typeBlocks.Dispose();

        writer.Line();
        writer.Line($"/// <summary>{classSummary}</summary>");
        using (writer.Block("file static class " + kernelClass))
        {
            for (int k = 0; k < kernels.Count; k++)
            {
                if (k > 0)
                {
                    writer.Line();
                }

                WriteKernel(writer, kernels[k], k, asFunction: epilogues.Any(e => e.Kernel == k));
            }

            foreach (var (kernel, productInput) in epilogues.Select(e => (e.Kernel, e.ProductInput)).Distinct().OrderBy(e => e))
            {
                writer.Line();
                WriteEpilogue(writer, kernels[kernel], kernel, productInput);
            }
        }
    }

    /// <summary>The name of kernel <paramref name="kernel"/> as the epilogue of the product that gives its input <paramref name="productInput"/>.</summary>
    private static string EpilogueName(string kernelClass, int kernel, int productInput) => kernelClass + "." + EpilogueStruct(kernel, productInput);

    private static string EpilogueStruct(int kernel, int productInput) =>
        $"Kernel{kernel.ToString(CultureInfo.InvariantCulture)}AfterProductAt{productInput.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// A kernel as a matrix product's epilogue: the product's element is its input <paramref name="productInput"/>; a
    /// kernel of two inputs reads the other matrix's element at the same position as its other input.
    /// </summary>
    private static void WriteEpilogue(SourceWriter writer, IrGraph body, int kernel, int productInput)
    {
        bool readsOther = body.Nodes.Any(n => n.Op == Op.Parameter && (int)n.Value != productInput);
        string Arguments(string value) => !readsOther ? value : productInput == 0 ? $"{value}, other" : $"other, {value}";
        writer.Line(readsOther
            ? $"/// <summary>Kernel{kernel} applied by a matrix product to each element it writes (its input {productInput}), with the other matrix's element at the same position.</summary>"
            : $"/// <summary>Kernel{kernel} applied by a matrix product to each element it writes.</summary>");
        using (writer.Block($"public readonly struct {EpilogueStruct(kernel, productInput)} : global::Gradgen.Kernels.IGemmEpilogue"))
        {
            if (readsOther)
            {
                writer.Line("/// <inheritdoc/>");
                writer.Line("public static bool ReadsOther => true;");
                writer.Line();
            }

            var widths = new[] { ("float", "Scalar"), ("global::System.Runtime.Intrinsics.Vector256<float>", "Simd256"), ("global::System.Runtime.Intrinsics.Vector512<float>", "Simd512") };
            for (int w = 0; w < widths.Length; w++)
            {
                var (vector, simd) = widths[w];
                writer.Line("/// <inheritdoc/>");
                writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
                string parameters = readsOther ? $"{vector} value, {vector} other" : $"{vector} value";
                writer.Line($"public static {vector} Apply({parameters}) => Kernel{kernel}<float>.Apply<{vector}, global::Gradgen.Kernels.{simd}<float>>({Arguments("value")});");
                if (w < widths.Length - 1)
                {
                    writer.Line();
                }
            }
        }
    }

    /// <summary>
    /// One elementwise kernel: its inputs loaded, its body a statement per node under the source it computes, its outputs
    /// stored. <paramref name="asFunction"/> adds the same body as a function of its inputs' values that returns its one
    /// output, for a product's epilogue.
    /// </summary>
    public static void WriteKernel(SourceWriter writer, IrGraph body, int index, bool asFunction = false)
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
                var values = WriteBody(writer, body, p => $"TVec p{p} = TSimd.Load(s.In{p}, i);");
                for (int o = 0; o < body.Outputs.Count; o++)
                {
                    writer.Line($"TSimd.Store({values[body.Outputs[o]]}, s.Out{o}, i);");
                }
            }

            if (asFunction)
            {
                int arity = body.Nodes.Where(n => n.Op == Op.Parameter).Select(n => (int)n.Value + 1).DefaultIfEmpty(0).Max();
                writer.Line();
                writer.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
                writer.Line($"public static TVec Apply<TVec, TSimd>({string.Join(", ", Enumerable.Range(0, arity).Select(p => $"TVec p{p}"))})");
                writer.Line("    where TVec : struct");
                using (writer.Block("    where TSimd : global::Gradgen.Kernels.ISimd<TVec, T>"))
                {
                    var values = WriteBody(writer, body, _ => null);
                    writer.Line($"return {values[body.Outputs[0]]};");
                }
            }
        }
    }

    /// <summary>The body's statements, one per node; <paramref name="load"/> gives the line that reads parameter p (null: it is an argument).</summary>
    private static string[] WriteBody(SourceWriter writer, IrGraph body, Func<int, string?> load)
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
                    if (loaded.Add(p) && load(p) is { } line)
                    {
                        writer.Line(line);
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

        return values;
    }

    private static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}

/// <summary>A graph kernel that runs as a matrix product's epilogue: the product gives its input <paramref name="ProductInput"/>.</summary>
/// <param name="Kernel">The kernel's index.</param>
/// <param name="ProductInput">Which of its inputs the product is.</param>
/// <param name="OnDevice">Whether the product runs through Gemm.cu on a device (a Linear or a matrix product, not a convolution), which then needs the kernel in CUDA C too.</param>
internal readonly record struct ProductEpilogue(int Kernel, int ProductInput, bool OnDevice);
