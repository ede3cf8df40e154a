// Gradgen's walk through the PyTorch beginner tutorial (sections 12.1 to 12.4 of ../shared/seed/pytorch-tutorial-es.txt):
// tensors, autograd, the computation graph and neural networks, one file per section under Sections/.
// The plots go to plots/ under the current directory, or to the folder given as the first argument.
using Gradgen.Tutorial;

string plotDirectory = args.Length > 0 ? args[0] : Path.Combine(Environment.CurrentDirectory, "plots");
Tutorial.Run(Console.Out, plotDirectory);
