namespace Gradgen;

public partial class Tensor
{
    /// <summary>Elementwise eˣ; integer inputs give Float32 results. One fused generated kernel, recorded as <c>ExpBackward</c>.</summary>
    public Tensor Exp() => ElementwiseFunctions.Exp(this);

    /// <summary>Elementwise eˣ of <paramref name="x"/> (the static form of <see cref="Exp()"/>).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Exp(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).Exp();

    /// <summary>Elementwise the natural logarithm (−inf at 0, NaN below); integer inputs give Float32 results unless the operation keeps integers. Recorded as <c>LogBackward</c>.</summary>
    public Tensor Log() => ElementwiseFunctions.Log(this);

    /// <summary>Elementwise the natural logarithm (−inf at 0, NaN below) of <paramref name="x"/> (the static form of <see cref="Log()"/>).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Log(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).Log();

    /// <summary>Elementwise sin x; integer inputs give Float32 results unless the operation keeps integers. Recorded as <c>SinBackward</c>.</summary>
    public Tensor Sin() => ElementwiseFunctions.Sin(this);

    /// <summary>Elementwise sin x of <paramref name="x"/> (the static form of <see cref="Sin()"/>).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Sin(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).Sin();

    /// <summary>Elementwise cos x; integer inputs give Float32 results unless the operation keeps integers. Recorded as <c>CosBackward</c>.</summary>
    public Tensor Cos() => ElementwiseFunctions.Cos(this);

    /// <summary>Elementwise cos x of <paramref name="x"/> (the static form of <see cref="Cos()"/>).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Cos(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).Cos();

    /// <summary>Elementwise tan x; integer inputs give Float32 results unless the operation keeps integers. Recorded as <c>TanBackward</c>.</summary>
    public Tensor Tan() => ElementwiseFunctions.Tan(this);

    /// <summary>Elementwise tan x of <paramref name="x"/> (the static form of <see cref="Tan()"/>).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Tan(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).Tan();

    /// <summary>Elementwise tanh x; integer inputs give Float32 results unless the operation keeps integers. Recorded as <c>TanhBackward</c>.</summary>
    public Tensor Tanh() => ElementwiseFunctions.Tanh(this);

    /// <summary>Elementwise tanh x of <paramref name="x"/> (the static form of <see cref="Tanh()"/>).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Tanh(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).Tanh();

    /// <summary>Elementwise 1 / (1 + e⁻ˣ); integer inputs give Float32 results unless the operation keeps integers. Recorded as <c>SigmoidBackward</c>.</summary>
    public Tensor Sigmoid() => ElementwiseFunctions.Sigmoid(this);

    /// <summary>Elementwise 1 / (1 + e⁻ˣ) of <paramref name="x"/> (the static form of <see cref="Sigmoid()"/>).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Sigmoid(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).Sigmoid();

    /// <summary>Elementwise max(x, 0); integer inputs give Float32 results unless the operation keeps integers. Recorded as <c>ReluBackward</c>.</summary>
    public Tensor Relu() => DType.IsFloating() ? ElementwiseFunctions.Relu(this) : ElementwiseOp.Unary(this, new ReluOp());

    /// <summary>Elementwise max(x, 0) of <paramref name="x"/> (the static form of <see cref="Relu()"/>).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Relu(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).Relu();

    /// <summary>Elementwise |x|; integer inputs give Float32 results unless the operation keeps integers. Recorded as <c>AbsBackward</c>.</summary>
    public Tensor Abs() => DType.IsFloating() ? ElementwiseFunctions.Abs(this) : ElementwiseOp.Unary(this, new AbsOp());

    /// <summary>Elementwise |x| of <paramref name="x"/> (the static form of <see cref="Abs()"/>).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Abs(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).Abs();

    /// <summary>Elementwise √x; integer inputs give Float32 results unless the operation keeps integers. Recorded as <c>SqrtBackward</c>.</summary>
    public Tensor Sqrt() => ElementwiseFunctions.Sqrt(this);

    /// <summary>Elementwise √x of <paramref name="x"/> (the static form of <see cref="Sqrt()"/>).</summary>
    /// <param name="x">The input.</param>
    public static Tensor Sqrt(Tensor x) => (x ?? throw new ArgumentNullException(nameof(x))).Sqrt();

    /// <summary>Elementwise the sum, with broadcasting. Recorded as <c>AddBackward</c>.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator +(Tensor a, Tensor b) => ElementwiseOp.Binary(Checked(a), Checked(b), new AddOp());

    /// <summary>Elementwise the sum with a scalar (a float scalar does not widen a Float32 tensor, as in PyTorch).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator +(Tensor a, double b) => ElementwiseOp.Binary(Checked(a), WrapScalar(b, false, a), new AddOp());

    /// <summary>Elementwise the sum with an integer scalar (keeps an integer tensor's dtype).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator +(Tensor a, long b) => ElementwiseOp.Binary(Checked(a), WrapScalar(b, true, a), new AddOp());

    /// <summary>Elementwise the sum of a scalar and a tensor.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator +(double a, Tensor b) => ElementwiseOp.Binary(WrapScalar(a, false, Checked(b)), b, new AddOp());

    /// <summary>Elementwise the sum of an integer scalar and a tensor.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator +(long a, Tensor b) => ElementwiseOp.Binary(WrapScalar(a, true, Checked(b)), b, new AddOp());

    /// <summary>Elementwise the sum (the method form of <c>+</c>).</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Add(Tensor other) => this + other;

    /// <summary>Elementwise the sum with a scalar (the method form of <c>+</c>).</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Add(double other) => this + other;

    /// <summary>Elementwise the difference, with broadcasting. Recorded as <c>SubBackward</c>.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator -(Tensor a, Tensor b) => ElementwiseOp.Binary(Checked(a), Checked(b), new SubOp());

    /// <summary>Elementwise the difference with a scalar (a float scalar does not widen a Float32 tensor, as in PyTorch).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator -(Tensor a, double b) => ElementwiseOp.Binary(Checked(a), WrapScalar(b, false, a), new SubOp());

    /// <summary>Elementwise the difference with an integer scalar (keeps an integer tensor's dtype).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator -(Tensor a, long b) => ElementwiseOp.Binary(Checked(a), WrapScalar(b, true, a), new SubOp());

    /// <summary>Elementwise the difference of a scalar and a tensor (recorded as <c>RsubBackward</c>, as PyTorch).</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator -(double a, Tensor b) => GeneratedBackward.Rename(ElementwiseOp.Binary(WrapScalar(a, false, Checked(b)), b, new SubOp()), "RsubBackward");

    /// <summary>Elementwise the difference of an integer scalar and a tensor (recorded as <c>RsubBackward</c>, as PyTorch).</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator -(long a, Tensor b) => GeneratedBackward.Rename(ElementwiseOp.Binary(WrapScalar(a, true, Checked(b)), b, new SubOp()), "RsubBackward");

    /// <summary>Elementwise the difference (the method form of <c>-</c>).</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Sub(Tensor other) => this - other;

    /// <summary>Elementwise the difference with a scalar (the method form of <c>-</c>).</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Sub(double other) => this - other;

    /// <summary>Elementwise the product, with broadcasting. Recorded as <c>MulBackward</c>.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator *(Tensor a, Tensor b) => ElementwiseOp.Binary(Checked(a), Checked(b), new MulOp());

    /// <summary>Elementwise the product with a scalar (a float scalar does not widen a Float32 tensor, as in PyTorch).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator *(Tensor a, double b) => ElementwiseOp.Binary(Checked(a), WrapScalar(b, false, a), new MulOp());

    /// <summary>Elementwise the product with an integer scalar (keeps an integer tensor's dtype).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator *(Tensor a, long b) => ElementwiseOp.Binary(Checked(a), WrapScalar(b, true, a), new MulOp());

    /// <summary>Elementwise the product of a scalar and a tensor.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator *(double a, Tensor b) => ElementwiseOp.Binary(WrapScalar(a, false, Checked(b)), b, new MulOp());

    /// <summary>Elementwise the product of an integer scalar and a tensor.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator *(long a, Tensor b) => ElementwiseOp.Binary(WrapScalar(a, true, Checked(b)), b, new MulOp());

    /// <summary>Elementwise the product (the method form of <c>*</c>).</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Mul(Tensor other) => this * other;

    /// <summary>Elementwise the product with a scalar (the method form of <c>*</c>).</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Mul(double other) => this * other;

    /// <summary>Elementwise the quotient (true division: integers give Float32), with broadcasting. Recorded as <c>DivBackward</c>.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator /(Tensor a, Tensor b) => ElementwiseOp.Binary(Checked(a), Checked(b), new DivOp());

    /// <summary>Elementwise the quotient (true division: integers give Float32) with a scalar (a float scalar does not widen a Float32 tensor, as in PyTorch).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator /(Tensor a, double b) => ElementwiseOp.Binary(Checked(a), WrapScalar(b, false, a), new DivOp());

    /// <summary>Elementwise the quotient (true division: integers give Float32) with an integer scalar (keeps an integer tensor's dtype).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator /(Tensor a, long b) => ElementwiseOp.Binary(Checked(a), WrapScalar(b, true, a), new DivOp());

    /// <summary>Elementwise the quotient (true division: integers give Float32) of a scalar and a tensor.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator /(double a, Tensor b) => ElementwiseOp.Binary(WrapScalar(a, false, Checked(b)), b, new DivOp());

    /// <summary>Elementwise the quotient (true division: integers give Float32) of an integer scalar and a tensor.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator /(long a, Tensor b) => ElementwiseOp.Binary(WrapScalar(a, true, Checked(b)), b, new DivOp());

    /// <summary>Elementwise the quotient (true division: integers give Float32) (the method form of <c>/</c>).</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Div(Tensor other) => this / other;

    /// <summary>Elementwise the quotient (true division: integers give Float32) with a scalar (the method form of <c>/</c>).</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Div(double other) => this / other;

    /// <summary>Elementwise "greater than", with broadcasting: a Bool tensor.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator >(Tensor a, Tensor b) => ElementwiseOp.Compare(Checked(a), Checked(b), new GtOp());

    /// <summary>Elementwise "greater than" a scalar: a Bool tensor (<c>data &gt; 3</c>).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator >(Tensor a, double b) => ElementwiseOp.Compare(Checked(a), WrapScalar(b, false, a), new GtOp());

    /// <summary>Elementwise "greater than" between a scalar and a tensor: a Bool tensor.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator >(double a, Tensor b) => ElementwiseOp.Compare(WrapScalar(a, false, Checked(b)), b, new GtOp());

    /// <summary>Elementwise "greater than" (the method form): a Bool tensor.</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Gt(Tensor other) => this > other;

    /// <summary>Elementwise "greater than" a scalar (the method form): a Bool tensor.</summary>
    /// <param name="other">The scalar.</param>
    public Tensor Gt(double other) => this > other;

    /// <summary>Elementwise "less than", with broadcasting: a Bool tensor.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator <(Tensor a, Tensor b) => ElementwiseOp.Compare(Checked(a), Checked(b), new LtOp());

    /// <summary>Elementwise "less than" a scalar: a Bool tensor (<c>data &gt; 3</c>).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator <(Tensor a, double b) => ElementwiseOp.Compare(Checked(a), WrapScalar(b, false, a), new LtOp());

    /// <summary>Elementwise "less than" between a scalar and a tensor: a Bool tensor.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator <(double a, Tensor b) => ElementwiseOp.Compare(WrapScalar(a, false, Checked(b)), b, new LtOp());

    /// <summary>Elementwise "less than" (the method form): a Bool tensor.</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Lt(Tensor other) => this < other;

    /// <summary>Elementwise "less than" a scalar (the method form): a Bool tensor.</summary>
    /// <param name="other">The scalar.</param>
    public Tensor Lt(double other) => this < other;

    /// <summary>Elementwise "greater than or equal to", with broadcasting: a Bool tensor.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator >=(Tensor a, Tensor b) => ElementwiseOp.Compare(Checked(a), Checked(b), new GeOp());

    /// <summary>Elementwise "greater than or equal to" a scalar: a Bool tensor (<c>data &gt; 3</c>).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator >=(Tensor a, double b) => ElementwiseOp.Compare(Checked(a), WrapScalar(b, false, a), new GeOp());

    /// <summary>Elementwise "greater than or equal to" between a scalar and a tensor: a Bool tensor.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator >=(double a, Tensor b) => ElementwiseOp.Compare(WrapScalar(a, false, Checked(b)), b, new GeOp());

    /// <summary>Elementwise "greater than or equal to" (the method form): a Bool tensor.</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Ge(Tensor other) => this >= other;

    /// <summary>Elementwise "greater than or equal to" a scalar (the method form): a Bool tensor.</summary>
    /// <param name="other">The scalar.</param>
    public Tensor Ge(double other) => this >= other;

    /// <summary>Elementwise "less than or equal to", with broadcasting: a Bool tensor.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor operator <=(Tensor a, Tensor b) => ElementwiseOp.Compare(Checked(a), Checked(b), new LeOp());

    /// <summary>Elementwise "less than or equal to" a scalar: a Bool tensor (<c>data &gt; 3</c>).</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="b">The scalar.</param>
    public static Tensor operator <=(Tensor a, double b) => ElementwiseOp.Compare(Checked(a), WrapScalar(b, false, a), new LeOp());

    /// <summary>Elementwise "less than or equal to" between a scalar and a tensor: a Bool tensor.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="b">The tensor.</param>
    public static Tensor operator <=(double a, Tensor b) => ElementwiseOp.Compare(WrapScalar(a, false, Checked(b)), b, new LeOp());

    /// <summary>Elementwise "less than or equal to" (the method form): a Bool tensor.</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Le(Tensor other) => this <= other;

    /// <summary>Elementwise "less than or equal to" a scalar (the method form): a Bool tensor.</summary>
    /// <param name="other">The scalar.</param>
    public Tensor Le(double other) => this <= other;

    /// <summary>Elementwise equality, with broadcasting: a Bool tensor (PyTorch's <c>==</c>; C#'s <c>==</c> on tensors is reference equality).</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Eq(Tensor other) => ElementwiseOp.Compare(this, Checked(other), new EqOp());

    /// <summary>Elementwise equality with a scalar: a Bool tensor.</summary>
    /// <param name="other">The scalar.</param>
    public Tensor Eq(double other) => ElementwiseOp.Compare(this, WrapScalar(other, false, this), new EqOp());

    /// <summary>Elementwise inequality, with broadcasting: a Bool tensor (PyTorch's <c>!=</c>).</summary>
    /// <param name="other">The right operand.</param>
    public Tensor Ne(Tensor other) => ElementwiseOp.Compare(this, Checked(other), new NeOp());

    /// <summary>Elementwise inequality with a scalar: a Bool tensor.</summary>
    /// <param name="other">The scalar.</param>
    public Tensor Ne(double other) => ElementwiseOp.Compare(this, WrapScalar(other, false, this), new NeOp());

    /// <summary>Elementwise negation. Recorded as <c>NegBackward</c>.</summary>
    /// <param name="a">The operand.</param>
    public static Tensor operator -(Tensor a) => ElementwiseOp.Unary(Checked(a), new NegOp());

    /// <summary>Elementwise negation (the method form of unary <c>-</c>).</summary>
    public Tensor Neg() => -this;

    /// <summary>Elementwise xᵖ for a scalar exponent (<c>data.Pow(2)</c>). Recorded as <c>PowBackward</c>.</summary>
    /// <param name="exponent">The exponent.</param>
    public Tensor Pow(double exponent) => ElementwiseOp.Unary(this, new PowScalarOp { P = exponent });

    /// <summary>
    /// Elementwise xⁿ for an integer exponent: integer tensors keep their dtype (as PyTorch's <c>pow(2)</c>), float
    /// tensors behave as <see cref="Pow(double)"/>. Recorded as <c>PowBackward</c>.
    /// </summary>
    /// <param name="exponent">The exponent; negative exponents need a floating-point tensor.</param>
    /// <exception cref="ArgumentException">An integer tensor and a negative exponent.</exception>
    public Tensor Pow(long exponent)
    {
        if (DType.IsFloating()) return Pow((double)exponent);
        if (exponent < 0)
            throw new ArgumentException($"Pow: integer tensors cannot be raised to the negative integer power {exponent}; convert with To(DType.Float32) first.", nameof(exponent));
        return ElementwiseOp.Unary(this, new PowScalarOp { P = exponent, IntegerExponent = true });
    }

    /// <summary>Elementwise aᵇ with broadcasting. Recorded as <c>PowBackward</c>.</summary>
    /// <param name="exponent">The exponents.</param>
    public Tensor Pow(Tensor exponent) => ElementwiseOp.Binary(this, Checked(exponent), new PowOp());

    /// <summary>Elementwise xᵖ (the static form).</summary>
    /// <param name="x">The base.</param>
    /// <param name="exponent">The exponent.</param>
    public static Tensor Pow(Tensor x, double exponent) => Checked(x).Pow(exponent);

    /// <summary>Elementwise aᵇ with broadcasting (the static form).</summary>
    /// <param name="x">The bases.</param>
    /// <param name="exponent">The exponents.</param>
    public static Tensor Pow(Tensor x, Tensor exponent) => Checked(x).Pow(exponent);

    /// <summary>
    /// Elementwise min(max(x, min), max); either bound may be omitted. Where min &gt; max every element is max (PyTorch's
    /// rule). The gradient flows where min ≤ x ≤ max. Recorded as <c>ClampBackward</c>.
    /// </summary>
    /// <param name="min">The lower bound, or null.</param>
    /// <param name="max">The upper bound, or null.</param>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        if (min is null && max is null) throw new ArgumentException("Clamp: at least one of min and max must be given.");
        return ElementwiseOp.Unary(this, new ClampOp { Min = min ?? double.NegativeInfinity, Max = max ?? double.PositiveInfinity });
    }

    /// <summary>Elementwise clamp (the static form of <see cref="Clamp(double?, double?)"/>).</summary>
    /// <param name="x">The input.</param>
    /// <param name="min">The lower bound, or null.</param>
    /// <param name="max">The upper bound, or null.</param>
    public static Tensor Clamp(Tensor x, double? min = null, double? max = null) => Checked(x).Clamp(min, max);

    /// <summary>Elementwise maximum with broadcasting; NaN propagates, ties split the gradient in half. Recorded as <c>MaximumBackward</c>.</summary>
    /// <param name="other">The other operand.</param>
    public Tensor Maximum(Tensor other) => ElementwiseOp.Binary(this, Checked(other), new MaximumOp());

    /// <summary>Elementwise maximum (the static form).</summary>
    /// <param name="a">An operand.</param>
    /// <param name="b">An operand.</param>
    public static Tensor Maximum(Tensor a, Tensor b) => Checked(a).Maximum(b);

    /// <summary>Elementwise minimum with broadcasting; NaN propagates, ties split the gradient in half. Recorded as <c>MinimumBackward</c>.</summary>
    /// <param name="other">The other operand.</param>
    public Tensor Minimum(Tensor other) => ElementwiseOp.Binary(this, Checked(other), new MinimumOp());

    /// <summary>Elementwise minimum (the static form).</summary>
    /// <param name="a">An operand.</param>
    /// <param name="b">An operand.</param>
    public static Tensor Minimum(Tensor a, Tensor b) => Checked(a).Minimum(b);

    static Tensor Checked(Tensor t) => t ?? throw new ArgumentNullException(nameof(t), "A tensor operand is null.");
}
