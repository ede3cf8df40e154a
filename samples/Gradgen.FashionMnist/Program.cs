// PyTorch's quickstart (https://pytorch.org/tutorials/beginner/basics/quickstart_tutorial.html) in C#: Fashion-MNIST,
// a DataLoader, the 784-512-512-10 MLP compiled by the generator, an optimizer, test accuracy per epoch, a plot and
// the weights as safetensors. Options in TrainingOptions.Usage.
using Gradgen;
using Gradgen.Cuda;
using Gradgen.FashionMnist;

TrainingOptions options;
try
{
    options = TrainingOptions.Parse(args, out bool help);
    if (help)
    {
        Console.WriteLine(TrainingOptions.Usage);
        return 0;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(TrainingOptions.Usage);
    return 2;
}

// Read once by the kernels when they first run: set before any tensor work.
if (options.Threads is { } threads)
{
    Environment.SetEnvironmentVariable("GRADGEN_NUM_THREADS", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

return Sample.Run(options);

namespace Gradgen.FashionMnist
{
    /// <summary>The sample's steps, each user mistake a message and an exit code instead of a stack trace.</summary>
    internal static class Sample
    {
        public static int Run(TrainingOptions options)
        {
            var device = Device.Cpu;
            if (options.Device == "cuda")
            {
                if (!Cuda.Cuda.Register())
                {
                    Console.Error.WriteLine($"error: --device cuda, but CUDA is unavailable: {Cuda.Cuda.UnavailableReason}");
                    return 1;
                }

                device = Device.Cuda();
            }

            Data.FashionMnist data;
            try
            {
                data = Data.FashionMnist.Load(options.DataDirectory);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }

            ITrainingDisplay display = Console.IsOutputRedirected ? new PlainDisplay(Console.Out) : new LiveDisplay();
            var trainer = new Trainer(options, data, device, display);
            if (options.Evaluate is { } path)
            {
                try
                {
                    var (loss, accuracy) = trainer.EvaluateFile(path);
                    display.Line(FormattableString.Invariant($"{path}: test loss {loss:F4}, test accuracy {accuracy:P2} on {data.Test.Count} images."));
                    return 0;
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException or KeyNotFoundException)
                {
                    Console.Error.WriteLine($"error: cannot evaluate {path}: {e.Message}");
                    return 1;
                }
            }

            try
            {
                trainer.Train();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: cannot write to {options.OutputDirectory}: {e.Message}");
                return 1;
            }

            return 0;
        }
    }
}
