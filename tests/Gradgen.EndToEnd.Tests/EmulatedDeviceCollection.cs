namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// The test classes that register the emulated device as the process's device backend (a global): they run one after
/// another, never beside each other, so that one class's Dispose never unregisters the device under another's tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EmulatedDeviceCollection
{
    public const string Name = "Emulated device";
}
