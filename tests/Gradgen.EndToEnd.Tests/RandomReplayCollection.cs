namespace Gradgen.EndToEnd.Tests;

/// <summary>
/// The test classes that replay the process-wide random generator (seed, draw, seed again, expect the same draws, as
/// Dropout's mask test does): they run alone, never beside a class that draws from the same generator in between
/// (RandomGenerator is one global stream, as PyTorch's default generator is).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RandomReplayCollection
{
    public const string Name = "Random replay";
}
