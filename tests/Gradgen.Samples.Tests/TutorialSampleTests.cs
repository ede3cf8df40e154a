using System.Globalization;
using System.Text.RegularExpressions;

namespace Gradgen.Samples.Tests;

/// <summary>
/// The tutorial sample prints what the seed (../shared/seed/pytorch-tutorial-es.txt) prints wherever the seed is
/// deterministic, in our words (<c>dtype=Int32</c>, shapes as <c>[2, 1, 5]</c>, node names without the digit), and
/// writes its plots.
/// </summary>
public sealed class TutorialSampleTests(TutorialRun run) : IClassFixture<TutorialRun>
{
    /// <summary>Each block is the seed's output for one step, followed by the C# expression that printed it.</summary>
    public static TheoryData<string, string> SeedOutputs => new()
    {
        { "Tensor.Zeros(10)", "tensor([0., 0., 0., 0., 0., 0., 0., 0., 0., 0.])" },
        { "Tensor.Ones(10)", "tensor([1., 1., 1., 1., 1., 1., 1., 1., 1., 1.])" },
        { "Tensor.Linspace(0, 9, steps: 10)", "tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])" },
        { "Tensor.FromArray(aList)", "tensor([0., 1., 2., 3., 4., 5., 6.])" },
        {
            "Tensor.FromArray(numpyArray)",
            """
            tensor([ 2.3634,  0.7277,  1.7162, -0.4610,  0.7706, -0.7328,  0.5429, -0.3567,
                     0.4777, -1.4907], dtype=Float64)
            """
        },
        { "(a.Ndim, a.Shape, a.DType)", "(3, [10, 20, 30], Float32)" },
        { "a.Device", "cpu" },
        { "Tensor.Zeros([10], DType.Int32, device: Device.Cpu)", "tensor([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=Int32)" },
        { "a", "tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])" },
        {
            "b",
            """
            tensor([[0., 1., 2., 3., 4.],
                    [5., 6., 7., 8., 9.]])
            """
        },
        {
            "b.T",
            """
            tensor([[0., 5.],
                    [1., 6.],
                    [2., 7.],
                    [3., 8.],
                    [4., 9.]])
            """
        },
        { "b.Flatten()", "tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])" },
        {
            "(c, c.Shape)",
            "(tensor([[[0., 1., 2., 3., 4.]],\n \n         [[5., 6., 7., 8., 9.]]]),\n [2, 1, 5])"
        },
        { "data", "tensor([0., 1., 2., 3., 4., 5.])" },
        { "data + 5", "tensor([ 5.,  6.,  7.,  8.,  9., 10.])" },
        { "2 * data", "tensor([ 0.,  2.,  4.,  6.,  8., 10.])" },
        { "data.Pow(2)", "tensor([ 0.,  1.,  4.,  9., 16., 25.])" },
        { "data.Log()", "tensor([  -inf, 0.0000, 0.6931, 1.0986, 1.3863, 1.6094])" },
        { "mask", "tensor([False, False, False, False,  True,  True])" },
        { "data[mask]", "tensor([4., 5.])" },
        {
            "(data.Unsqueeze(1), data2.Unsqueeze(0), data.Unsqueeze(1) * data2.Unsqueeze(0))",
            """
            (tensor([[0.],
                     [1.],
                     [2.],
                     [3.],
                     [4.],
                     [5.]]),
             tensor([[1., 1., 1., 1., 1., 1.]]),
             tensor([[0., 0., 0., 0., 0., 0.],
                     [1., 1., 1., 1., 1., 1.],
                     [2., 2., 2., 2., 2., 2.],
                     [3., 3., 3., 3., 3., 3.],
                     [4., 4., 4., 4., 4., 4.],
                     [5., 5., 5., 5., 5., 5.]]))
            """
        },
        { "x.Grad[..5]", "tensor([5., 5., 5., 5., 5.])" },
        { "z.GradFn", "<SinBackward>" },
        { "y.GradFn", "<DivBackward>" },
        { "y.GradFn", "<BumpBackward>" },
        { "y.GradFn.NextFunctions", "[<AccumulateGrad>]" },
        { "x.GradFn", "null" },
        { "x.IsLeaf", "True" },
        { "z.Detach().RequiresGrad", "False" },
    };

    [Theory]
    [MemberData(nameof(SeedOutputs))]
    public void Prints_what_the_seed_prints(string code, string expected)
    {
        string block = $"> {code}\n{expected.ReplaceLineEndings("\n")}\n";
        Assert.Contains(block, run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("12.1 The Tensor object")]
    [InlineData("12.2 Automatic differentiation with tensors")]
    [InlineData("12.3 The computation graph")]
    [InlineData("12.4 Building neural networks")]
    [InlineData("12.4.1 Fully connected layer")]
    [InlineData("12.4.2 Activation functions")]
    [InlineData("12.4.3 A multilayer perceptron")]
    public void Sections_appear_in_the_seeds_order(string title)
    {
        Assert.Contains("\n" + title + "\n", run.Output, StringComparison.Ordinal);
        string[] order = ["12.1 ", "12.2 ", "12.3 ", "12.4 ", "12.4.1 ", "12.4.2 ", "12.4.3 "];
        var positions = order.Select(t => run.Output.IndexOf("\n" + t, StringComparison.Ordinal)).ToList();
        Assert.Equal(positions.OrderBy(p => p), positions);
    }

    [Fact]
    public void The_autograd_derivative_matches_the_one_by_hand()
    {
        // The seed: torch.sum(torch.pow(x.grad.detach() - dydx, 2)) -> tensor(1.1211e-11, grad_fn=<SumBackward0>).
        var eager = Regex.Match(run.Output, @"> Tensor\.Sum\(Tensor\.Pow\(x\.Grad\.Detach\(\) - dydx, 2\)\)\ntensor\(([0-9.e+-]+), grad_fn=<SumBackward>\)\n");
        Assert.True(eager.Success, "the eager check is printed with grad_fn=<SumBackward>");
        Assert.InRange(double.Parse(eager.Groups[1].Value, CultureInfo.InvariantCulture), 0, 1e-9);

        var generated = Regex.Match(run.Output, @"max \|generated dy/dx - by hand\| = ([0-9.e+-]+)");
        Assert.True(generated.Success);
        Assert.InRange(double.Parse(generated.Groups[1].Value, CultureInfo.InvariantCulture), 0, 1e-5);
    }

    [Fact]
    public void The_graph_example_checks_dy_dx_and_dz_dx()
    {
        var m = Regex.Match(run.Output, @"max \|dy/dx - sin\(4x\)\| = ([0-9.e+-]+), max \|dz/dx - 2cos\(2x\)\| = ([0-9.e+-]+)");
        Assert.True(m.Success);
        Assert.InRange(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), 0, 1e-5);
        Assert.InRange(double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), 0, 1e-5);
        Assert.Contains("Trying to backward through the graph a second time", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_gpu_step_says_whether_there_is_a_gpu_and_continues()
    {
        var gpu = Assert.Single(System.Text.RegularExpressions.Regex.Matches(run.Output, @"> Cuda\.Register\(\)\n(True|False)\n"));
        if (gpu.Groups[1].Value == "True")
        {
            Assert.Contains("device='cuda:0'", run.Output, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("> data.Device\ncpu\n", run.Output, StringComparison.Ordinal);
        }

        Assert.Contains("\n12.2 ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_seeds_model_with_its_activation_module_compiles_into_one_node_equal_to_Forward()
    {
        // The seed keeps its sigmoid as a module field; the generator compiles Forward all the same.
        var model = new Gradgen.Tutorial.MultiLayerPerceptron(2, 2, 1);
        var x = Tensor.Randn(64, 2);
        var y = model.Call(x);
        Assert.Equal("MultiLayerPerceptronBackward", y.GradFn!.Name);
        var expected = model.Forward(x).ToArray<float>();
        var actual = y.ToArray<float>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void The_neural_network_section_prints_the_models_as_pytorch()
    {
        Assert.Contains("> dense\nLinear(in_features=3, out_features=2, bias=True)\n", run.Output, StringComparison.Ordinal);
        Assert.Contains("""
            MultiLayerPerceptron(
              (hidden): Linear(in_features=2, out_features=2, bias=True)
              (output): Linear(in_features=2, out_features=1, bias=True)
              (activation): Sigmoid()
            )
            """.ReplaceLineEndings("\n"), run.Output, StringComparison.Ordinal);
        Assert.Matches(@"\(Parameter containing:\n tensor\(\[\[[^\n]*\],\n         \[[^\n]*\]\], requires_grad=True\),\n Parameter containing:\n tensor\(\[[^\n]*\], requires_grad=True\)\)", run.Output);
        Assert.Contains("hidden.weight [2, 2]\nhidden.bias [2]\noutput.weight [1, 2]\noutput.bias [1]\n", run.Output, StringComparison.Ordinal);
        Assert.Contains("> (X.Shape, Y.Shape)\n([10000, 2], [10000, 1])\n", run.Output, StringComparison.Ordinal);
        Assert.Contains("""
            Sequential(
              (0): Linear(in_features=2, out_features=2, bias=True)
              (1): Sigmoid()
              (2): Linear(in_features=2, out_features=1, bias=True)
            )
            """.ReplaceLineEndings("\n"), run.Output, StringComparison.Ordinal);
        Assert.Contains("[0.weight, 0.bias, 2.weight, 2.bias]", run.Output, StringComparison.Ordinal);
        Assert.Contains("> (Y2 - Y).Abs().Max().Item<float>() < 1e-5f\nTrue\n", run.Output, StringComparison.Ordinal);
        Assert.Contains("> activation.Call(probe)\ntensor([0., 0., 2.])\n", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Writes_every_plot_as_a_non_empty_png()
    {
        string[] expected =
        [
            "12.2-linear.png", "12.2-gaussian-sine.png", "12.3-graph.png",
            "12.4-activation-sigmoid.png", "12.4-activation-relu.png", "12.4-activation-tanh.png",
        ];
        Assert.Equal(expected, run.Plots.Select(Path.GetFileName));
        byte[] signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        foreach (string path in run.Plots)
        {
            Assert.Equal(run.PlotDirectory, Path.GetDirectoryName(path));
            var info = new FileInfo(path);
            Assert.True(info.Exists, path);
            Assert.True(info.Length > 1000, $"{path} has {info.Length} bytes");
            byte[] bytes = File.ReadAllBytes(path);
            Assert.Equal(signature, bytes[..8]);
            Assert.Contains(path, run.Output, StringComparison.Ordinal);
        }
    }
}
