using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>The seed's model (section 12.4.3): fields only, registered by discovery.</summary>
public sealed class MultiLayerPerceptron : Module
{
    readonly Linear hidden, output;
    readonly Sigmoid activation = new();

    public MultiLayerPerceptron(int inputDim, int hiddenDim, int outputDim)
    {
        hidden = new Linear(inputDim, hiddenDim);
        output = new Linear(hiddenDim, outputDim);
    }

    public Linear Hidden => hidden;

    public Linear Output => output;

    public override Tensor Forward(Tensor x) => output.Forward(activation.Call(hidden.Forward(x)));
}

/// <summary>A module nesting another through an auto-property and registering a parameter explicitly.</summary>
public sealed class Outer : Module
{
    public Outer()
    {
        Scale = new Parameter(Tensor.Ones(1));
        RegisterParameter("scale", Scale);
        Inner = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
    }

    public Parameter Scale { get; }

    public Sequential Inner { get; }

    public Linear Head { get; } = new Linear(2, 1, bias: false);

    public override Tensor Forward(Tensor x) => Head.Call(Inner.Call(x)) * Scale;
}

[Collection(Gradgen.Runtime.Tests.Devices.DeviceBackendCollection.Name)]
public class ModuleTests
{
    public ModuleTests() => RandomGenerator.ManualSeed(3);

    [Fact]
    public void Named_parameters_of_the_seed_mlp_follow_field_order()
    {
        var m = new MultiLayerPerceptron(2, 2, 1);
        Assert.Equal(["hidden.weight", "hidden.bias", "output.weight", "output.bias"], m.NamedParameters().Select(p => p.Name));
        Assert.Same(m.Hidden.Weight, m.NamedParameters().First().Parameter);
        Assert.Equal(["hidden", "output", "activation"], m.NamedChildren().Select(c => c.Name));
        Assert.Equal(4, m.Parameters().Count());
        Assert.Equal("[2, 2]", m.Hidden.Weight.Shape.ToString());
        Assert.Equal("[1, 2]", m.Output.Weight.Shape.ToString());
    }

    [Fact]
    public void Nested_names_put_explicit_registrations_first_then_discovered_fields()
    {
        var m = new Outer();
        Assert.Equal(["scale", "Inner.0.weight", "Inner.0.bias", "Inner.2.weight", "Inner.2.bias", "Head.weight"], m.NamedParameters().Select(p => p.Name));
        Assert.Equal(["", "Inner", "Inner.0", "Inner.1", "Inner.2", "Head"], m.NamedModules().Select(p => p.Name));
        Assert.Equal(m.NamedParameters().Select(p => p.Name), m.StateDict().Keys);
    }

    [Fact]
    public void Sequential_names_children_by_index_and_is_indexable()
    {
        var s = new Sequential(new Linear(2, 2), new Sigmoid());
        s.Add(new Linear(2, 1));
        Assert.Equal(3, s.Count);
        Assert.IsType<Sigmoid>(s[1]);
        Assert.IsType<Linear>(s[^1]);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], s.NamedParameters().Select(p => p.Name));
        Assert.Equal(["0", "1", "2"], s.NamedChildren().Select(c => c.Name));
    }

    [Fact]
    public void Sequential_equals_composing_the_layers_by_hand()
    {
        var l1 = new Linear(2, 3);
        var l2 = new Linear(3, 1);
        var s = new Sequential(l1, new Tanh(), l2);
        var x = Tensor.Rand(5, 2);
        var bySeq = s.Call(x);
        var byHand = l2.Forward(Tensor.Tanh(l1.Forward(x)));
        Assert.Equal(byHand.ToArray<float>(), bySeq.ToArray<float>());
        bySeq.Sum().Backward();
        var g1 = l1.Weight.Grad!.ToArray<float>();
        s.ZeroGrad();
        Assert.Null(l1.Weight.Grad);
        byHand = l2.Forward(Tensor.Tanh(l1.Forward(x)));
        byHand.Sum().Backward();
        Assert.Equal(g1, l1.Weight.Grad!.ToArray<float>());
    }

    [Fact]
    public void A_shared_module_is_listed_once()
    {
        var l = new Linear(2, 2);
        var s = new Sequential(l, l);
        Assert.Equal(["0.weight", "0.bias"], s.NamedParameters().Select(p => p.Name));
        Assert.Single(s.Children());
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], s.StateDict().Keys);
    }

    [Fact]
    public void Linear_follows_pytorch_init_bounds_and_layout()
    {
        var l = new Linear(16, 300);
        Assert.Equal("[300, 16]", l.Weight.Shape.ToString());
        Assert.Equal("[300]", l.Bias!.Shape.ToString());
        var w = l.Weight.ToArray<float>();
        Assert.All(w, v => Assert.InRange(v, -0.25f, 0.25f));
        Assert.True(w.Max() > 0.2f && w.Min() < -0.2f, "the weights should fill (−1/√16, 1/√16)");
        Assert.All(l.Bias.ToArray<float>(), v => Assert.InRange(v, -0.25f, 0.25f));
        Assert.True(l.Weight.RequiresGrad && l.Weight.IsLeaf);
        Assert.Null(new Linear(3, 2, bias: false).Bias);
        Assert.Equal(["weight"], new Linear(3, 2, bias: false).NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Parameter_prints_as_pytorch()
    {
        var p = new Parameter(Tensor.FromArray(new float[,] { { 0.6125f, 0.4714f }, { 0.0419f, 0.5960f } }));
        Assert.Equal("Parameter containing:\ntensor([[0.6125, 0.4714],\n        [0.0419, 0.5960]], requires_grad=True)", p.ToString());
        var frozen = new Parameter(Tensor.FromArray(new[] { -0.2507f }), requiresGrad: false);
        Assert.Equal("Parameter containing:\ntensor([-0.2507])", frozen.ToString());
    }

    [Fact]
    public void Parameter_shares_the_data_it_is_made_from()
    {
        var t = Tensor.Zeros(3);
        var p = new Parameter(t);
        using (Gradgen.Autograd.NoGrad()) p.Fill(2);
        Assert.Equal([2f, 2f, 2f], t.ToArray<float>());
        Assert.Throws<InvalidOperationException>(() => new Parameter(Tensor.Arange(3)));
    }

    [Fact]
    public void Module_prints_its_tree_as_pytorch()
    {
        var m = new MultiLayerPerceptron(2, 2, 1);
        Assert.Equal(
            "MultiLayerPerceptron(\n" +
            "  (hidden): Linear(in_features=2, out_features=2, bias=True)\n" +
            "  (output): Linear(in_features=2, out_features=1, bias=True)\n" +
            "  (activation): Sigmoid()\n" +
            ")", m.ToString());
        Assert.Equal("Sequential(\n  (0): Linear(in_features=2, out_features=1, bias=False)\n  (1): Softmax(dim=-1)\n)",
            new Sequential(new Linear(2, 1, bias: false), new Softmax(-1)).ToString());
    }

    [Fact]
    public void Train_and_eval_reach_every_descendant()
    {
        var m = new Outer();
        Assert.True(m.IsTraining);
        Assert.Same(m, m.Eval());
        Assert.All(m.NamedModules(), x => Assert.False(x.Module.IsTraining));
        m.Train();
        Assert.All(m.NamedModules(), x => Assert.True(x.Module.IsTraining));
    }

    [Fact]
    public void To_cpu_is_a_no_op_and_cuda_without_a_backend_throws()
    {
        var m = new Linear(2, 2);
        Assert.Same(m, m.To(Device.Cpu));
        var e = Assert.Throws<NotSupportedException>(() => m.To(Device.Cuda()));
        Assert.Contains("cuda:0", e.Message);
        Assert.Same(m, m.To("cpu"));
        Assert.Throws<NotSupportedException>(() => m.To("cuda:1"));
    }

    [Fact]
    public void ZeroGrad_sets_to_none_or_zeroes()
    {
        var m = new Linear(2, 1);
        m.Call(Tensor.Ones(3, 2)).Sum().Backward();
        var g = m.Weight.Grad!;
        m.ZeroGrad(setToNone: false);
        Assert.Same(g, m.Weight.Grad);
        Assert.Equal([0f, 0f], g.ToArray<float>());
        m.ZeroGrad();
        Assert.Null(m.Weight.Grad);
    }

    [Fact]
    public void Call_uses_forward_when_not_compiled()
    {
        var m = new MultiLayerPerceptron(2, 2, 1);
        var x = Tensor.Rand(4, 2);
        Assert.Equal(m.Forward(x).ToArray<float>(), m.Call(x).ToArray<float>());
    }

    [Fact]
    public void StateDict_holds_detached_views_in_registration_order()
    {
        var m = new MultiLayerPerceptron(2, 2, 1);
        var sd = m.StateDict();
        Assert.Equal(["hidden.weight", "hidden.bias", "output.weight", "output.bias"], sd.Keys);
        var w = sd["hidden.weight"];
        Assert.False(w.RequiresGrad);
        Assert.IsNotType<Parameter>(w);
        using (Gradgen.Autograd.NoGrad()) m.Hidden.Weight.Fill(7);
        Assert.All(w.ToArray<float>(), v => Assert.Equal(7f, v));
    }

    [Fact]
    public void LoadStateDict_round_trips()
    {
        var a = new MultiLayerPerceptron(2, 2, 1);
        var b = new MultiLayerPerceptron(2, 2, 1);
        var snapshot = a.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        b.LoadStateDict(snapshot);
        foreach (var (name, t) in b.StateDict()) Assert.Equal(snapshot[name].ToArray<float>(), t.ToArray<float>());
        var x = Tensor.Rand(5, 2);
        Assert.Equal(a.Call(x).ToArray<float>(), b.Call(x).ToArray<float>());
        Assert.True(b.Hidden.Weight.RequiresGrad);
    }

    [Fact]
    public void LoadStateDict_converts_dtypes_as_copy_does()
    {
        var m = new Linear(2, 1);
        m.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Tensor.FromArray(new[,] { { 1.5, 2.5 } }), ["bias"] = Tensor.FromArray(new[] { 3.0 }) });
        Assert.Equal([1.5f, 2.5f], m.Weight.ToArray<float>());
        Assert.Equal(DType.Float32, m.Weight.DType);
    }

    static (Linear Model, float[] Before) Fresh()
    {
        var m = new Linear(2, 3);
        return (m, m.Weight.ToArray<float>().Concat(m.Bias!.ToArray<float>()).ToArray());
    }

    static void AssertUnchanged(Linear m, float[] before) =>
        Assert.Equal(before, m.Weight.ToArray<float>().Concat(m.Bias!.ToArray<float>()).ToArray());

    [Fact]
    public void LoadStateDict_missing_key_throws_and_copies_nothing()
    {
        var (m, before) = Fresh();
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Tensor.Zeros(3, 2) }));
        Assert.Contains("Missing key(s): 'bias'", e.Message);
        AssertUnchanged(m, before);
    }

    [Fact]
    public void LoadStateDict_unexpected_key_throws_and_copies_nothing()
    {
        var (m, before) = Fresh();
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.Zeros(3, 2),
            ["bias"] = Tensor.Zeros(3),
            ["extra.weight"] = Tensor.Zeros(1),
        }));
        Assert.Contains("Unexpected key(s): 'extra.weight'", e.Message);
        AssertUnchanged(m, before);
    }

    [Fact]
    public void LoadStateDict_shape_mismatch_throws_naming_both_shapes_and_copies_nothing()
    {
        var (m, before) = Fresh();
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Tensor.Zeros(3, 2), ["bias"] = Tensor.Zeros(4) }));
        Assert.Contains("'bias'", e.Message);
        Assert.Contains("[4]", e.Message);
        Assert.Contains("[3]", e.Message);
        AssertUnchanged(m, before);
    }

    [Fact]
    public void Register_rejects_bad_and_duplicate_names()
    {
        Assert.Throws<ArgumentException>(() => new BadNames("a.b"));
        Assert.Throws<ArgumentException>(() => new BadNames(""));
        Assert.Throws<ArgumentException>(() => new BadNames("dup"));
    }

    sealed class BadNames : Module
    {
        public BadNames(string name)
        {
            RegisterParameter("dup", new Parameter(Tensor.Zeros(1)));
            RegisterModule(name, new ReLU());
        }

        public override Tensor Forward(Tensor input) => input;
    }
}
