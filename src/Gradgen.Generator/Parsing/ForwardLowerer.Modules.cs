using System;
using System.Globalization;
using System.Linq;
using Gradgen.Generator.Diagnostics;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Ir.Tensors;
using Gradgen.Generator.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gradgen.Generator.Parsing;

/// <summary>
/// Module fields applied in <c>Forward</c>: layers, activation modules, <c>Sequential</c> and <c>ModuleList</c> elements,
/// nested compiled models (their <c>Forward</c> inlined) and <c>LayerNorm</c>, with the layer-size checks between them.
/// </summary>
internal sealed partial class ForwardLowerer
{
    /// <summary>A module field (or Sequential element) applied to <paramref name="x"/>.</summary>
    private Value ApplyModule(ITypeSymbol type, string access, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? creation, int x, SyntaxNode at, string name)
    {
        string typeName = type.ToDisplayString();
        string label = name;
        Value Module(string property) => new(-1, null, $"{access}.{property}");
        switch (typeName)
        {
            case "Gradgen.Nn.Linear":
                {
                    var sizes = creation is { } c ? LinearArguments(c.Creation, c.Model) : (null, null, null);
                    int inFeatures = sizes.In ?? FeatureSymbol(access + ".in");
                    int outFeatures = sizes.Out ?? FeatureSymbol(access + ".out");
                    int weight = _b.Parameter(access + ".Weight", new[] { outFeatures, inFeatures }, name + ".weight");
                    int bias = -1;
                    if (sizes.Bias == false)
                    {
                        _guards.Add($"{access}.Bias is null");
                    }
                    else
                    {
                        bias = _b.Parameter(access + ".Bias", new[] { outFeatures }, name + ".bias");
                    }

                    CheckFedByLayer(x, inFeatures, at, name, creation is { } created ? InFeaturesArgument(created.Creation) : null);
                    return Value.Tensor(Shape(at, () => _b.Linear(x, weight, bias, name)));
                }

            case "Gradgen.Nn.Sigmoid":
                return Elementwise(at, (s, p) => s.Apply(Op.Sigmoid, p[0]), Value.Tensor(x));
            case "Gradgen.Nn.ReLU":
                return Elementwise(at, (s, p) => ScalarBodies.Relu(s, p[0]), Value.Tensor(x));
            case "Gradgen.Nn.Tanh":
                return Elementwise(at, (s, p) => s.Apply(Op.Tanh, p[0]), Value.Tensor(x));
            case "Gradgen.Nn.SiLU":
                return Elementwise(at, (s, p) => ScalarBodies.Silu(s, p[0]), Value.Tensor(x));
            case "Gradgen.Nn.GELU":
                {
                    // The approximation decides the formula: it must be visible where the module is created.
                    string approximate = "none";
                    if (creation is { } c && Arguments(c.Creation).Count > 0)
                    {
                        approximate = c.Model.GetConstantValue(Arguments(c.Creation)[0].Expression, _cancellationToken).Value as string
                            ?? throw new NotCompiledException(LocationInfo.From(at), $"the GELU '{name}' is not created with a constant approximate");
                    }
                    else if (creation is null)
                    {
                        throw new NotCompiledException(LocationInfo.From(at), $"the GELU '{name}' is not created once, in place (its approximate is not known)");
                    }

                    return Elementwise(at, (s, p) => ScalarBodies.Gelu(s, p[0], approximate == "tanh"), Value.Tensor(x));
                }

            case "Gradgen.Nn.LeakyReLU":
                return Elementwise(at, (s, p) => ScalarBodies.LeakyRelu(s, p[0], p[1]), Value.Tensor(x), Module("NegativeSlope"));
            case "Gradgen.Nn.ELU":
                return Elementwise(at, (s, p) => ScalarBodies.Elu(s, p[0], p[1]), Value.Tensor(x), Module("Alpha"));
            case "Gradgen.Nn.Softplus":
                return Elementwise(at, (s, p) => ScalarBodies.Softplus(s, p[0], p[1], p[2]), Value.Tensor(x), Module("Beta"), Module("Threshold"));
            case "Gradgen.Nn.Softmax" or "Gradgen.Nn.LogSoftmax":
                {
                    int dim = creation is { } c && Arguments(c.Creation).Count > 0 ? ConstantInt(Arguments(c.Creation)[0].Expression, c.Model)
                        : throw new NotCompiledException(LocationInfo.From(at), $"the {type.Name} '{name}' is not created once, in place, with a constant dim");
                    return Value.Tensor(Softmax(x, dim, typeName.EndsWith("LogSoftmax", StringComparison.Ordinal), at));
                }

            case "Gradgen.Nn.LayerNorm":
                return Value.Tensor(LayerNorm(x, access, creation, at, name));
            case "Gradgen.Nn.Dropout":
                {
                    // Each application draws its own mask, as eager Forward does: the label keeps two masks of one value apart.
                    int mask = _b.DropoutMask(x, access, $"{name} mask {++_layerCalls}");
                    return Elementwise(at, (s, p) => s.Multiply(p[0], p[1]), Value.Tensor(x), Value.Tensor(mask));
                }

            case "Gradgen.Nn.Conv2d":
                return Value.Tensor(Conv2d(x, access, creation, at, name));
            case "Gradgen.Nn.MaxPool2d":
                return Value.Tensor(Shape(at, () => _b.MaxPool2d(x, access, name)));
            case "Gradgen.Nn.BatchNorm1d" or "Gradgen.Nn.BatchNorm2d":
                return Value.Tensor(BatchNorm(x, type.Name, access, creation, at, name));
            case "Gradgen.Nn.AvgPool2d":
                return Value.Tensor(Shape(at, () => _b.AvgPool2d(x, access, _b.Shapes.NewSymbol(rigid: false, "H"), _b.Shapes.NewSymbol(rigid: false, "W"), name)));
            case "Gradgen.Nn.AdaptiveAvgPool2d":
                return Value.Tensor(AdaptiveAveragePool(x, access, creation, at, name));
            case "Gradgen.Nn.Flatten":
                return Value.Tensor(FlattenModule(x, creation, at, name));
            case "Gradgen.Nn.Identity":
                return Value.Tensor(x);
            case "Gradgen.Nn.Sequential":
                return Value.Tensor(ApplySequential(type, access, creation, x, at, name));
        }

        if (type is INamedTypeSymbol nested && ModelParser.DerivesFromModule(nested))
        {
            return Value.Tensor(ApplyNested(nested, access, x, at, name));
        }

        throw new NotCompiledException(LocationInfo.From(at), $"the field '{name}' holds a {type.Name}, which the compiler does not know");
    }

    /// <summary>
    /// GG0015 where a layer takes another layer's output (through elementwise functions of it alone) and the sizes the
    /// code shows differ: the message names both layers.
    /// </summary>
    private void CheckFedByLayer(int x, int inFeatures, SyntaxNode at, string name, ExpressionSyntax? inFeaturesArgument)
    {
        int producer = x;
        while (_b[producer].Op == TensorOp.Map && _b[producer].Inputs.Count(i => _b[i].Rank > 0) == 1)
        {
            producer = _b[producer].Inputs.First(i => _b[i].Rank > 0);
        }

        int given = _b.Shapes.Resolve(_b.ShapeOf(x)[_b.Rank(x) - 1]);
        int taken = _b.Shapes.Resolve(inFeatures);
        if (_b[producer].Op == TensorOp.Linear && given >= 0 && taken >= 0 && given != taken)
        {
            throw new ShapeErrorException(LocationInfo.From(at), $"'{name}' takes {taken} input features, but '{_b[producer].Label}' gives it {given}")
            {
                LayerSizes = new[] { name, taken.ToString(CultureInfo.InvariantCulture), _b[producer].Label, given.ToString(CultureInfo.InvariantCulture) },
                InFeaturesArgument = inFeaturesArgument is null ? null : LocationInfo.From(inFeaturesArgument),
            };
        }
    }

    /// <summary>Every element of a Sequential created in place, in order; at run time it must still hold those types.</summary>
    private int ApplySequential(ITypeSymbol type, string access, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? creation, int x, SyntaxNode at, string name)
    {
        foreach (var element in ListElements(new ModuleElement(type, access, creation, name), owner: null, at))
        {
            var elementCreation = element.Creation!.Value.Creation;
            x = TensorOf(ApplyModule(element.Type, element.Access, element.Creation, x, elementCreation, element.Name), elementCreation);
        }

        return x;
    }

    /// <summary>A field holding another model class: its Forward inlined, its members read through its generated GradgenMember.</summary>
    private int ApplyNested(INamedTypeSymbol nested, string access, int x, SyntaxNode at, string name)
    {
        var forward = nested.GetMembers("Forward").OfType<IMethodSymbol>().FirstOrDefault(m => m.IsOverride && m.Parameters.Length == 1 && !m.IsStatic);
        var syntax = forward?.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (forward is null || syntax?.Parent is not ClassDeclarationSyntax declaration || !ModelParser.IsCandidate(declaration)
            || declaration.Ancestors().OfType<TypeDeclarationSyntax>().Any(t => !t.Modifiers.Any(SyntaxKind.PartialKeyword)))
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the model in '{name}' ({nested.ToDisplayString()}) is not a partial class that the generator compiles");
        }

        if (IncompleteCode.HasSyntaxErrors(declaration))
        {
            // Incomplete code (being typed): the compiler reports it; this model runs Forward until it is complete.
            throw new NotCompiledException(LocationInfo.From(at), $"the model in '{name}' ({nested.ToDisplayString()}) has syntax errors");
        }

        if (_inlining.Contains(nested))
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the model in '{name}' ({nested.ToDisplayString()}) contains, through its own fields, the model whose Forward uses it");
        }

        _guards.Add($"({access}?.GetType() == typeof({Global(nested)}) && {access}.GradgenCanCompile())");
        try
        {
            return LowerForward(nested, access, syntax, forward, x);
        }
        catch (NotCompiledException inner)
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the model in '{name}' ({nested.ToDisplayString()}) is not compiled: {inner.Reason}")
            {
                Cause = inner.Cause ?? inner.Location,
            };
        }
    }

    /// <summary>LayerNorm over the last dims: mean, biased variance, (x − mean)/√(var + eps)·weight + bias, from reductions and maps.</summary>
    private int LayerNorm(int x, string access, (BaseObjectCreationExpressionSyntax Creation, SemanticModel Model)? creation, SyntaxNode at, string name)
    {
        if (creation is not { } c || Arguments(c.Creation).Count == 0)
        {
            throw new NotCompiledException(LocationInfo.From(at), $"the LayerNorm '{name}' is not created once, in place (its normalized shape is not known)");
        }

        var shapeArgument = Arguments(c.Creation)[0].Expression;
        var normalized = ConstantIntsOrInt(shapeArgument, c.Model);
        bool affine = true;
        foreach (var argument in Arguments(c.Creation).Skip(1).Select((a, i) => (a, i)))
        {
            bool isAffine = argument.a.NameColon?.Name.Identifier.Text == "elementwiseAffine" || (argument.a.NameColon is null && argument.i == 1);
            if (isAffine)
            {
                affine = c.Model.GetConstantValue(argument.a.Expression, _cancellationToken).Value as bool?
                    ?? throw new NotCompiledException(LocationInfo.From(argument.a), $"the LayerNorm '{name}' is not created with a constant elementwiseAffine");
            }
        }

        int rank = _b.Rank(x);
        if (normalized.Length > rank)
        {
            throw new ShapeErrorException(LocationInfo.From(at), $"'{name}' normalizes over {Format(normalized)}, but its input has shape {_b.Format(x)}");
        }

        for (int i = 0; i < normalized.Length; i++)
        {
            if (!_b.Shapes.Unify(_b.ShapeOf(x)[rank - normalized.Length + i], normalized[i]))
            {
                throw new ShapeErrorException(LocationInfo.From(at), $"'{name}' normalizes over {Format(normalized)}, but its input has shape {_b.Format(x)}");
            }
        }

        // Several normalized dims are one: the trailing dims flattened, normalized, and shaped back.
        int flat = x;
        if (normalized.Length > 1)
        {
            var shape = _b.ShapeOf(x).Take(rank - normalized.Length).Concat(new[] { normalized.Aggregate(1, (p, d) => p * d) }).ToList();
            flat = _b.Reshape(x, shape, $"Flatten({rank - normalized.Length})", name);
        }

        int mean = _b.Reduce(TensorOp.Mean, flat, -1, true, name + " mean");
        int centered = Map((s, p) => s.Subtract(p[0], p[1]), name + ": x − mean", flat, mean);
        int variance = _b.Reduce(TensorOp.Mean, Map((s, p) => s.Multiply(p[0], p[0]), name + ": (x − mean)²", centered), -1, true, name + " variance");
        int eps = _b.RuntimeScalar($"{access}.Eps");
        int normal = Map((s, p) => s.Divide(p[0], s.Apply(Op.Sqrt, s.Add(p[1], p[2]))), name + ": (x − mean)/√(var + eps)", centered, variance, eps);
        if (normalized.Length > 1)
        {
            normal = _b.ReshapeAs(normal, x);
        }

        if (!affine)
        {
            _guards.Add($"{access}.Weight is null");
            return normal;
        }

        int weight = _b.Parameter(access + ".Weight", normalized, name + ".weight");
        int bias = _b.Parameter(access + ".Bias", normalized, name + ".bias");
        return Map((s, p) => s.Add(s.Multiply(p[0], p[1]), p[2]), name + ": ·weight + bias", normal, weight, bias);
    }
}
