using Gradgen.Nn;
using Gradgen.Optim;

namespace Gradgen.Tests.Optim;

/// <summary>What every optimizer shares: arguments and their errors, parameter groups, ZeroGrad, state dicts.</summary>
public class OptimizerBehaviourTests
{
    static Parameter P(params double[] values) => new(Tensor.FromArray(values));

    [Fact]
    public void Invalid_arguments_throw_pytorchs_messages()
    {
        var p = P(1);
        Assert.Contains("Invalid learning rate: -1", Assert.Throws<ArgumentException>(() => new Adam([p], lr: -1)).Message);
        Assert.Contains("Invalid epsilon value: -1", Assert.Throws<ArgumentException>(() => new Adam([p], eps: -1)).Message);
        Assert.Contains("Invalid beta parameter at index 0: 1", Assert.Throws<ArgumentException>(() => new Adam([p], beta1: 1)).Message);
        Assert.Contains("Invalid beta parameter at index 1: -0.1", Assert.Throws<ArgumentException>(() => new AdamW([p], beta2: -0.1)).Message);
        Assert.Contains("Invalid weight_decay value: -0.01", Assert.Throws<ArgumentException>(() => new AdamW([p], weightDecay: -0.01)).Message);
        Assert.Contains("Invalid alpha value: -1", Assert.Throws<ArgumentException>(() => new RMSprop([p], alpha: -1)).Message);
        Assert.Contains("Invalid momentum value: -1", Assert.Throws<ArgumentException>(() => new RMSprop([p], momentum: -1)).Message);
        Assert.Contains("Invalid epsilon value: -1", Assert.Throws<ArgumentException>(() => new RMSprop([p], eps: -1)).Message);
        Assert.Contains("Invalid lr_decay value: -1", Assert.Throws<ArgumentException>(() => new Adagrad([p], lrDecay: -1)).Message);
        Assert.Contains("Invalid initial_accumulator_value value: -1", Assert.Throws<ArgumentException>(() => new Adagrad([p], initialAccumulatorValue: -1)).Message);
        Assert.Contains("Invalid learning rate: NaN", Assert.Throws<ArgumentException>(() => new Adagrad([p], lr: double.NaN)).Message);
        Assert.Contains("empty parameter list", Assert.Throws<ArgumentException>(() => new Adam([])).Message);
        Assert.Contains("more than once", Assert.Throws<ArgumentException>(() => new Adam([new ParamGroup<AdamOptions>([p], new()), new ParamGroup<AdamOptions>([p], new())])).Message);
        Assert.Contains("Int64", Assert.Throws<ArgumentException>(() => new RMSprop([Tensor.FromArray(new long[] { 1 })])).Message);
    }

    [Fact]
    public void Defaults_are_pytorchs()
    {
        var p = P(1);
        var adam = new Adam([p]).Groups[0].Options;
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 0.0, false, false), (adam.Lr, adam.Beta1, adam.Beta2, adam.Eps, adam.WeightDecay, adam.Amsgrad, adam.Maximize));
        Assert.Equal(1e-2, new AdamW([p]).Groups[0].Options.WeightDecay);
        var rms = new RMSprop([p]).Groups[0].Options;
        Assert.Equal((1e-2, 0.99, 1e-8, 0.0, 0.0, false), (rms.Lr, rms.Alpha, rms.Eps, rms.WeightDecay, rms.Momentum, rms.Centered));
        var ada = new Adagrad([p]).Groups[0].Options;
        Assert.Equal((1e-2, 0.0, 0.0, 0.0, 1e-10), (ada.Lr, ada.LrDecay, ada.WeightDecay, ada.InitialAccumulatorValue, ada.Eps));
    }

    [Fact]
    public void Each_group_uses_its_own_options()
    {
        var a = P(1, 2);
        var b = P(3);
        var opt = new Sgd([new ParamGroup<SgdOptions>([a], new SgdOptions { Lr = 0.1 }), new ParamGroup<SgdOptions>([b], new SgdOptions { Lr = 0.5, WeightDecay = 1 })]);
        Assert.Equal(2, opt.ParamGroups.Count);
        a.Grad = Tensor.FromArray(new double[] { 1, 1 });
        b.Grad = Tensor.FromArray(new double[] { 1 });
        opt.Step();
        Assert.Equal([0.9, 1.9], a.ToArray<double>());
        Assert.Equal([3 - (0.5 * 4)], b.ToArray<double>());
        opt.ParamGroups[1].Lr = 0;
        opt.Step();
        Assert.Equal([1.0], b.ToArray<double>());
        Assert.Equal(0.8, a.ToArray<double>()[0], 1e-15);
    }

    [Fact]
    public void ZeroGrad_sets_to_null_or_zeroes_in_place()
    {
        var a = P(1, 2);
        var opt = new Adam([a]);
        (a * a).Sum().Backward();
        var grad = a.Grad!;
        opt.ZeroGrad(setToNone: false);
        Assert.Same(grad, a.Grad);
        Assert.Equal([0.0, 0.0], grad.ToArray<double>());
        opt.ZeroGrad();
        Assert.Null(a.Grad);
        opt.Step(); // no gradient: nothing moves and no state is made
        Assert.Equal([1.0, 2.0], a.ToArray<double>());
        Assert.Empty(opt.StateDict().State);
    }

    public static TheoryData<string> Kinds => new() { "Sgd", "Adam", "AdamW", "RMSprop", "Adagrad" };

    static Optimizer Make(string kind, IEnumerable<Tensor> parameters) => kind switch
    {
        "Sgd" => new Sgd(parameters, lr: 0.1, momentum: 0.9),
        "Adam" => new Adam(parameters, lr: 0.1, amsgrad: true),
        "AdamW" => new AdamW(parameters, lr: 0.1),
        "RMSprop" => new RMSprop(parameters, momentum: 0.5, centered: true),
        _ => new Adagrad(parameters, lrDecay: 0.1),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_state_dict_resumes_training_exactly(string kind)
    {
        var a = P(1, -2, 3);
        var b = P(0.5);
        var first = Make(kind, [a, b]);
        void Train(Optimizer o, Tensor x, Tensor y, int from, int count)
        {
            for (int t = from; t < from + count; t++)
            {
                o.ZeroGrad();
                ((x * x * (t + 1)).Sum() + (y * x.Sum() * Math.Sin(t))).Backward();
                o.Step();
            }
        }

        Train(first, a, b, 0, 3);
        var saved = first.StateDict();
        var a2 = P(a.ToArray<double>());
        var b2 = P(b.ToArray<double>());
        var resumed = Make(kind, [a2, b2]);
        resumed.ParamGroups[0].Lr = 123; // overwritten by the load
        resumed.LoadStateDict(saved);
        Assert.Equal(first.ParamGroups[0].Lr, resumed.ParamGroups[0].Lr);
        Train(first, a, b, 3, 4);
        Train(resumed, a2, b2, 3, 4);
        Assert.Equal(a.ToArray<double>(), a2.ToArray<double>());
        Assert.Equal(b.ToArray<double>(), b2.ToArray<double>());
    }

    [Fact]
    public void A_state_dict_has_pytorchs_names_and_copies()
    {
        var a = P(1, 2);
        var opt = new Adam([a], amsgrad: true);
        (a * a).Sum().Backward();
        opt.Step();
        var state = opt.StateDict();
        Assert.Equal([0], state.ParamGroups[0].Params);
        Assert.Equal(1e-3, state.ParamGroups[0].Options["lr"]);
        Assert.Equal(1, state.ParamGroups[0].Options["amsgrad"]);
        Assert.Equal(["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"], state.State[0].Keys.Order());
        Assert.Equal(1.0, state.State[0]["step"].Item<double>());
        var expAvg = state.State[0]["exp_avg"];
        Assert.Equal([0.2, 0.4], expAvg.ToArray<double>().Select(v => Math.Round(v, 12)));
        opt.Step();
        Assert.Equal([0.2, 0.4], expAvg.ToArray<double>().Select(v => Math.Round(v, 12))); // a copy, not the live buffer
    }

    [Fact]
    public void LoadStateDict_rejects_what_does_not_fit()
    {
        var a = P(1, 2);
        var opt = new Adam([a]);
        (a * a).Sum().Backward();
        opt.Step();
        var saved = opt.StateDict();
        Assert.Contains("1 parameters, the optimizer's has 2", Assert.Throws<ArgumentException>(() => new Adam([P(1), P(2)]).LoadStateDict(saved)).Message);
        Assert.Contains("shape [2], the parameter has shape [3]", Assert.Throws<ArgumentException>(() => new Adam([P(1, 2, 3)]).LoadStateDict(saved)).Message);
        Assert.Contains("unknown state entry 'exp_avg'", Assert.Throws<ArgumentException>(() => new Adagrad([P(1, 2)]).LoadStateDict(saved)).Message);
    }

    [Fact]
    public void Step_bumps_the_version_so_a_saved_graph_refuses_backward()
    {
        var l = new Linear(2, 1);
        var opt = new AdamW(l.Parameters());
        l.Call(Tensor.Ones(1, 2)).Sum().Backward();
        var pending = l.Call(Tensor.Ones(1, 2)).Sum();
        opt.Step();
        Assert.Throws<InvalidOperationException>(() => pending.Backward());
    }
}
