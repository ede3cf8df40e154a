using System.Globalization;
using System.Text;

namespace Gradgen;

/// <summary>
/// <see cref="Tensor.ToString"/> as PyTorch's <c>torch/_tensor_str.py</c> prints (precision 4, line width 80,
/// threshold 1000, 3 edge items): one formatter chooses integer, fixed or scientific notation and a common width for
/// all elements, large tensors are summarized with <c>...</c>.
/// </summary>
internal static class TensorFormatter
{
    const int Precision = 4, LineWidth = 80, Threshold = 1000, EdgeItems = 3;
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    sealed class Formatter
    {
        readonly bool floating, isBool;
        bool intMode = true, sciMode;
        public int MaxWidth = 1;

        public Formatter(DType dtype, List<double> values)
        {
            floating = dtype.IsFloating();
            isBool = dtype == DType.Bool;
            if (!floating)
            {
                foreach (var v in values) MaxWidth = Math.Max(MaxWidth, Plain(v).Length);
                return;
            }
            var finite = new List<double>();
            foreach (var v in values) if (double.IsFinite(v) && v != 0) finite.Add(v);
            if (finite.Count == 0) return;
            double min = double.PositiveInfinity, max = 0;
            foreach (var v in finite)
            {
                double a = Math.Abs(v);
                min = Math.Min(min, a);
                max = Math.Max(max, a);
                if (v != Math.Ceiling(v)) intMode = false;
            }
            if (intMode)
            {
                if (max / min > 1000.0 || max > 1.0e8)
                {
                    sciMode = true;
                    foreach (var v in finite) MaxWidth = Math.Max(MaxWidth, Sci(v).Length);
                }
                else
                    foreach (var v in finite) MaxWidth = Math.Max(MaxWidth, Fixed(v, 0).Length + 1);
            }
            else if (max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4)
            {
                sciMode = true;
                foreach (var v in finite) MaxWidth = Math.Max(MaxWidth, Sci(v).Length);
            }
            else
                foreach (var v in finite) MaxWidth = Math.Max(MaxWidth, Fixed(v, Precision).Length);
        }

        string Plain(double v) => isBool ? (v != 0 ? "True" : "False") : ((long)v).ToString(Inv);

        public string Format(double v)
        {
            string s;
            if (!floating) s = Plain(v);
            else if (sciMode) s = Sci(v);
            else if (intMode)
            {
                s = Fixed(v, 0);
                if (double.IsFinite(v)) s += ".";
            }
            else s = Fixed(v, Precision);
            return s.Length < MaxWidth ? new string(' ', MaxWidth - s.Length) + s : s;
        }
    }

    static string NonFinite(double v) => double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";

    /// <summary>Python's <c>f"{v:.{p}f}"</c>.</summary>
    static string Fixed(double v, int p) => double.IsFinite(v) ? v.ToString("F" + p.ToString(Inv), Inv) : NonFinite(v);

    /// <summary>Python's <c>f"{v:.4e}"</c>: <c>1.1211e-11</c>.</summary>
    static string Sci(double v) => double.IsFinite(v) ? v.ToString("0.0000e+00", Inv) : NonFinite(v);

    public static string ToString(Tensor tensor)
    {
        // A tensor on an accelerator prints its values from a host copy, and its device as a suffix, as PyTorch does.
        var t = tensor.Device.Type == DeviceType.Cpu ? tensor : tensor.ToHostCopy();
        const string prefix = "tensor(";
        int indent = prefix.Length;
        var suffixes = new List<string>();
        string body;
        if (t.NumElements == 0)
        {
            if (t.Ndim != 1) suffixes.Add("size=" + (t.Ndim == 0 ? "()" : "(" + string.Join(", ", t.shape) + (t.Ndim == 1 ? ",)" : ")")));
            if (t.DType != DType.Float32) suffixes.Add("dtype=" + t.DType);
            body = "[]";
        }
        else
        {
            if (t.DType is DType.Float64 or DType.Int32) suffixes.Add("dtype=" + t.DType);
            bool summarize = t.NumElements > Threshold;
            var values = new List<double>();
            Collect(t, summarize, values);
            var f = new Formatter(t.DType, values);
            body = Body(t, indent, summarize, f);
        }
        if (tensor.Device.Type != DeviceType.Cpu) suffixes.Insert(0, $"device='{tensor.Device}'");
        if (tensor.GradFn is { } fn) suffixes.Add($"grad_fn=<{fn.Name}>");
        else if (tensor.RequiresGrad) suffixes.Add("requires_grad=True");
        return AddSuffixes(prefix + body, suffixes, indent);
    }

    static string AddSuffixes(string s, List<string> suffixes, int indent)
    {
        var sb = new StringBuilder(s);
        int lastLineLen = s.Length - s.LastIndexOf('\n') + 1;
        foreach (var suffix in suffixes)
        {
            if (lastLineLen + suffix.Length + 2 > LineWidth)
            {
                sb.Append(",\n").Append(' ', indent).Append(suffix);
                lastLineLen = indent + suffix.Length;
            }
            else
            {
                sb.Append(", ").Append(suffix);
                lastLineLen += suffix.Length + 2;
            }
        }
        return sb.Append(')').ToString();
    }

    /// <summary>PyTorch's <c>get_summarized_data</c>: the values the formatter sees.</summary>
    static void Collect(Tensor t, bool summarize, List<double> values)
    {
        if (t.Ndim == 0)
        {
            values.Add(t.GetAsDouble(0));
            return;
        }
        int n = t.shape[0];
        if (t.Ndim == 1)
        {
            if (summarize && n > 2 * EdgeItems)
            {
                for (int i = 0; i < EdgeItems; i++) values.Add(t.GetAsDouble(i));
                for (int i = n - EdgeItems; i < n; i++) values.Add(t.GetAsDouble(i));
            }
            else
                for (int i = 0; i < n; i++) values.Add(t.GetAsDouble(i));
            return;
        }
        foreach (int i in Rows(n, summarize)) Collect(t.Detach().Select(0, i), summarize, values);
    }

    static IEnumerable<int> Rows(int n, bool summarize)
    {
        if (summarize && n > 2 * EdgeItems)
        {
            for (int i = 0; i < EdgeItems; i++) yield return i;
            for (int i = n - EdgeItems; i < n; i++) yield return i;
        }
        else
            for (int i = 0; i < n; i++) yield return i;
    }

    static string Body(Tensor t, int indent, bool summarize, Formatter f)
    {
        if (t.Ndim == 0) return f.Format(t.GetAsDouble(0));
        int n = t.shape[0];
        if (t.Ndim == 1)
        {
            int perLine = Math.Max(1, (LineWidth - indent) / (f.MaxWidth + 2));
            var data = new List<string>();
            if (summarize && n > 2 * EdgeItems)
            {
                for (int i = 0; i < EdgeItems; i++) data.Add(f.Format(t.GetAsDouble(i)));
                data.Add(" ...");
                for (int i = n - EdgeItems; i < n; i++) data.Add(f.Format(t.GetAsDouble(i)));
            }
            else
                for (int i = 0; i < n; i++) data.Add(f.Format(t.GetAsDouble(i)));
            var lines = new List<string>();
            for (int i = 0; i < data.Count; i += perLine) lines.Add(string.Join(", ", data.GetRange(i, Math.Min(perLine, data.Count - i))));
            return "[" + string.Join(",\n" + new string(' ', indent + 1), lines) + "]";
        }
        var slices = new List<string>();
        var d = t.Detach();
        if (summarize && n > 2 * EdgeItems)
        {
            for (int i = 0; i < EdgeItems; i++) slices.Add(Body(d.Select(0, i), indent + 1, summarize, f));
            slices.Add("...");
            for (int i = n - EdgeItems; i < n; i++) slices.Add(Body(d.Select(0, i), indent + 1, summarize, f));
        }
        else
            for (int i = 0; i < n; i++) slices.Add(Body(d.Select(0, i), indent + 1, summarize, f));
        return "[" + string.Join("," + new string('\n', t.Ndim - 1) + new string(' ', indent + 1), slices) + "]";
    }
}
