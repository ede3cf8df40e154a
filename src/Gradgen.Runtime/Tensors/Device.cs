namespace Gradgen;

/// <summary>The kind of memory a tensor lives in.</summary>
public enum DeviceType
{
    /// <summary>System memory; operations run on the CPU.</summary>
    Cpu,
    /// <summary>The memory of an NVIDIA GPU; operations run there (through the Gradgen.Cuda backend).</summary>
    Cuda,
}

/// <summary>Where a tensor lives: <see cref="Cpu"/> or <c>Device.Cuda(index)</c>. Prints as PyTorch does (<c>cpu</c>, <c>cuda:0</c>).</summary>
/// <param name="Type">The kind of device.</param>
/// <param name="Index">The device ordinal (0 for the CPU).</param>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The CPU.</summary>
    public static Device Cpu => default;

    /// <summary>The CUDA GPU with ordinal <paramref name="index"/>.</summary>
    /// <param name="index">The device ordinal, 0 for the first GPU.</param>
    public static Device Cuda(int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new Device(DeviceType.Cuda, index);
    }

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    /// <param name="name">The device name as PyTorch writes it.</param>
    public static Device Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == "cpu") return Cpu;
        if (name == "cuda") return Cuda(0);
        if (name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i))
            return Cuda(i);
        throw new FormatException($"Unknown device '{name}': expected 'cpu', 'cuda' or 'cuda:N'.");
    }

    /// <summary><c>cpu</c> or <c>cuda:N</c>.</summary>
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";
}
