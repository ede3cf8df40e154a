// Trains the seed's MultiLayerPerceptron (2-2-1, sigmoid) compiled by the generator next to its eager Sequential twin,
// then a 784-256-10 ReLU model on synthetic MNIST-sized data. See MlpSample.cs; options in MlpOptions.Usage.
using Gradgen.Mlp;

MlpOptions options;
try
{
    options = MlpOptions.Parse(args, out bool help);
    if (help)
    {
        Console.WriteLine(MlpOptions.Usage);
        return 0;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(MlpOptions.Usage);
    return 2;
}

MlpSample.Run(options, Console.Out);
return 0;
