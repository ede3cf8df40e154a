using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>Section 12.4 of the tutorial seed, and module discovery through inheritance.</summary>
public class TutorialNnTests
{
    public TutorialNnTests() => RandomGenerator.ManualSeed(0);

    [Fact]
    public void Dense_layer_of_12_4_1_evaluates_with_call_or_forward()
    {
        var dense = new Linear(3, 2);
        var data = Tensor.Rand(5, 3);
        var y = dense.Call(data);
        Assert.Equal("[5, 2]", y.Shape.ToString());
        Assert.Equal(dense.Forward(data).ToArray<float>(), y.ToArray<float>());
        Assert.Equal("AddmmBackward", y.GradFn!.Name);
    }

    [Fact]
    public void Activations_of_12_4_2_match_the_tensor_operations()
    {
        var data = Tensor.Linspace(-5, 5, steps: 100);
        Assert.Equal(data.Sigmoid().ToArray<float>(), new Sigmoid().Call(data).ToArray<float>());
        Assert.Equal(data.Relu().ToArray<float>(), new ReLU().Call(data).ToArray<float>());
        Assert.Equal(data.Tanh().ToArray<float>(), new Tanh().Call(data).ToArray<float>());
        Assert.Equal(0f, new ReLU().Call(data).ToArray<float>().Take(50).Max());
    }

    [Fact]
    public void Mlp_of_12_4_3_prints_its_parameters_and_evaluates_on_the_seed_data()
    {
        var model = new MultiLayerPerceptron(2, 2, 1);
        Assert.StartsWith("Parameter containing:\ntensor([[", model.Hidden.Weight.ToString());
        Assert.EndsWith("]], requires_grad=True)", model.Hidden.Weight.ToString());
        var x = 10 * Tensor.Rand(10000, 2) - 5;
        var y = model.Call(x);
        Assert.Equal("[10000, 1]", y.Shape.ToString());
        var seq = new Sequential(new Linear(2, 2), new Sigmoid(), new Linear(2, 1));
        Assert.Equal("[10000, 1]", seq.Call(x).Shape.ToString());
    }

    class Base : Module
    {
        protected readonly Linear first = new(2, 2);

        public override Tensor Forward(Tensor input) => first.Call(input);
    }

    sealed class Derived : Base
    {
        readonly Linear second = new(2, 1);
        readonly Parameter offset = new(Tensor.Zeros(1));
        readonly Tensor notAParameter = Tensor.Ones(1);
        readonly Module? absent = null;

        public override Tensor Forward(Tensor input) => second.Call(base.Forward(input)) + offset + notAParameter * 0 + (absent is null ? 0 : 1);
    }

    [Fact]
    public void Discovery_registers_base_class_fields_first_and_skips_plain_tensors_and_nulls()
    {
        var m = new Derived();
        Assert.Equal(["offset", "first.weight", "first.bias", "second.weight", "second.bias"], m.NamedParameters().Select(p => p.Name));
        Assert.Equal(["first", "second"], m.NamedChildren().Select(c => c.Name));
        Assert.Equal(m.NamedParameters().Select(p => p.Name), m.StateDict().Keys);
    }
}
