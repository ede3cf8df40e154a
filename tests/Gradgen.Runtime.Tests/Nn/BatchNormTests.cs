using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>
/// BatchNorm1d/BatchNorm2d against values from PyTorch 1.13 (computed once by the script below, pasted as constants):
/// training and evaluation outputs, gradients, running statistics, the cumulative average, printing, state dict.
/// </summary>
/// <remarks>
/// <code>
/// import torch, math
/// def seq(n, a=0.7, b=0.3):
///     return torch.tensor([math.sin(a*i+b)*(1+(i%3)*0.5) for i in range(n)], dtype=torch.float64)
/// x = seq(24).reshape(2,3,2,2)
/// bn = torch.nn.BatchNorm2d(3, momentum=0.1).double()
/// with torch.no_grad():
///     bn.weight.copy_(torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64))
///     bn.bias.copy_(torch.tensor([0.1, 0.2, -0.3], dtype=torch.float64))
/// xr = x.clone().requires_grad_(True)
/// y = bn(xr)
/// v = seq(24, 1.3, -0.2).reshape(2,3,2,2)
/// (y*v).sum().backward()
/// # printed: y, bn.running_mean, bn.running_var, xr.grad, bn.weight.grad, bn.bias.grad
/// bn(x*2+1)    # printed: running_mean, running_var (rm2, rv2), num_batches_tracked
/// bn.eval(); xe = x.clone().requires_grad_(True); ye = bn(xe); (ye*v).sum().backward()   # printed: ye, xe.grad
/// b1 = torch.nn.BatchNorm1d(3, momentum=None).double(); x1 = seq(12).reshape(4,3)
/// b1(x1); b1(x1*3-1); b1(x1.flip(0)*0.5)    # printed: running_mean, running_var (cumulative)
/// b = torch.nn.BatchNorm1d(3); y = b(seq(24).reshape(2,3,4).float())   # printed: y (float32, [N, C, L])
/// </code>
/// </remarks>
public class BatchNormTests
{
    static readonly double[] Y = [0.08007894551731672, 0.5593981886970123, 0.9169580403306736, 0.26846889605690366, -0.4145325853810006, 1.0301876307931912, 0.7536359915125997, 1.1441692653418025, -2.575908726293135, -0.6775484651091014, 1.0502378586312162, 2.310193317338186, 0.26227392767310737, -0.048024161258019483, -0.6863178939678144, -0.5528359430491798, 1.1306849347981607, 0.46036235093212075, -0.7123354353591126, -1.7921721526377616, 2.3009235727303023, -0.07048146664256622, -1.2144550128302378, -3.5229610778246636];
    static readonly double[] RunningMean = [0.03356967907174046, -0.04846845693205865, 0.05222153297164837];
    static readonly double[] RunningVar = [1.0162114863639695, 0.9905648165335093, 1.0423392837831524];
    static readonly double[] Dx = [-0.081138114301958, 0.35171709114025834, 0.11366831656363056, -0.3744529264952467, 1.1020293005276847, 0.705930250822664, -0.5843126950559613, -0.0013142162600076105, -0.07778601131715096, -1.1775917686646218, -0.8425140848435603, 0.7633115872773772, 0.04280271534146472, -0.5174664462887308, -0.20212831817260296, 0.666997682213185, -0.826722643164369, 0.04323165922362789, 0.27758099548459375, -0.7164226515782325, -0.5904249391774518, 1.3922262306998254, 0.6311796955804695, -0.09840070955488608];
    static readonly double[] Dw = [5.528693602844129, -6.198613090666471, 9.591388417867623];
    static readonly double[] Db = [-0.059971513963481105, 0.15035101002769136, 0.0638072207820728];
    static readonly double[] RunningMean2 = [0.19735206930804736, -0.0405585251029701, 0.2514424456177803];
    static readonly double[] RunningVar2 = [1.3794362831834504, 1.2537676010141952, 1.5074624905374465];
    static readonly double[] YEval = [0.1417915191580308, 0.5533230902433196, 0.8603150785550808, 0.30353844133025587, 0.10807583601257456, 1.2566525814278406, 1.0367894008423895, 1.3472698880739957, -1.9276307531481869, -0.20210242134924747, 1.3683814925149982, 2.5136271475455114, 0.29821959567971396, 0.031805380394983915, -0.5162177302429463, -0.40161344978746444, 1.3365496196673325, 0.8036319494252363, -0.12868241265999006, -0.9871706710967875, 2.5052013459331945, 0.3496955311114739, -0.6901275230985552, -2.7884608588338224];
    static readonly double[] DxEval = [-0.08457625221261789, 0.5690987493388014, 0.5751078346114946, -0.22555849413446993, 1.2845923114718956, -0.030032273814511942, -0.8644284723809121, -0.6711766060140217, -2.2801088496596313, -1.426059754942956, 0.5656736952570014, 3.2556316455258862, 0.12904163157847595, -0.5345740623792176, -0.6394110911556937, 0.18534099035909396, -1.3180592133375746, -0.16258036789956157, 0.8352160842545627, 0.7921932484842039, 2.0160912166531566, 1.502588439306626, -0.30624647023176216, -3.223631737433014];
    static readonly double[] CumulativeMean = [-0.21896034593554392, 0.1448105735008157, 0.41313304264383766];
    static readonly double[] CumulativeVar = [1.791415757703941, 5.209300250510197, 10.153116432643987];
    static readonly float[] Y1d3 = [-0.039842091500759125f, 0.9187963604927063f, 1.6339161396026611f, 0.336937814950943f, 0.6145325899124146f, -0.8301876187324524f, -0.5536360144615173f, -0.944169282913208f, -1.1379543542861938f, -0.1887742280960083f, 0.6751189231872559f, 1.3050966262817383f, 0.3245478868484497f, -0.2960483133792877f, -1.5726357698440552f, -1.3056719303131104f, -0.9306849837303162f, -0.2603623569011688f, 0.9123354554176331f, 1.9921722412109375f, 1.300461769104004f, 0.11475929617881775f, -0.4572274684906006f, -1.611480474472046f];

    /// <summary>The script's <c>seq</c>: sin(a·i + b)·(1 + (i mod 3)/2).</summary>
    static double[] Seq(int n, double a = 0.7, double b = 0.3) =>
        Enumerable.Range(0, n).Select(i => Math.Sin((a * i) + b) * (1 + (i % 3 * 0.5))).ToArray();

    static BatchNorm2d Layer()
    {
        var bn = new BatchNorm2d(3, dtype: DType.Float64);
        using (Gradgen.Autograd.NoGrad())
        {
            bn.Weight!.CopyFrom(Tensor.FromArray(new[] { 0.5, -1.0, 2.0 }));
            bn.Bias!.CopyFrom(Tensor.FromArray(new[] { 0.1, 0.2, -0.3 }));
        }

        return bn;
    }

    [Fact]
    public void Training_matches_PyTorch_outputs_gradients_and_running_statistics()
    {
        var bn = Layer();
        var x = Tensor.FromArray(Seq(24)).Reshape(2, 3, 2, 2);
        x.RequiresGrad = true;
        var y = bn.Call(x);
        Assert.Equal("NativeBatchNormBackward", y.GradFn!.Name);
        (y * Tensor.FromArray(Seq(24, 1.3, -0.2)).Reshape(2, 3, 2, 2)).Sum().Backward();
        Close.All(Y, y.ToArray<double>(), 1e-12);
        Close.All(Dx, x.Grad!.ToArray<double>(), 1e-12);
        Close.All(Dw, bn.Weight!.Grad!.ToArray<double>(), 1e-12);
        Close.All(Db, bn.Bias!.Grad!.ToArray<double>(), 1e-12);
        Close.All(RunningMean, bn.RunningMean!.ToArray<double>(), 1e-14);
        Close.All(RunningVar, bn.RunningVar!.ToArray<double>(), 1e-14);

        bn.Call((x.Detach() * 2) + 1);
        Close.All(RunningMean2, bn.RunningMean!.ToArray<double>(), 1e-14);
        Close.All(RunningVar2, bn.RunningVar!.ToArray<double>(), 1e-14);
        Assert.Equal(2L, bn.NumBatchesTracked!.Item<long>());
    }

    [Fact]
    public void Evaluation_uses_the_running_statistics_and_does_not_update_them()
    {
        var bn = Layer();
        var x = Tensor.FromArray(Seq(24)).Reshape(2, 3, 2, 2);
        bn.Call(x);
        bn.Call((x * 2) + 1);
        bn.Eval();
        var xe = x.Clone();
        xe.RequiresGrad = true;
        var ye = bn.Call(xe);
        (ye * Tensor.FromArray(Seq(24, 1.3, -0.2)).Reshape(2, 3, 2, 2)).Sum().Backward();
        Close.All(YEval, ye.ToArray<double>(), 1e-12);
        Close.All(DxEval, xe.Grad!.ToArray<double>(), 1e-12);
        Close.All(RunningMean2, bn.RunningMean!.ToArray<double>(), 1e-14);
        Assert.Equal(2L, bn.NumBatchesTracked!.Item<long>());
    }

    [Fact]
    public void Momentum_null_keeps_the_cumulative_average()
    {
        var bn = new BatchNorm1d(3, momentum: null, dtype: DType.Float64);
        var x = Tensor.FromArray(Seq(12)).Reshape(4, 3);
        bn.Call(x);
        bn.Call((x * 3) - 1);
        bn.Call(Tensor.FromArray(Seq(12).Chunk(3).Reverse().SelectMany(row => row).ToArray()).Reshape(4, 3) * 0.5);   // x1.flip(0)
        Close.All(CumulativeMean, bn.RunningMean!.ToArray<double>(), 1e-14);
        Close.All(CumulativeVar, bn.RunningVar!.ToArray<double>(), 1e-13);
    }

    [Fact]
    public void BatchNorm1d_over_N_C_L_in_float32_matches_PyTorch()
    {
        var bn = new BatchNorm1d(3);
        var y = bn.Call(Tensor.FromArray(Seq(24)).Reshape(2, 3, 4).To(DType.Float32));
        Close.All(Y1d3, y.ToArray<float>(), 2e-6);
    }

    [Fact]
    public void Without_running_statistics_evaluation_normalises_with_the_batch()
    {
        var bn = new BatchNorm2d(3, affine: false, trackRunningStats: false, dtype: DType.Float64);
        Assert.Empty(bn.StateDict());
        bn.Eval();
        var x = Tensor.FromArray(Seq(24)).Reshape(2, 3, 2, 2);
        var reference = Layer();
        using (Gradgen.Autograd.NoGrad())
        {
            reference.Weight!.Fill(1);
            reference.Bias!.Fill(0);
        }

        Close.All(reference.Call(x).ToArray<double>(), bn.Call(x).ToArray<double>(), 1e-14);
    }

    [Fact]
    public void Prints_and_names_its_state_as_PyTorch()
    {
        Assert.Equal("BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", new BatchNorm2d(16).ToString());
        Assert.Equal("BatchNorm1d(4, eps=0.001, momentum=None, affine=False, track_running_stats=False)",
            new BatchNorm1d(4, eps: 1e-3, momentum: null, affine: false, trackRunningStats: false).ToString());
        var state = new BatchNorm2d(2).StateDict();
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], state.Keys);
        Assert.Equal(DType.Int64, state["num_batches_tracked"].DType);
        Assert.Equal(0, state["num_batches_tracked"].Ndim);
        Assert.Equal(["weight", "bias"], new BatchNorm2d(2).NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Errors_name_the_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Call(Tensor.Zeros(2, 3, 4)));
        Assert.Contains("4-D", e.Message);
        Assert.Contains("[2, 3, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Call(Tensor.Zeros(2, 3, 4, 5)));
        Assert.Contains("[2, 3, 4, 5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Call(Tensor.Zeros(2, 4, 5, 5)));
        Assert.Contains("[2, 4, 5, 5]", e.Message);
        Assert.Contains("num_features is 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => new BatchNorm1d(3).Call(Tensor.Zeros(1, 3)));
        Assert.Contains("more than 1 value per channel", e.Message);
        e = Assert.Throws<ArgumentException>(() => Functional.BatchNorm(Tensor.Zeros(2, 3), Tensor.Zeros(4), Tensor.Ones(3)));
        Assert.Contains("running_mean has shape [4]", e.Message);
    }

    [Fact]
    public void Fused_kernel_matches_the_composed_operations_in_float32()
    {
        RandomGenerator.ManualSeed(5);
        var x = (Tensor.Randn(8, 4, 5, 5) * 3) + 1;
        var w = Tensor.Randn(4);
        var b = Tensor.Randn(4);
        var (rm1, rv1, rm2, rv2) = (Tensor.Zeros(4), Tensor.Ones(4), Tensor.Zeros(4), Tensor.Ones(4));
        var fused = Functional.BatchNorm(x, rm1, rv1, w, b, training: true);
        var composed = Functional.BatchNormComposite(x, rm2, rv2, w, b, training: true, momentum: 0.1, eps: 1e-5);
        Close.All(composed.ToArray<float>(), fused.ToArray<float>(), 1e-5);
        Close.All(rm2.ToArray<float>(), rm1.ToArray<float>(), 1e-6);
        Close.All(rv2.ToArray<float>(), rv1.ToArray<float>(), 1e-5);
    }

    /// <summary>Rows of 35 elements: whole vectors of the fused kernel's sums and passes, and a tail.</summary>
    [Theory]
    [InlineData(DType.Float32, 1e-4)]
    [InlineData(DType.Float64, 1e-12)]
    public void Fused_gradients_match_the_composed_operations(DType dtype, double tolerance)
    {
        RandomGenerator.ManualSeed(7);
        var x = ((Tensor.Randn([4, 3, 5, 7], DType.Float64) * 2) + 1).To(dtype);
        var v = Tensor.Randn([4, 3, 5, 7], DType.Float64).To(dtype);
        var parameters = new[] { Tensor.Randn([3], DType.Float64).To(dtype), Tensor.Randn([3], DType.Float64).To(dtype) };
        Tensor[] Gradients(Func<Tensor, Tensor, Tensor, Tensor> batchNorm)
        {
            var inputs = new[] { x.Detach(), parameters[0].Detach(), parameters[1].Detach() };
            foreach (var t in inputs) t.RequiresGrad = true;
            (batchNorm(inputs[0], inputs[1], inputs[2]) * v).Sum().Backward();
            return [.. inputs.Select(t => t.Grad!.To(DType.Float64))];
        }

        var fused = Gradients((input, w, b) => Functional.BatchNorm(input, null, null, w, b, training: true));
        var composed = Gradients((input, w, b) => Functional.BatchNormComposite(input, null, null, w, b, training: true, momentum: 0.1, eps: 1e-5));
        for (int i = 0; i < 3; i++)
        {
            Close.All(composed[i].ToArray<double>(), fused[i].ToArray<double>(), tolerance);
        }
    }

    // ---- gradients against finite differences (float64) ----

    static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var r = GradCheck.Run(f, inputs);
        Assert.True(r.Passed, r.ToString());
    }

    [Fact]
    public void Training_gradients_of_input_weight_and_bias_agree_with_finite_differences()
    {
        RandomGenerator.ManualSeed(3);
        Check(t => Functional.BatchNorm(t[0], null, null, t[1], t[2], training: true), Tensor.Randn([3, 2, 2, 3], DType.Float64), Tensor.Randn([2], DType.Float64), Tensor.Randn([2], DType.Float64));
    }

    [Fact]
    public void Training_gradient_of_a_2d_input_without_affine_agrees_with_finite_differences()
    {
        RandomGenerator.ManualSeed(4);
        Check(t => Functional.BatchNorm(t[0], null, null, training: true), Tensor.Randn([5, 3], DType.Float64));
    }

    [Fact]
    public void Evaluation_gradients_agree_with_finite_differences()
    {
        RandomGenerator.ManualSeed(6);
        var mean = Tensor.Randn([2], DType.Float64);
        var variance = Tensor.Rand([2], DType.Float64) + 0.5;
        Check(t => Functional.BatchNorm(t[0], mean, variance, t[1], t[2], training: false), Tensor.Randn([3, 2, 4], DType.Float64), Tensor.Randn([2], DType.Float64), Tensor.Randn([2], DType.Float64));
    }
}
