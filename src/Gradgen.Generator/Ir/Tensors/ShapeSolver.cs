using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Gradgen.Generator.Ir.Tensors;

/// <summary>
/// Shape inference's unknowns. A dimension is a constant (≥ 0) or a symbol (&lt; 0). A batch symbol (the input's
/// leading dims, a reshape's −1) is rigid: it is a size only the caller knows, so it never equals a constant the code
/// shows. A feature symbol (a layer built with sizes the generator cannot see) takes the first constant it meets.
/// Unifying two dimensions that cannot be equal is a shape error.
/// </summary>
internal sealed class ShapeSolver
{
    private readonly List<int> _parent = new();
    private readonly List<int> _value = new();
    private readonly List<bool> _rigid = new();
    private readonly List<string> _names = new();

    /// <summary>A new symbol.</summary>
    /// <param name="rigid">A batch size (never a constant) rather than a size the code does not show.</param>
    /// <param name="name">How messages print it.</param>
    public int NewSymbol(bool rigid, string name)
    {
        _parent.Add(_parent.Count);
        _value.Add(-1);
        _rigid.Add(rigid);
        _names.Add(name);
        return -_parent.Count;
    }

    /// <summary>A constant, or the representative symbol (a resolved graph's symbol, which this solver never made, is its own).</summary>
    public int Resolve(int dim)
    {
        if (dim >= 0 || -dim - 1 >= _parent.Count)
        {
            return dim;
        }

        int root = Find(-dim - 1);
        return _value[root] >= 0 ? _value[root] : -root - 1;
    }

    /// <summary>Whether a dimension is a batch symbol (a size only the caller knows).</summary>
    public bool IsRigid(int dim)
    {
        dim = Resolve(dim);
        return dim < 0 && _rigid[Find(-dim - 1)];
    }

    /// <summary>Makes two dimensions equal; false when they cannot be.</summary>
    public bool Unify(int a, int b)
    {
        a = Resolve(a);
        b = Resolve(b);
        if (a == b)
        {
            return true;
        }

        if (a >= 0 && b >= 0)
        {
            return false;
        }

        if (a >= 0 || b >= 0)
        {
            int symbol = a < 0 ? a : b;
            int constant = a < 0 ? b : a;
            int root = Find(-symbol - 1);
            if (_rigid[root])
            {
                return false;
            }

            _value[root] = constant;
            return true;
        }

        int ra = Find(-a - 1), rb = Find(-b - 1);
        if (_rigid[ra] && !_rigid[rb])
        {
            _parent[rb] = ra;
        }
        else
        {
            _parent[ra] = rb;
        }

        return true;
    }

    /// <summary>The dims as a message prints them: <c>[B0, 16]</c>.</summary>
    public string Format(IEnumerable<int> shape) =>
        "[" + string.Join(", ", shape.Select(d => Resolve(d) is var r && r >= 0 ? r.ToString(CultureInfo.InvariantCulture) : _names[Find(-r - 1)])) + "]";

    private int Find(int index)
    {
        while (_parent[index] != index)
        {
            _parent[index] = _parent[_parent[index]];
            index = _parent[index];
        }

        return index;
    }
}
