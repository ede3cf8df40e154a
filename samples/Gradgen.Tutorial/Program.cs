// Gradgen's walk through the PyTorch beginner tutorial (../shared/seed/pytorch-tutorial-es.txt).
// This first part is the tutorial's Gaussian-windowed sine, differentiated at compile time by the [Differentiable]
// source generator: see Curves.cs for the one line we wrote, and obj/.../generated/ for what Gradgen wrote.
using Gradgen.Tutorial;

Console.WriteLine("Gradgen tutorial — derivatives computed at compile time");
Console.WriteLine();
Console.WriteLine("Bump(x) = sin(2πx)·exp(−(x−5)²/3)   (the tutorial's Gaussian-windowed sine)");
Console.WriteLine("By hand: dBump/dx = 2π·cos(2πx)·e − (2/3)(x−5)·sin(2πx)·e,  with e = exp(−(x−5)²/3)");
Console.WriteLine();
Console.WriteLine($"{"x",6} {"Bump(x)",12} {"generated d/dx",16} {"by hand",14} {"error",10}");
foreach (float x in new[] { 0f, 2.5f, 4f, 4.75f, 5f, 5.3f, 6f, 7.5f, 10f })
{
    float y = Curves.BumpWithGradient(x, out float dydx);
    double byHand = Curves.BumpDerivativeByHand(x);
    Console.WriteLine($"{x,6:0.00} {y,12:0.000000} {dydx,16:0.000000} {byHand,14:0.000000} {Math.Abs(dydx - byHand),10:0.0e+0}");
}

// The same on 1,000 points in one fused SIMD pass over memory (value and derivative together).
const int N = 1000;
var xs = new float[N];
for (int i = 0; i < N; i++)
{
    xs[i] = 10f * i / (N - 1);
}

var ys = new float[N];
var dys = new float[N];
Curves.BumpWithGradient(xs, ys, dys);
double maxError = 0;
for (int i = 0; i < N; i++)
{
    maxError = Math.Max(maxError, Math.Abs(dys[i] - Curves.BumpDerivativeByHand(xs[i])));
}

Console.WriteLine();
Console.WriteLine($"linspace(0, 10, {N}) through the generated span kernel: max |generated − by hand| = {maxError:0.0e+0}");
Console.WriteLine("(float arithmetic: the hand formula is evaluated in double, the kernel in float with Gradgen's vector sin/exp.)");
