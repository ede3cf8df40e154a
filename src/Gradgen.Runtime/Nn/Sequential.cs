using System.Collections;
using System.Globalization;

namespace Gradgen.Nn;

/// <summary>
/// Modules applied one after the other, each to the previous one's output (PyTorch's <c>torch.nn.Sequential</c>).
/// The children are named <c>0</c>, <c>1</c>, … so their parameters are <c>0.weight</c>, <c>0.bias</c>, ….
/// </summary>
public sealed class Sequential : Module, IReadOnlyList<Module>
{
    readonly List<Module> layers = [];

    /// <summary>A chain of <paramref name="modules"/>, in order.</summary>
    /// <param name="modules">The modules; none may be null.</param>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Add(m);
    }

    /// <summary>Appends <paramref name="module"/> under the next index (PyTorch's <c>append</c>); returns this chain.</summary>
    /// <param name="module">The module.</param>
    public Sequential Add(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(layers.Count.ToString(CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return this;
    }

    /// <summary>The module at <paramref name="index"/> (<c>^1</c> for the last).</summary>
    /// <param name="index">The position.</param>
    public Module this[int index] => layers[index];

    /// <summary>The number of modules.</summary>
    public int Count => layers.Count;

    /// <summary>Runs the modules in order through their <see cref="Module.Call"/>.</summary>
    /// <param name="input">The input of the first module.</param>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var m in layers) x = m.Call(x);
        return x;
    }

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <summary>The modules in order.</summary>
    public IEnumerator<Module> GetEnumerator() => layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
