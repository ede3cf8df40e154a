using BenchmarkDotNet.Running;
using Gradgen.Benchmarks;

if (args.Length > 0 && args[0] == "verify")
{
    return Verify.Run(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "epoch")
{
    return Gradgen.Benchmarks.Cnn.CnnEpoch.Run(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "probe")
{
    return Probe.Run(args.Skip(1).ToArray());
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
