using System.Collections;
using System.Globalization;

namespace Gradgen.Nn;

/// <summary>
/// Modules held in a list and registered as children named <c>0</c>, <c>1</c>, … (PyTorch's <c>torch.nn.ModuleList</c>,
/// TorchSharp's <c>ModuleList&lt;T&gt;</c>): their parameters are <c>layers.0.weight</c>, <c>layers.1.weight</c>, ….
/// A plain <c>Linear[]</c> field is not registered, as a Python list is not in PyTorch. A ModuleList has no
/// <see cref="Forward"/> of its own: the model's Forward loops over it. A loop over a list created in place with its
/// modules as arguments (<c>new ModuleList&lt;Linear&gt;(new(16, 16), new(16, 16))</c>) is unrolled by the graph
/// compiler (see docs/compiled-models.md).
/// </summary>
/// <typeparam name="T">The modules' type.</typeparam>
public sealed class ModuleList<T> : Module, IReadOnlyList<T>
    where T : Module
{
    readonly List<T> items = [];

    /// <summary>A list of <paramref name="modules"/>, in order.</summary>
    /// <param name="modules">The modules; none may be null.</param>
    public ModuleList(params T[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Add(m);
    }

    /// <summary>Appends <paramref name="module"/> under the next index (PyTorch's <c>append</c>); returns this list.</summary>
    /// <param name="module">The module.</param>
    public ModuleList<T> Add(T module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(items.Count.ToString(CultureInfo.InvariantCulture), module);
        items.Add(module);
        return this;
    }

    /// <summary>The module at <paramref name="index"/> (<c>^1</c> for the last).</summary>
    /// <param name="index">The position, from 0 to <see cref="Count"/> − 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the list.</exception>
    public T this[int index] => (uint)index < (uint)items.Count ? items[index]
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"index {index} is outside this ModuleList of {items.Count} modules");

    /// <summary>The number of modules.</summary>
    public int Count => items.Count;

    /// <summary>Always throws: a ModuleList only holds modules; loop over it in the model's Forward (as in PyTorch).</summary>
    /// <param name="input">Not used.</param>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException($"ModuleList<{typeof(T).Name}> has no Forward: loop over its {items.Count} modules in your model's Forward, or use a Sequential to chain them.");

    /// <inheritdoc/>
    protected override void DiscoverMembers()
    {
    }

    /// <summary>The modules in order.</summary>
    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
