using Gradgen.Nn;

namespace Gradgen.Tests.Nn;

/// <summary>A model holding its blocks in a ModuleList, looped over in Forward (as PyTorch models do).</summary>
public sealed class BlockStack : Module
{
    readonly ModuleList<Linear> blocks = new(new Linear(3, 3), new Linear(3, 3));
    readonly Linear[] unregistered = [new Linear(3, 3)];

    public ModuleList<Linear> Blocks => blocks;

    public Linear Unregistered => unregistered[0];

    public override Tensor Forward(Tensor x)
    {
        foreach (var block in blocks) x = x + Tensor.Tanh(block.Call(x));
        return x;
    }
}

[Collection(Gradgen.Runtime.Tests.Devices.DeviceBackendCollection.Name)]
public class ModuleListTests
{
    public ModuleListTests() => RandomGenerator.ManualSeed(5);

    [Fact]
    public void Its_modules_are_children_named_by_index_as_in_PyTorch()
    {
        var model = new BlockStack();
        Assert.Equal(["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(["", "blocks", "blocks.0", "blocks.1"], model.NamedModules().Select(m => m.Name));
        Assert.Same(model.Blocks[1].Weight, model.NamedParameters().ElementAt(2).Parameter);
    }

    [Fact]
    public void An_array_of_modules_is_not_registered_as_a_Python_list_is_not()
    {
        var model = new BlockStack();
        Assert.DoesNotContain(model.Parameters(), p => ReferenceEquals(p, model.Unregistered.Weight));
    }

    [Fact]
    public void Add_appends_under_the_next_index_and_the_list_reads_like_a_list()
    {
        var list = new ModuleList<Module>(new Linear(2, 2));
        Assert.Same(list, list.Add(new ReLU()));
        list.Add(new Linear(2, 1));
        Assert.Equal(3, list.Count);
        Assert.IsType<ReLU>(list[1]);
        Assert.IsType<Linear>(list[^1]);
        Assert.Equal([typeof(Linear), typeof(ReLU), typeof(Linear)], list.Select(m => m.GetType()));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], list.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void It_prints_as_PyTorch_prints_a_ModuleList()
    {
        var list = new ModuleList<Linear>(new Linear(2, 3), new Linear(3, 1, bias: false));
        Assert.Equal(
            "ModuleList(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): Linear(in_features=3, out_features=1, bias=False)\n)",
            list.ToString());
    }

    [Fact]
    public void An_index_outside_the_list_names_the_index_and_the_count()
    {
        var list = new ModuleList<Linear>(new Linear(2, 2));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => list[1]);
        Assert.Contains("index 1 is outside this ModuleList of 1 modules", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);
    }

    [Fact]
    public void It_has_no_Forward_of_its_own_and_refuses_null_modules()
    {
        var list = new ModuleList<Linear>(new Linear(2, 2));
        var error = Assert.Throws<NotSupportedException>(() => list.Forward(Tensor.Ones(1, 2)));
        Assert.Contains("loop over its 1 modules", error.Message);
        Assert.Throws<ArgumentNullException>(() => list.Add(null!));
    }

    [Fact]
    public void A_state_dict_round_trips_through_the_list()
    {
        var a = new BlockStack();
        var b = new BlockStack();
        b.LoadStateDict(a.StateDict());
        var x = Tensor.Randn(4, 3);
        Assert.Equal(a.Call(x).ToArray<float>(), b.Call(x).ToArray<float>());
    }
}
