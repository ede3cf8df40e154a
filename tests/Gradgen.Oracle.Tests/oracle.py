"""The PyTorch side of Gradgen's differential test (tests/Gradgen.Oracle.Tests, docs/oracle.md).

Reads a JSON batch of programs (argv[1]) and writes what PyTorch did at each step (argv[2]). Each step is run twice:
chained, on PyTorch's own results of the earlier steps (errors, dtypes, shapes, requires_grad, grad_fn, gradients and
optimizer updates come from this run), and anchored, on the values Gradgen had for the step's inputs (the value
Gradgen computed is compared with this one, so rounding differences of earlier steps do not add up).
Numbers travel as hex of little-endian float64 so that NaN, +-inf and -0.0 survive.
"""
import json
import sys

import numpy as np
import torch

torch.set_num_threads(1)

DT = {"float32": torch.float32, "float64": torch.float64, "int32": torch.int32, "int64": torch.int64, "bool": torch.bool}
NAME = {v: k for k, v in DT.items()}


def unhex(s):
    return np.frombuffer(bytes.fromhex(s), dtype="<f8").copy()


def tohex(a):
    return np.ascontiguousarray(a, dtype="<f8").tobytes().hex()


def make(d, shape, values):
    # A copy: PyTorch's AccumulateGrad may keep a gradient passed to backward() as the leaf's .grad and add later
    # gradients into it in place, which would otherwise write into the program's data (read again by the float64 run).
    return torch.from_numpy(values.copy()).to(DT[d]).reshape(shape)


def value(t):
    t = t.detach()
    return {"d": NAME[t.dtype], "sh": list(t.shape), "v": tohex(t.to(torch.float64).contiguous().reshape(-1).numpy())}


def red(s):
    return s if s in ("mean", "sum", "none") else "mean"


def scalar(st):
    return int(st["p"][0]) if st["i"][0] == 1 else float(st["p"][0])


def make_optimizer(st, params):
    p, k = st["p"], st["s"]
    if k == "sgd":
        return torch.optim.SGD(params, lr=p[0], momentum=p[1], dampening=p[2], weight_decay=p[3], nesterov=bool(p[4]), maximize=bool(p[5]))
    if k in ("adam", "adamw"):
        cls = torch.optim.Adam if k == "adam" else torch.optim.AdamW
        return cls(params, lr=p[0], betas=(p[1], p[2]), eps=p[3], weight_decay=p[4], amsgrad=bool(p[5]), maximize=bool(p[6]))
    if k == "rmsprop":
        return torch.optim.RMSprop(params, lr=p[0], alpha=p[1], eps=p[2], weight_decay=p[3], momentum=p[4], centered=bool(p[5]), maximize=bool(p[6]))
    if k == "adagrad":
        return torch.optim.Adagrad(params, lr=p[0], lr_decay=p[1], weight_decay=p[2], initial_accumulator_value=p[3], eps=p[4], maximize=bool(p[5]))
    raise ValueError(k)


def apply(st, a, leaves, vars_):
    op, I, P, S = st["op"], st["i"], st["p"], st["s"]
    x = a[0] if a else None
    if op == "input":
        t = make(S, I, st["data"])
        return t.requires_grad_() if P[0] else t
    if op in ("zeros", "ones"):
        return (torch.zeros if op == "zeros" else torch.ones)(I, dtype=DT[S], requires_grad=bool(P[0]))
    if op == "full":
        return torch.full(I, P[1], dtype=DT[S], requires_grad=bool(P[0]))
    if op == "arange":
        return torch.arange(I[0], I[1], I[2], dtype=DT[S])
    if op == "linspace":
        return torch.linspace(P[0], P[1], I[0], dtype=DT[S])
    if op == "zeros_like":
        return torch.zeros_like(x)
    if op == "ones_like":
        return torch.ones_like(x)
    unary = {"exp": torch.exp, "log": torch.log, "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "tanh": torch.tanh,
             "sigmoid": torch.sigmoid, "relu": torch.relu, "abs": torch.abs, "sqrt": torch.sqrt, "neg": torch.neg,
             "silu": torch.nn.functional.silu}
    if op in unary:
        return unary[op](x)
    if op == "pow_s":
        return x ** float(P[0])
    if op == "pow_i":
        return x ** int(I[0])
    if op == "pow_t":
        return x ** a[1]
    if op == "clamp":
        return torch.clamp(x, None if np.isnan(P[0]) else float(P[0]), None if np.isnan(P[1]) else float(P[1]))
    if op == "gelu":
        return torch.nn.functional.gelu(x, approximate=S or "none")
    if op == "leaky_relu":
        return torch.nn.functional.leaky_relu(x, float(P[0]))
    if op == "elu":
        return torch.nn.functional.elu(x, float(P[0]))
    if op == "softplus":
        return torch.nn.functional.softplus(x, float(P[0]), float(P[1]))
    binary = {"add": lambda u, v: u + v, "sub": lambda u, v: u - v, "mul": lambda u, v: u * v, "div": lambda u, v: u / v,
              "maximum": torch.maximum, "minimum": torch.minimum, "gt": torch.gt, "lt": torch.lt, "ge": torch.ge,
              "le": torch.le, "eq": torch.eq, "ne": torch.ne}
    if op in binary:
        return binary[op](x, a[1])
    if op == "add_s":
        return x + scalar(st)
    if op == "sub_s":
        return x - scalar(st)
    if op == "mul_s":
        return x * scalar(st)
    if op == "div_s":
        return x / scalar(st)
    if op == "s_add":
        return scalar(st) + x
    if op == "s_sub":
        return scalar(st) - x
    if op == "s_mul":
        return scalar(st) * x
    if op == "s_div":
        return scalar(st) / x
    if op == "gt_s":
        return x > float(P[0])
    if op == "le_s":
        return x <= float(P[0])
    if op == "eq_s":
        return x == float(P[0])
    if op == "sum":
        return x.sum()
    if op == "sum_d":
        return x.sum(I[0], keepdim=bool(I[1]))
    if op == "mean":
        return x.mean()
    if op == "mean_d":
        return x.mean(I[0], keepdim=bool(I[1]))
    if op == "max":
        return x.max()
    if op == "min":
        return x.min()
    if op == "amax":
        return torch.amax(x, I[0], keepdim=bool(I[1]))
    if op == "min_d_v":
        return torch.min(x, I[0], keepdim=bool(I[1])).values
    if op == "min_d_i":
        return torch.min(x, I[0], keepdim=bool(I[1])).indices
    if op == "argmax":
        return x.argmax()
    if op == "argmin":
        return x.argmin()
    if op == "argmax_d":
        return x.argmax(I[0], keepdim=bool(I[1]))
    if op == "argmin_d":
        return x.argmin(I[0], keepdim=bool(I[1]))
    if op == "logsumexp":
        return torch.logsumexp(x, I[0], keepdim=bool(I[1]))
    if op == "view":
        return x.view(I)
    if op == "reshape":
        return x.reshape(I)
    if op == "flatten":
        return x.flatten(I[0], I[1])
    if op == "transpose":
        return x.transpose(I[0], I[1])
    if op == "t":
        return x.T
    if op == "permute":
        return x.permute(I)
    if op == "unsqueeze":
        return x.unsqueeze(I[0])
    if op == "squeeze":
        return x.squeeze()
    if op == "squeeze_d":
        return x.squeeze(I[0])
    if op == "narrow":
        return x.narrow(I[0], I[1], I[2])
    if op == "slice":
        d = I[0] if I[0] >= 0 else I[0] + x.dim()
        if d < 0 or d >= max(x.dim(), 1) or x.dim() == 0:
            raise IndexError("slice: dimension out of range")
        return x[(slice(None),) * d + (slice(I[1], I[2], I[3]),)]
    if op == "select":
        return x.select(I[0], I[1])
    if op == "index":
        return x[tuple(I)]
    if op == "index_range":
        return x[I[0]:I[1]]
    if op == "expand":
        return x.expand(I)
    if op == "contiguous":
        return x.contiguous()
    if op == "clone":
        return x.clone()
    if op == "detach":
        return x.detach()
    if op == "to":
        return x.to(DT[S])
    if op == "where":
        return torch.where(x, a[1], a[2])
    if op == "masked_select":
        return torch.masked_select(x, a[1])
    if op == "index_mask":
        return x[a[1]]
    if op == "cat":
        return torch.cat(a, I[0])
    if op == "stack":
        return torch.stack(a, I[0])
    if op == "matmul":
        return torch.matmul(x, a[1])
    if op == "gather":
        return torch.gather(x, I[0], a[1])
    if op == "index_select":
        return torch.index_select(x, I[0], a[1])
    if op == "softmax":
        return torch.softmax(x, I[0])
    if op == "log_softmax":
        return torch.log_softmax(x, I[0])
    if op == "mse":
        return torch.nn.functional.mse_loss(x, a[1], reduction=red(S))
    if op == "bce_logits":
        return torch.nn.functional.binary_cross_entropy_with_logits(x, a[1], reduction=red(S))
    if op == "cross_entropy":
        return torch.nn.functional.cross_entropy(x, a[1], reduction=red(S))
    if op == "linear":
        return torch.nn.functional.linear(x, a[1], a[2] if len(a) > 2 else None)
    if op == "add_":
        return x.add_(a[1])
    if op == "mul_s_":
        return x.mul_(float(P[0]))
    if op == "fill_":
        return x.fill_(float(P[0]))
    if op == "backward":
        x.backward(a[1] if len(a) > 1 else None, retain_graph=bool(I[0]))
        return None
    if op == "zero_grad":
        for k in leaves:
            vars_[k].grad = None
        return None
    if op == "optim":
        return make_optimizer(st, list(a))
    if op == "opt_step":
        x.step()
        return None
    if op == "opt_zero":
        x.zero_grad(set_to_none=bool(I[0]))
        return None
    raise ValueError("unknown step " + op)


STATE_OPS = ("backward", "opt_step", "zero_grad", "opt_zero", "add_", "mul_s_", "fill_")
NOT_ANCHORED = ("input", "zeros", "ones", "full", "arange", "linspace", "backward", "zero_grad", "optim", "opt_step", "opt_zero", "detach")


PROMOTED_OPS = ("input", "zeros", "ones", "full", "linspace", "to")


def promote(steps):
    """The program with every float32 tensor it makes made float64: its leaves measure PyTorch's own float32 error."""
    out = []
    for st in steps:
        st = dict(st)
        if st["op"] in PROMOTED_OPS and st["s"] == "float32":
            st["s"] = "float64"
        st.pop("gin", None)
        out.append(st)
    return out


def run(program):
    for st in program["steps"]:
        st["p"] = [float(v) for v in unhex(st["p"])]
        if st.get("data") is not None:
            st["data"] = unhex(st["data"])
    out = run_steps(program["steps"])
    # The leaves' states of the same program in float64 (see Comparer: the tolerance of chained comparisons).
    try:
        wide = run_steps(promote(program["steps"]))
        # Only where the widened program took the same path (refused the same steps): else no estimate.
        if any(("err" in o) != ("err" in w) for o, w in zip(out, wide)):
            return out
        for o, w in zip(out, wide):
            if "leaves" in o and "leaves" in w:
                o["leaves64"] = w["leaves"]
    except Exception:  # noqa: BLE001 - the widened program may fail where the original does not; then no estimate
        pass
    return out


def run_steps(steps):
    vars_, leaves, out = [], [], []
    for k, st in enumerate(steps):
        o = {}
        args = st["a"]
        if any(j >= len(vars_) or vars_[j] is None for j in args):
            o["skipped"] = True
            vars_.append(None)
            out.append(o)
            continue
        a = [vars_[j] for j in args]
        result = None
        try:
            if st["ng"]:
                with torch.no_grad():
                    result = apply(st, a, leaves, vars_)
            else:
                result = apply(st, a, leaves, vars_)
            if isinstance(result, torch.Tensor):
                o["val"] = value(result)
                o["rg"] = result.requires_grad
                o["leaf"] = result.is_leaf
                o["fn"] = type(result.grad_fn).__name__ if result.grad_fn is not None else None
                if result.is_leaf and result.requires_grad and k not in leaves:
                    leaves.append(k)
        except Exception as e:  # noqa: BLE001 - every refusal is an observation
            result = None
            o["err"] = type(e).__name__ + ": " + str(e).split("\n")[0][:300]
        vars_.append(result)
        if st["op"] in STATE_OPS:
            o["leaves"] = [{"var": j, "v": value(vars_[j]), "g": None if vars_[j].grad is None else value(vars_[j].grad)}
                           for j in leaves if vars_[j] is not None]
        gin = st.get("gin")
        if "err" not in o and st["op"] not in NOT_ANCHORED and gin is not None and all(g is not None for g in gin):
            try:
                with torch.no_grad():
                    ga = [make(g["d"], g["sh"], unhex(g["v"])) for g in gin]
                    r = apply(st, ga, [], [])
                    if isinstance(r, torch.Tensor):
                        o["anc"] = value(r)
            except Exception as e:  # noqa: BLE001
                o["ancerr"] = type(e).__name__ + ": " + str(e).split("\n")[0][:300]
        out.append(o)
    return out


def main():
    with open(sys.argv[1]) as f:
        batch = json.load(f)
    # One line per program, flushed: if PyTorch crashes the process, the programs before are kept.
    with open(sys.argv[2], "w") as out:
        for program in batch:
            try:
                r = {"steps": run(program)}
            except Exception as e:  # noqa: BLE001 - a harness failure of one program is reported, the others still run
                r = {"fatal": type(e).__name__ + ": " + str(e)}
            out.write(json.dumps(r) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
