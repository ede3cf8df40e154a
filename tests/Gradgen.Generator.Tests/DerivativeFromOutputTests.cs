using Gradgen.Generator.Differentiation;
using Gradgen.Generator.Ir;
using Gradgen.Generator.Rules;

namespace Gradgen.Generator.Tests;

/// <summary>
/// The derivative a layer that stores only its activation's output runs backward (the Linear chain's device strategy):
/// written by the rule table from y alone where it can be — sigmoid′ = y·(1 − y), tanh′ = 1 − y², and ReLU's test of
/// z ≤ 0 read as y ≤ 0 (0 at 0, as PyTorch) — and refused where the rule needs z (GELU).
/// </summary>
public sealed class DerivativeFromOutputTests
{
    public static TheoryData<string> Activations => new() { "sigmoid", "tanh", "relu" };

    [Theory]
    [MemberData(nameof(Activations))]
    public void TheDerivativeFromTheOutputIsTheRuleTablesDerivativeAtEveryPoint(string activation)
    {
        var body = Body(activation);
        var derivative = TensorRules.DerivativeFromOutput(body);
        Assert.NotNull(derivative);
        foreach (double z in new[] { -3.0, -0.5, 0.0, 0.25, 2.0 })
        {
            double y = Evaluate(body, body.Outputs[0], z, 0);
            double slope = activation switch
            {
                "sigmoid" => y * (1 - y),
                "tanh" => 1 - (y * y),
                _ => z > 0 ? 1 : 0,
            };

            // Parameters: y, then the incoming gradient g = 3.
            Assert.Equal(3 * slope, Evaluate(derivative!, derivative!.Outputs[0], y, 3), 12);
        }
    }

    [Fact]
    public void AnActivationWhoseRuleReadsItsInputHasNoDerivativeFromItsOutput()
    {
        var builder = new GraphBuilder(isFloat: false);
        int gelu = ScalarBodies.Gelu(builder, builder.Parameter(0), tanh: false);
        Assert.Null(TensorRules.DerivativeFromOutput(builder.ToGraph(new[] { gelu })));
    }

    private static IrGraph Body(string activation)
    {
        var builder = new GraphBuilder(isFloat: false);
        int z = builder.Parameter(0);
        int y = activation switch
        {
            "sigmoid" => builder.Apply(Op.Sigmoid, z),
            "tanh" => builder.Apply(Op.Tanh, z),
            _ => ScalarBodies.Relu(builder, z),
        };
        return builder.ToGraph(new[] { y });
    }

    // The body's value with parameter 0 = a and parameter 1 = b, each primitive folded by its rule.
    private static double Evaluate(IrGraph graph, int output, double a, double b) => Formulas.FormulaPrinterTests.EvaluateIr(graph, output, a, b, out _, out _);
}
