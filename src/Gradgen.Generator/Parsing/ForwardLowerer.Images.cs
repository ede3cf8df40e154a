using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Ir.Tensors;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// The image layers of a Forward that take more than a line to lower (<c>Conv2d</c>, <c>BatchNorm2d</c>,
/// <c>AdaptiveAvgPool2d</c>, <c>Flatten</c>; <c>MaxPool2d</c> and <c>AvgPool2d</c> are lowered where the module is
/// applied, their windows read at run time) and reshapes whose sizes are read
/// from a tensor (<c>x.View(x.Shape[0], -1)</c>), as a CNN writes them.
/// </summary>
internal sealed partial class ForwardLowerer
{
    /// <summary>
    /// A Conv2d field: its filters <c>[O, C / groups, k, k]</c> and bias are parameters, sized from the creation's
    /// constants where the code shows them; the window (stride, padding, dilation) is read from the module at run time.
    /// </summary>
    private int Conv2d(int x, string access, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? creation, SyntaxNode at, string name)
    {
        var sizes = creation is { } c ? Conv2dArguments(c.Creation, c.Model) : (null, null, null, 1, null);
        int outChannels = sizes.Out ?? FeatureSymbol(access + ".out");
        int kernel = sizes.Kernel ?? FeatureSymbol(access + ".kernel");
        int groupChannels = sizes.In is int inChannels && inChannels % sizes.Groups == 0 ? inChannels / sizes.Groups : FeatureSymbol(access + ".in");
        int weight = _b.Parameter(access + ".Weight", new[] { outChannels, groupChannels, kernel, kernel }, name + ".weight");
        int bias = -1;
        if (sizes.Bias == false)
        {
            _guards.Add($"{access}.Bias is null");
        }
        else
        {
            bias = _b.Parameter(access + ".Bias", new[] { outChannels }, name + ".bias");
        }

        return Shape(at, () => _b.Conv2d(x, weight, bias, access, sizes.Groups, name));
    }

    /// <summary>
    /// A BatchNorm1d ([N, C] or [N, C, L]) or BatchNorm2d ([N, C, H, W]) field: the statistics the layer decides on at
    /// run time (the batch's in training, updating the running ones; the running ones in evaluation), then the
    /// normalisation, scaled and shifted when the layer is affine (a constant the creation must show, true by default).
    /// </summary>
    private int BatchNorm(int x, string typeName, string access, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? creation, SyntaxNode at, string name)
    {
        int rank = _b.Rank(x);
        bool images = typeName == "BatchNorm2d";
        if (images ? rank != 4 : rank is not (2 or 3))
        {
            throw new ShapeErrorException(LocationInfo.From(at), $"'{name}' takes {(images ? "images [N, C, H, W]" : "[N, C] or [N, C, L]")}, but its input has shape {_b.Format(x)}") { NeedsRank = images ? 4 : 0 };
        }

        if (creation is not { } c)
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the {typeName} '{name}' is not created once, in place (whether it is affine is not known)");
        }

        var arguments = CreationArguments(c.Creation, c.Model, "numFeatures", "eps", "momentum", "affine");
        int? features = arguments.TryGetValue("numFeatures", out var count) && count.Value is int v ? v : null;
        bool affine = ConstantBool(arguments, "affine", $"the {typeName}'s affine is not a constant (whether it has a weight and bias decides the graph)") ?? true;
        int channels = features ?? FeatureSymbol(access + ".features");
        if (!_b.Shapes.Unify(_b.ShapeOf(x)[1], channels))
        {
            throw new ShapeErrorException(LocationInfo.From(at), $"'{name}' normalises {_b.Shapes.Format(new[] { channels }).Trim('[', ']')} channels, but its input has shape {_b.Format(x)}");
        }

        // Each application is its own call of the layer (it counts batches and updates the running statistics): the label keeps two apart.
        int statistics = _b.BatchNormStatistics(x, access, $"{name} statistics {++_layerCalls}");
        int weight = -1, bias = -1;
        if (affine)
        {
            weight = _b.Parameter(access + ".Weight", new[] { channels }, name + ".weight");
            bias = _b.Parameter(access + ".Bias", new[] { channels }, name + ".bias");
        }
        else
        {
            _guards.Add($"{access}.Weight is null");
        }

        return _b.BatchNorm(x, statistics, weight, bias, name);
    }

    /// <summary>
    /// An AdaptiveAvgPool2d field: its output's height and width are the creation's constants where the code shows
    /// them (<c>new(s)</c> or <c>new(h, w)</c>), so a Linear after flattening it is checked at compile time; otherwise
    /// new symbols. The run time reads the size from the module either way.
    /// </summary>
    private int AdaptiveAveragePool(int x, string access, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? creation, SyntaxNode at, string name)
    {
        var sizes = creation is { } c ? AdaptivePoolArguments(c.Creation, c.Model) : (null, null);
        int height = sizes.Height ?? _b.Shapes.NewSymbol(rigid: false, "H");
        int width = sizes.Width ?? _b.Shapes.NewSymbol(rigid: false, "W");
        return Shape(at, () => _b.AvgPool2d(x, access, height, width, name));
    }

    /// <summary>A Flatten field: dims startDim…endDim (1 and −1 unless the creation says otherwise) made one.</summary>
    private int FlattenModule(int x, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? creation, SyntaxNode at, string name)
    {
        if (creation is not { } c)
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the Flatten '{name}' is not created once, in place (its dims are not known)");
        }

        int start = 1, end = -1;
        var arguments = Arguments(c.Creation);
        for (int i = 0; i < arguments.Count; i++)
        {
            string parameter = arguments[i].NameColon?.Name.Identifier.Text ?? (i == 0 ? "startDim" : "endDim");
            int value = ConstantInt(arguments[i].Expression, c.Model);
            (start, end) = parameter == "startDim" ? (value, end) : (start, value);
        }

        return Flatten(x, start, end, at);
    }

    /// <summary>
    /// The sizes of a <c>Reshape</c>/<c>View</c>: constants, −1, or a size read from a tensor (<c>x.Shape[0]</c>,
    /// <c>x.Size(0)</c>). A size read at run time must be one of the reshaped value's own dims (the batch, typically):
    /// the generated call reads it from there.
    /// </summary>
    private ReshapeSize[] ReshapeSizes(int x, IEnumerable<ExpressionSyntax> arguments, Scope scope)
    {
        var sizes = new List<ReshapeSize>();
        foreach (var argument in arguments)
        {
            if (scope.Model.GetConstantValue(argument, _cancellationToken) is { HasValue: true, Value: int constant })
            {
                sizes.Add(new ReshapeSize(constant, -1));
                continue;
            }

            var (tensor, dim) = SizeRead(argument, scope)
                ?? throw new NotCompiledException(LocationInfo.From(argument), $"'{Short(argument)}' is not a constant int or a tensor's size (shapes and dims must be constants)");
            int source = TensorOf(Lower(tensor, scope), tensor);
            int d = Shape(argument, () => _b.Normalize(source, ConstantInt(dim, scope.Model), Short(argument)));
            int symbol = _b.Shapes.Resolve(_b.ShapeOf(source)[d]);
            if (symbol >= 0)
            {
                sizes.Add(new ReshapeSize(symbol, -1));
                continue;
            }

            var dims = _b.ShapeOf(x);
            int own = Enumerable.Range(0, dims.Count).Where(i => _b.Shapes.Resolve(dims[i]) == symbol && sizes.All(s => s.InputDim != i)).DefaultIfEmpty(-1).First();
            if (own < 0)
            {
                throw new NotCompiledException(LocationInfo.From(argument), $"'{Short(argument)}' is a size known only at run time that is not one of {_b.Format(x)}'s own dims");
            }

            sizes.Add(new ReshapeSize(symbol, own));
        }

        return sizes.ToArray();
    }

    /// <summary>The tensor and dim of <c>t.Shape[d]</c> or <c>t.Size(d)</c>, or null.</summary>
    private (ExpressionSyntax Tensor, ExpressionSyntax Dim)? SizeRead(ExpressionSyntax argument, Scope scope)
    {
        switch (argument)
        {
            case ElementAccessExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.Text: "Shape" } shape } access
                when access.ArgumentList.Arguments.Count == 1 && IsTensor(shape.Expression, scope):
                return (shape.Expression, access.ArgumentList.Arguments[0].Expression);
            case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.Text: "Size" } size } call
                when call.ArgumentList.Arguments.Count == 1 && IsTensor(size.Expression, scope):
                return (size.Expression, call.ArgumentList.Arguments[0].Expression);
            default:
                return null;
        }
    }

    private bool IsTensor(ExpressionSyntax expression, Scope scope) =>
        scope.Model.GetTypeInfo(expression, _cancellationToken).Type?.ToDisplayString() == TensorType;

    /// <summary>The C# of a reshape's sizes, a size read at run time written as the reshaped value's dim (<c>$0</c> stands for it).</summary>
    private static string SizesText(IEnumerable<ReshapeSize> sizes) =>
        string.Join(", ", sizes.Select(s => s.InputDim >= 0 ? "$0.Shape[" + s.InputDim.ToString(CultureInfo.InvariantCulture) + "]" : s.Size.ToString(CultureInfo.InvariantCulture)));

    /// <summary>One size of a reshape: a constant or −1 (<see cref="InputDim"/> −1), or the symbol of the reshaped value's dim <see cref="InputDim"/>.</summary>
    private readonly record struct ReshapeSize(int Size, int InputDim);
}
