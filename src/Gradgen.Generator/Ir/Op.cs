namespace Gradgen.Generator.Ir;

/// <summary>
/// The primitives of the IR. Every primitive is described once in <see cref="Rules.PrimitiveRules"/>: how it folds,
/// prints in each target language, and differentiates.
/// </summary>
internal enum Op
{
    // Leaves
    Parameter,
    Constant,
    GradOutput,

    // Arithmetic
    Add,
    Subtract,
    Multiply,
    Divide,
    Negate,
    FusedMultiplyAdd,

    // Elementary functions
    Exp,
    Log,
    Log2,
    Log10,
    Sqrt,
    Cbrt,
    Pow,
    Hypot,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Sinh,
    Cosh,
    Tanh,
    Sigmoid,
    Asinh,
    Acosh,
    Atanh,
    Erf,
    Abs,
    Min,
    Max,
    Clamp,

    // Piecewise constant (zero gradient)
    Floor,
    Ceiling,
    Round,
    Truncate,
    Sign,

    // Identity whose gradient is zero (Gradgen.Grad.StopGradient)
    StopGradient,

    // A call of a method Gradgen does not differentiate, inside Grad.StopGradient: run as C#, gradient zero
    // (IrNode.Callee says what it calls)
    OpaqueCall,

    // Masks and selection
    LessThan,
    LessThanOrEqual,
    GreaterThan,
    GreaterThanOrEqual,
    Equal,
    NotEqual,
    And,
    Or,
    Not,
    Select,
}
