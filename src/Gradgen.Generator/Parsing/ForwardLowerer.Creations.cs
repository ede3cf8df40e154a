using System.Collections.Generic;
using Gradgen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>What a layer's creation shows: the constants among its arguments that decide the graph's shapes.</summary>
internal sealed partial class ForwardLowerer
{
    /// <summary>The constants of a Linear creation: its sizes and whether it has a bias.</summary>
    private (int? In, int? Out, bool? Bias) LinearArguments(BaseObjectCreationExpressionSyntax creation, SemanticModel model)
    {
        var arguments = CreationArguments(creation, model, "inFeatures", "outFeatures", "bias");
        int? Int(string name) => arguments.TryGetValue(name, out var a) && a.Value is int v ? v : null;
        return (Int("inFeatures"), Int("outFeatures"), ConstantBool(arguments, "bias", "the Linear's bias is not a constant (whether it has one decides the graph)"));
    }

    /// <summary>The constants of a Conv2d creation: channels, kernel size, groups (1 unless given) and whether it has a bias.</summary>
    private (int? In, int? Out, int? Kernel, int Groups, bool? Bias) Conv2dArguments(BaseObjectCreationExpressionSyntax creation, SemanticModel model)
    {
        var arguments = CreationArguments(creation, model, "inChannels", "outChannels", "kernelSize", "stride", "padding", "dilation", "groups", "bias");
        int? Int(string name) => arguments.TryGetValue(name, out var a) && a.Value is int v ? v : null;
        int groups = 1;
        if (arguments.TryGetValue("groups", out var g))
        {
            groups = g.Value is int v && v >= 1 ? v
                : throw new NotCompiledException(LocationInfo.From(g.Argument), "the Conv2d's groups is not a positive constant (it decides the filters' shape)");
        }

        return (Int("inChannels"), Int("outChannels"), Int("kernelSize"), groups, ConstantBool(arguments, "bias", "the Conv2d's bias is not a constant (whether it has one decides the graph)"));
    }

    /// <summary>The output size an AdaptiveAvgPool2d creation shows, <c>(outputSize)</c> or <c>(outputH, outputW)</c> by position or name: null where not a positive constant.</summary>
    private (int? Height, int? Width) AdaptivePoolArguments(BaseObjectCreationExpressionSyntax creation, SemanticModel model)
    {
        var arguments = CreationArguments(creation, model, Arguments(creation).Count == 1 ? new[] { "outputSize" } : new[] { "outputH", "outputW" });
        int? Int(string name) => arguments.TryGetValue(name, out var a) && a.Value is int v && v > 0 ? v : null;
        return arguments.ContainsKey("outputSize") ? (Int("outputSize"), Int("outputSize")) : (Int("outputH"), Int("outputW"));
    }

    /// <summary>
    /// A creation's arguments by parameter name (named, or positional in the order <paramref name="positional"/> gives),
    /// each with its constant value (null when it is not a constant).
    /// </summary>
    private Dictionary<string, (ArgumentSyntax Argument, object? Value)> CreationArguments(BaseObjectCreationExpressionSyntax creation, SemanticModel model, params string[] positional)
    {
        var byName = new Dictionary<string, (ArgumentSyntax, object?)>();
        var arguments = Arguments(creation);
        for (int i = 0; i < arguments.Count; i++)
        {
            string? parameter = arguments[i].NameColon?.Name.Identifier.Text ?? (i < positional.Length ? positional[i] : null);
            if (parameter is not null)
            {
                byName[parameter] = (arguments[i], model.GetConstantValue(arguments[i].Expression, _cancellationToken).Value);
            }
        }

        return byName;
    }

    /// <summary>A bool argument the graph depends on: its constant, null when absent; not a constant is GG0016 with <paramref name="reason"/>.</summary>
    private static bool? ConstantBool(Dictionary<string, (ArgumentSyntax Argument, object? Value)> arguments, string name, string reason) =>
        !arguments.TryGetValue(name, out var a) ? null
        : a.Value is bool value ? value
        : throw new NotCompiledException(LocationInfo.From(a.Argument), reason);
}
