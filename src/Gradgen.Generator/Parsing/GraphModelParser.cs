using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;
using Gradgen.Generator.Models;
using Gradgen.Generator.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// Compiles a model class through the tensor graph: lowers Forward for an input of rank 2 and of rank 3 (which ranks
/// fit is shape inference's answer: <c>x.Mean(1)</c> feeding a layer only fits a <c>[B, T, F]</c> input), and of rank 4
/// when a layer takes images, fuses the elementwise chains, and differentiates the whole graph once.
/// </summary>
internal static class GraphModelParser
{
    private static readonly int[] Ranks = { 2, 3 };

    /// <summary>A batch of images, <c>[N, C, H, W]</c>.</summary>
    private const int ImageRank = 4;

    /// <summary>The compiled model; throws <see cref="NotCompiledException"/> or, when no rank fits, <see cref="ShapeErrorException"/>.</summary>
    public static GraphModelInfo Parse(INamedTypeSymbol type, MethodDeclarationSyntax forwardSyntax, IMethodSymbol forward, Compilation compilation,
        IEnumerable<string> registeredMembers, CancellationToken cancellationToken)
    {
        var graphs = new List<TensorGraph>();
        var shapeErrors = new List<ShapeErrorException>();
        List<string>? guards = null;
        bool rowWise = false;
        bool TryRank(int rank)
        {
            var builder = new TensorGraphBuilder();
            var rankGuards = new List<string>();
            try
            {
                int input = builder.Input(rank);
                int output = new ForwardLowerer(builder, compilation, rankGuards, cancellationToken).Lower(type, forwardSyntax, forward, input);
                output = MapFusion.Fuse(builder, output);
                var live = MapFusion.Reachable(builder, output);
                var slots = new[] { input }.Concat(live.Where(id => builder[id].Op == TensorOp.Parameter).OrderBy(id => id)).ToList();
                var (gradOutput, gradients) = TensorReverseMode.Differentiate(builder, output, slots);
                var graph = builder.ToGraph(output, slots, gradients, gradOutput, rank);
                guards ??= rankGuards;
                graphs.Add(graph);
                return rank == 2 && IsRowWise(graph);
            }
            catch (ShapeErrorException error)
            {
                shapeErrors.Add(error);
                return false;
            }
        }

        foreach (int rank in Ranks)
        {
            if (TryRank(rank))
            {
                rowWise = true;
                break;
            }
        }

        // Images: tried only when a layer asked for them (a convolution given rank 2 or 3), so other models cost no third attempt.
        if (graphs.Count == 0 && shapeErrors.Any(e => e.NeedsRank == ImageRank))
        {
            // Only images fit: the attempts of lower ranks only said so, the image attempt's error is the one to show.
            shapeErrors.RemoveAll(e => e.NeedsRank == ImageRank);
            TryRank(ImageRank);
        }

        if (graphs.Count == 0)
        {
            // No rank fits: the error of the attempt that got furthest through Forward (the lowest rank on a tie).
            throw shapeErrors.Aggregate((best, error) => error.Location.Span.Start > best.Location.Span.Start ? error : best);
        }

        return new GraphModelInfo(
            type.ContainingNamespace.IsGlobalNamespace ? string.Empty : type.ContainingNamespace.ToDisplayString(),
            FunctionParser.ContainingTypes(type),
            FunctionParser.MetadataName(type),
            type.Name,
            graphs.ToEquatableArray(),
            rowWise,
            guards!.Distinct().ToEquatableArray(),
            registeredMembers.ToEquatableArray(),
            type.BaseType?.ToDisplayString() == "Gradgen.Nn.Module");
    }

    /// <summary>
    /// Whether every forward value keeps the input's rows as its first dim and acts only on later dims: then an input of
    /// any rank runs with its leading dims flattened into rows, as PyTorch's Linear does.
    /// </summary>
    private static bool IsRowWise(TensorGraph graph)
    {
        int rows = graph.Nodes[graph.Slots[0]].Shape[0];
        var builder = TensorGraphBuilder.FromNodes(graph);
        foreach (int id in MapFusion.Reachable(builder, graph.Output))
        {
            var node = graph.Nodes[id];
            switch (node.Op)
            {
                case TensorOp.Input or TensorOp.Parameter or TensorOp.RuntimeScalar or TensorOp.DropoutMask:
                    continue;
                case TensorOp.DimSize when node.Dim > 0:
                    continue;
                case TensorOp.Map or TensorOp.Linear when node.Rank >= 1 && node.Shape[0] == rows:
                    continue;
                case TensorOp.Sum or TensorOp.Mean or TensorOp.Max or TensorOp.LogSumExp or TensorOp.Narrow or TensorOp.Cat when node.Dim > 0 && node.Rank >= 1 && node.Shape[0] == rows:
                    continue;
                default:
                    return false;
            }
        }

        return true;
    }
}
