namespace Gradgen.Tutorial.Sections;

/// <summary>
/// Section 12.2 of the seed: automatic differentiation — y = 5x − 20 and the Gaussian-windowed sine, by eager
/// autograd and by the generated tensor overload of the <c>[Differentiable]</c> <see cref="Curves.Bump(float)"/>,
/// checked against the derivative by hand.
/// </summary>
public static class AutoDifferentiation
{
    /// <summary>Runs the section.</summary>
    public static void Run(Notebook nb)
    {
        nb.Section("12.2 Automatic differentiation with tensors");
        nb.Say("Neural networks are trained by gradient descent, so we need the derivatives of the loss with respect to");
        nb.Say("every parameter. Like PyTorch's autograd, Gradgen records the operations on tensors and differentiates them:");
        nb.Say("  1. the inputs are tensors created with requiresGrad: true (leaves of the graph),");
        nb.Say("  2. we call Backward() on the result,");
        nb.Say("  3. the derivative is stored in the input's Grad.");

        Line(nb);
        var (dydx, eagerNodes) = GaussianSine(nb);
        Generated(nb, dydx, eagerNodes);
    }

    static void Line(Notebook nb)
    {
        nb.Heading("Example: y = 5x - 20");
        var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);
        nb.Code("var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);");
        nb.Say("(1000 points: printed in full, as PyTorch prints up to 1000 elements; we look at the first five)");
        nb.Show("x[..5]", x[..5]);
        var y = (5 * x) - 20;
        nb.Code("var y = 5 * x - 20;");
        nb.Show("y[..5]", y[..5]);
        y.Backward(Tensor.OnesLike(x));
        nb.Code("y.Backward(Tensor.OnesLike(x));");
        nb.Show("x.Grad[..5]", x.Grad![..5]);
        nb.Plot("12.2-linear.png", "y = 5x - 20 and its derivative", x, ("y", y), ("dy/dx", x.Grad!));
    }

    static (Tensor ByHand, List<string> EagerNodes) GaussianSine(Notebook nb)
    {
        nb.Heading("Example: a Gaussian-windowed sine, y = sin(2πx)·exp(-(x-5)²/3)");
        var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);
        nb.Code("var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);");
        var y = Tensor.Sin(2.0 * Math.PI * x) * Tensor.Exp(-(x - 5).Pow(2) / 3);
        nb.Code("var y = Tensor.Sin(2.0 * Math.PI * x) * Tensor.Exp(-(x - 5).Pow(2) / 3);");
        nb.Show("y.GradFn", y.GradFn);
        var nodes = ComputationGraph.Nodes(y.GradFn!);
        y.Backward(Tensor.OnesLike(x));
        nb.Code("y.Backward(Tensor.OnesLike(x));");
        nb.Show("x.Grad[..5]", x.Grad![..5]);
        nb.Plot("12.2-gaussian-sine.png", "y = sin(2πx)·exp(-(x-5)²/3) and its derivative", x, ("y", y), ("dy/dx", x.Grad!));

        nb.Say("Compared with the derivative computed by hand:");
        var dydx = (2 * Math.PI * Tensor.Cos(2.0 * Math.PI * x) * Tensor.Exp(-(x - 5).Pow(2) / 3))
            - (2.0 / 3 * (x - 5) * Tensor.Sin(2.0 * Math.PI * x) * Tensor.Exp(-(x - 5).Pow(2) / 3));
        nb.Code("var dydx = 2 * Math.PI * Tensor.Cos(2.0 * Math.PI * x) * Tensor.Exp(-(x - 5).Pow(2) / 3)\n"
            + "    - 2.0 / 3 * (x - 5) * Tensor.Sin(2.0 * Math.PI * x) * Tensor.Exp(-(x - 5).Pow(2) / 3);");
        nb.Show("Tensor.Sum(Tensor.Pow(x.Grad.Detach() - dydx, 2))", Tensor.Sum(Tensor.Pow(x.Grad!.Detach() - dydx, 2)));
        nb.Say("(the sum of squared differences over 1000 points: float32 rounding, as the seed's 1.1211e-11)");
        return (dydx.Detach(), nodes);
    }

    static void Generated(Notebook nb, Tensor byHand, List<string> eagerNodes)
    {
        nb.Heading("The same function, differentiated at compile time");
        nb.Say("Curves.cs declares the function once, as ordinary C#:");
        nb.Say("    [Differentiable]");
        nb.Say("    public static float Bump(float x) => MathF.Sin(2 * MathF.PI * x) * MathF.Exp(-(x - 5) * (x - 5) / 3);");
        nb.Say("The Gradgen source generator differentiates it while compiling and adds a tensor overload Bump(Tensor):");
        nb.Say("one fused SIMD kernel forward and ONE graph node, BumpBackward, whose backward is the generated derivative");
        nb.Say($"(the eager version above recorded {eagerNodes.Count} nodes: {string.Join(", ", eagerNodes)}).");

        var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);
        nb.Code("var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);");
        var y = Curves.Bump(x);
        nb.Code("var y = Curves.Bump(x);");
        nb.Show("y.GradFn", y.GradFn);
        nb.Show("y.GradFn.NextFunctions", y.GradFn!.NextFunctions);
        y.Backward(Tensor.OnesLike(x));
        nb.Code("y.Backward(Tensor.OnesLike(x));");
        nb.Show("x.Grad[..5]", x.Grad![..5]);

        nb.Say("The derivative from the generated kernel against the derivative by hand (same check as above):");
        nb.Show("Tensor.Sum(Tensor.Pow(x.Grad.Detach() - dydx, 2))", Tensor.Sum(Tensor.Pow(x.Grad!.Detach() - byHand, 2)));
        double maxError = (x.Grad - byHand).Abs().Max().Item<float>();
        nb.Say(FormattableString.Invariant($"max |generated dy/dx - by hand| = {maxError:0.0e+0}"));

        nb.Say("And at single points, the generated scalar BumpWithGradient (float) against the hand formula (double):");
        nb.Say($"{"x",6} {"Bump(x)",12} {"generated d/dx",16} {"by hand",14} {"error",10}");
        foreach (float p in new[] { 0f, 2.5f, 4f, 4.75f, 5f, 5.3f, 6f, 7.5f, 10f })
        {
            float value = Curves.BumpWithGradient(p, out float derivative);
            double hand = Curves.BumpDerivativeByHand(p);
            nb.Say(FormattableString.Invariant(
                $"{p,6:0.00} {value,12:0.000000} {derivative,16:0.000000} {hand,14:0.000000} {Math.Abs(derivative - hand),10:0.0e+0}"));
        }
    }
}
