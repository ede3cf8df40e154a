namespace Gradgen;

/// <summary>
/// The runtime's elementwise math on tensors, declared as <c>[Differentiable]</c> one-liners and generated like user
/// code (DESIGN.md 4): the generator writes each one's tensor overload (a fused SIMD kernel and one graph node,
/// <c>SinBackward</c>, …) from the same rule table as users' functions, so the derivative of sin exists in exactly one
/// place. Float32 and Float64 tensors run the float and double instantiations of the same kernels.
/// </summary>
internal static partial class ElementwiseFunctions
{
    [Differentiable] internal static float Exp(float x) => MathF.Exp(x);

    [Differentiable] internal static float Log(float x) => MathF.Log(x);

    [Differentiable] internal static float Sin(float x) => MathF.Sin(x);

    [Differentiable] internal static float Cos(float x) => MathF.Cos(x);

    [Differentiable] internal static float Tan(float x) => MathF.Tan(x);

    [Differentiable] internal static float Tanh(float x) => MathF.Tanh(x);

    [Differentiable] internal static float Sqrt(float x) => MathF.Sqrt(x);

    [Differentiable] internal static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));

    // Float tensors only: integer tensors keep their dtype through ReluOp and AbsOp (forward only, as integer
    // tensors never require grad). The gradient is 0 at x = 0 for both, as PyTorch's.
    // NaN stays NaN (PyTorch's relu, and the compiled models' ScalarBodies.Relu): the test is x <= 0, false for NaN.
    [Differentiable] internal static float Relu(float x) => x <= 0 ? 0 : x;

    [Differentiable] internal static float Abs(float x) => MathF.Abs(x);

    // The activations of Gradgen.Nn.Functional, with PyTorch's formulas; a constant of the formula (slope, α, β, the
    // threshold) is an argument, given as a 0-d tensor, so that the rule table differentiates everything. Where a branch
    // not taken could overflow (eˣ for large x), its argument is clamped by a second select, because the gradient
    // reaches it multiplied by 0 and 0·∞ would be NaN. GELU is declared in double: its constants (1/√2, √(2/π)) then
    // keep double precision in the Float64 kernels (the Float32 ones round them to float).
    [Differentiable] internal static double GeluErf(double x) => x * 0.5 * (1 + SpecialFunctions.Erf(x * 0.7071067811865476));

    [Differentiable] internal static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(0.7978845608028654 * (x + (0.044715 * x * x * x))));

    [Differentiable] internal static float Silu(float x) => x * (1 / (1 + MathF.Exp(-x)));

    // The gradient at 0 is the slope, as PyTorch's (x > 0 is false there).
    [Differentiable] internal static float LeakyRelu(float x, float slope) => x > 0 ? x : slope * x;

    // The gradient at 0 is α·e⁰ = α, and at NaN 1 (NaN ≤ 0 is false), as PyTorch's.
    [Differentiable] internal static float Elu(float x, float alpha) => x <= 0 ? alpha * (MathF.Exp(x <= 0 ? x : 0) - 1) : x;

    // ln(1 + e^(βx))/β, and x where βx > threshold (PyTorch's linear regime).
    [Differentiable]
    internal static float Softplus(float x, float beta, float threshold) =>
        beta * x > threshold ? x : MathF.Log(1 + MathF.Exp(beta * x > threshold ? threshold : beta * x)) / beta;


    // Arithmetic, Pow, Maximum, Minimum and Clamp keep their own forward kernels (integer dtypes, a scalar operand
    // without a filled tensor, PyTorch's type promotion); their graph nodes run these functions' generated backward
    // kernels (ElementwiseGradient), named as PyTorch names them (AddBackward, PowBackward, …).
    [Differentiable] internal static float Add(float a, float b) => a + b;

    [Differentiable] internal static float Sub(float a, float b) => a - b;

    [Differentiable] internal static float Mul(float a, float b) => a * b;

    [Differentiable] internal static float Div(float a, float b) => a / b;

    [Differentiable] internal static float Neg(float x) => -x;

    [Differentiable] internal static float Pow(float a, float b) => MathF.Pow(a, b);

    // x.Pow(2) (a squared error): its forward is x·x, and so is its derivative.
    [Differentiable] internal static float Square(float x) => x * x;

    [Differentiable] internal static float Maximum(float a, float b) => MathF.Max(a, b);

    [Differentiable] internal static float Minimum(float a, float b) => MathF.Min(a, b);

    [Differentiable] internal static float Clamp(float x, float lo, float hi) => Math.Clamp(x, lo, hi);

    // torch.where, its condition given as 1 or 0 in the values' dtype: the gradient goes to the branch taken (the
    // Select rule), and none to the condition.
    [Differentiable] internal static float Where(float condition, float x, float y) => condition != 0 ? x : y;
}
