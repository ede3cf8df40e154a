namespace Gradgen.Tutorial.Sections;

/// <summary>Section 12.3 of the seed: the computation graph x → z = sin(2x) → y = z²/2, and Backward on each node.</summary>
public static class ComputationGraph
{
    /// <summary>Runs the section.</summary>
    public static void Run(Notebook nb)
    {
        nb.Section("12.3 The computation graph");
        nb.Say("When operations are chained, Gradgen records a computation graph, here x -> z = f1(x) -> y = f2(z).");
        nb.Say("Backward() applies the chain rule from a node down to the leaves that have requiresGrad: true:");
        nb.Say("y.Backward stores dy/dx in x.Grad, z.Backward stores dz/dx in x.Grad. Its argument is the derivative of");
        nb.Say("the stage above; without one the output must be a scalar, and the gradient 1 is used.");

        var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);
        nb.Code("var x = Tensor.Linspace(0, 10, steps: 1000, requiresGrad: true);   // a leaf");
        nb.Show("x.GradFn", x.GradFn);
        nb.Show("x.IsLeaf", x.IsLeaf);
        var z = Tensor.Sin(2 * x);
        nb.Code("var z = Tensor.Sin(2 * x);");
        nb.Show("z.GradFn", z.GradFn);
        var y = z.Pow(2) / 2;
        nb.Code("var y = z.Pow(2) / 2;");
        nb.Show("y.GradFn", y.GradFn);

        nb.Say("Each node's NextFunctions lead towards the inputs (null for an input that needs no gradient, such as");
        nb.Say("the constant 2); AccumulateGrad is where a leaf's Grad is written. The graph of y:");
        PrintGraph(nb, y.GradFn!, "");

        y.Backward(Tensor.OnesLike(x), retainGraph: true);
        nb.Code("y.Backward(Tensor.OnesLike(x), retainGraph: true);   // keep the graph: z.Backward below reuses it");
        var dydx = x.Grad!.Clone();
        nb.Code("var dydx = x.Grad.Clone();");
        x.Grad = null;
        nb.Code("x.Grad = null;   // clear the result in x.Grad, or z.Backward would add to it");
        z.Backward(Tensor.OnesLike(x));
        nb.Code("z.Backward(Tensor.OnesLike(x));");
        var dzdx = x.Grad!;
        nb.Code("var dzdx = x.Grad;");
        nb.Show("(dydx[..5], dzdx[..5])", (dydx[..5], dzdx[..5]));
        nb.Plot("12.3-graph.png", "z = sin(2x), y = z²/2 and their derivatives", x, ("z", z), ("y", y), ("dy/dx", dydx), ("dz/dx", dzdx));

        nb.Say("By hand, dy/dx = z·dz/dx = sin(2x)·2cos(2x) = sin(4x) and dz/dx = 2cos(2x):");
        var xd = x.Detach();
        double errY = (dydx - Tensor.Sin(4 * xd)).Abs().Max().Item<float>();
        double errZ = (dzdx - (2 * Tensor.Cos(2 * xd))).Abs().Max().Item<float>();
        nb.Say(FormattableString.Invariant($"max |dy/dx - sin(4x)| = {errY:0.0e+0}, max |dz/dx - 2cos(2x)| = {errZ:0.0e+0}"));

        nb.Say("The second Backward had no retainGraph: the tensors saved by SinBackward are freed, and PyTorch's error follows:");
        nb.Code("y.Backward(Tensor.OnesLike(x));");
        try
        {
            y.Backward(Tensor.OnesLike(x));
        }
        catch (InvalidOperationException e)
        {
            nb.Say($"{e.GetType().Name}: {e.Message}");
        }

        nb.Say("Detach() returns a tensor that shares the data but is cut off from the graph:");
        nb.Show("z.Detach().RequiresGrad", z.Detach().RequiresGrad);
        nb.Show("z.Detach().GradFn", z.Detach().GradFn);
    }

    /// <summary>The names of the operation nodes (not AccumulateGrad) reachable from <paramref name="root"/>, each once, root first.</summary>
    public static List<string> Nodes(GradFn root)
    {
        var seen = new HashSet<GradFn>(ReferenceEqualityComparer.Instance);
        var names = new List<string>();
        var stack = new Stack<GradFn>([root]);
        while (stack.TryPop(out var node))
        {
            if (node is AccumulateGrad || !seen.Add(node))
            {
                continue;
            }

            names.Add(node.Name);
            for (int i = node.NextFunctions.Count - 1; i >= 0; i--)
            {
                if (node.NextFunctions[i] is { } next)
                {
                    stack.Push(next);
                }
            }
        }

        return names;
    }

    static void PrintGraph(Notebook nb, GradFn node, string indent, string branch = "")
    {
        string label = node is AccumulateGrad leaf ? $"AccumulateGrad (a leaf of shape {leaf.Variable.Shape})" : node.Name;
        nb.Say("    " + indent + branch + label);
        string childIndent = indent + (branch.Length == 0 ? "" : branch == "└─ " ? "   " : "│  ");
        var next = node.NextFunctions;
        for (int i = 0; i < next.Count; i++)
        {
            string b = i == next.Count - 1 ? "└─ " : "├─ ";
            if (next[i] is { } child)
            {
                PrintGraph(nb, child, childIndent, b);
            }
            else
            {
                nb.Say("    " + childIndent + b + "null");
            }
        }
    }
}
