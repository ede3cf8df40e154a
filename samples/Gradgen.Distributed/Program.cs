// Data-parallel training over MPI: the seed's 2-2-1 perceptron and a 784-256-10 MLP, each rank on its own shard of the
// data, gradients averaged by DistributedDataParallel. See DistributedSample.cs and docs/distributed.md.
using Gradgen.Distributed.Sample;

SampleOptions options;
try
{
    options = SampleOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(SampleOptions.Usage);
    return 2;
}

DistributedSample.Run(options, Console.Out);
return 0;
