using System.Globalization;

namespace Gradgen.Distributed.Sample;

/// <summary>The sample's command line.</summary>
public sealed record SampleOptions(int Epochs = 200, int MnistEpochs = 3, int MnistTrainSize = 8192, int MnistTestSize = 2048, int BatchPerRank = 64)
{
    public const string Usage =
        "usage: [mpiexec -n N] dotnet run --no-build --project samples/Gradgen.Distributed -- [--epochs 200] [--mnist-epochs 3] " +
        "[--train-size 8192] [--test-size 2048] [--batch-per-rank 64]";

    public static SampleOptions Parse(string[] args)
    {
        var o = new SampleOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Length) throw new ArgumentException($"{name} needs a value");
            if (!int.TryParse(args[++i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 1)
                throw new ArgumentException($"{name} {args[i]}: the value must be a positive integer");
            o = name switch
            {
                "--epochs" => o with { Epochs = value },
                "--mnist-epochs" => o with { MnistEpochs = value },
                "--train-size" => o with { MnistTrainSize = value },
                "--test-size" => o with { MnistTestSize = value },
                "--batch-per-rank" => o with { BatchPerRank = value },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }
        return o;
    }
}
