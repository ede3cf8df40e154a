#!/usr/bin/env python3
"""The PyTorch half of the Gradgen GPU check (scripts/gpu-check.sh runs it after the .NET runner).

Times Bump(x) = sin(2*pi*x) * exp(-(x - 5)^2 / 3) with its gradient at N = 10^7 float32 elements on the same GPU,
the way tests/Gradgen.GpuCheck times Gradgen's fused kernel: CUDA events, median of --runs runs after 3 warm-ups,
and a device-to-device copy measured in the same process as the bandwidth reference. Three PyTorch variants:
  eager autograd             y = bump(x); torch.autograd.grad(y, x, ones)
  torch.compile + autograd   the same with bump compiled (AOTAutograd: a fused forward and a fused backward kernel)
  torch.compile, hand-written value and derivative in one function (inductor fuses it into one kernel): the best
                             PyTorch can do, and the same work as Gradgen's Bump_with_gradient
Then the MLP training steps the .NET runner timed (tests/Gradgen.GpuCheck/MlpChecks.cs), with the same shapes, loss
and optimizer: the seed MLP 2-2-1 (sigmoid) at batch 10,000 with MSE and SGD, and 784-256-10 (ReLU) with
cross-entropy and SGD at batch 128 and 4096; each in eager PyTorch and with the model under torch.compile (forward
and backward compiled by AOTAutograd; the SGD step eager, as in a usual training loop). Wall clock per step,
synchronised, median, like the .NET runner.
Then prints the final tables with Gradgen's figures read from --gradgen-results (key=value lines).
"""
import argparse
import math
import os
import statistics
import sys
import time

BYTES_PER_ELEMENT = 12  # value and gradient: 1 read + 2 writes of float32, the least any implementation must move


def read_key_values(path):
    values = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if "=" in line:
                    key, value = line.rstrip("\n").split("=", 1)
                    values[key] = value
    return values


def fnum(values, key):
    try:
        return float(values[key])
    except (KeyError, ValueError):
        return None


MLP_CASES = [
    # key in gradgen-results, label, layer sizes, activation, batch, loss
    ("seed_mlp", "seed MLP 2-2-1 sigmoid, batch 10,000, MSE, SGD", (2, 2, 1), "sigmoid", 10_000, "mse"),
    ("mnist_mlp_128", "784-256-10 ReLU, batch 128, cross-entropy, SGD", (784, 256, 10), "relu", 128, "ce"),
    ("mnist_mlp_4096", "784-256-10 ReLU, batch 4096, cross-entropy, SGD", (784, 256, 10), "relu", 4096, "ce"),
    # Issue 10's models (tests/Gradgen.GpuCheck/Models.cs): PyTorch's quickstart and the residual LayerNorm MLP.
    ("quickstart_64", "784-512-512-10 ReLU, batch 64, cross-entropy, SGD", (784, 512, 512, 10), "relu", 64, "ce"),
    ("residual_ln_64", "residual LayerNorm+GELU MLP, batch 64, cross-entropy, SGD", (784, 512, 10), "residual", 64, "ce"),
    ("quickstart_4096", "784-512-512-10 ReLU, batch 4096, cross-entropy, SGD", (784, 512, 512, 10), "relu", 4096, "ce"),
    ("residual_ln_4096", "residual LayerNorm+GELU MLP, batch 4096, cross-entropy, SGD", (784, 512, 10), "residual", 4096, "ce"),
    # Issue 12's small CNN (SmallCnn in Models.cs) on 1×28×28 images.
    ("small_cnn_64", "small CNN 1-8-16 3×3 conv+ReLU+pool, 784-10, batch 64, cross-entropy, SGD", (784, 10), "cnn", 64, "ce"),
    ("small_cnn_256", "small CNN 1-8-16 3×3 conv+ReLU+pool, 784-10, batch 256, cross-entropy, SGD", (784, 10), "cnn", 256, "ce"),
]


def build_model(torch, sizes, activation):
    """A Linear chain with the activation between layers, or (activation "residual") 784 → 512, two blocks
    h + Linear(GELU(LayerNorm(h))), → 10, as ResidualLayerNormMlp in tests/Gradgen.GpuCheck/Models.cs, or (activation
    "cnn") SmallCnn there."""
    nn = torch.nn
    if activation == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    if activation == "residual":
        i, h, o = sizes

        class ResidualLayerNormMlp(nn.Module):
            def __init__(self):
                super().__init__()
                self.inp, self.output = nn.Linear(i, h), nn.Linear(h, o)
                self.norm1, self.fc1 = nn.LayerNorm(h), nn.Linear(h, h)
                self.norm2, self.fc2 = nn.LayerNorm(h), nn.Linear(h, h)

            def forward(self, x):
                x = self.inp(x)
                x = x + self.fc1(nn.functional.gelu(self.norm1(x)))
                x = x + self.fc2(nn.functional.gelu(self.norm2(x)))
                return self.output(x)

        return ResidualLayerNormMlp()
    layers = []
    for k in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2:
            layers.append(nn.Sigmoid() if activation == "sigmoid" else nn.ReLU())
    return nn.Sequential(*layers)


def time_mlp_steps(torch, runs, compile_too):
    """Median wall-clock ms per training step for each case, eager and (optionally) torch.compile."""
    import gc
    results = {}
    device = torch.device("cuda")
    for key, label, sizes, activation, batch, loss_name in MLP_CASES:
        torch.manual_seed(0)
        i, o = sizes[0], sizes[-1]
        shape = (batch, 1, 28, 28) if activation == "cnn" else (batch, i)
        x = torch.rand(*shape, device=device) * (4 if loss_name == "mse" else 1) - (2 if loss_name == "mse" else 0)
        if loss_name == "mse":
            target = ((x[:, 0] * x[:, 1]) > 0).float().unsqueeze(1)
            loss_fn = torch.nn.MSELoss()
        else:
            target = torch.randint(0, o, (batch,), device=device)
            loss_fn = torch.nn.CrossEntropyLoss()
        for variant in (["eager", "compile"] if compile_too else ["eager"]):
            model = build_model(torch, sizes, activation).to(device)
            run_model = torch.compile(model) if variant == "compile" else model
            opt = torch.optim.SGD(model.parameters(), lr=0.05)

            def step():
                opt.zero_grad()
                loss_fn(run_model(x), target).backward()
                opt.step()

            try:
                started = time.perf_counter()
                for _ in range(3):
                    step()
                torch.cuda.synchronize()
                warm_s = time.perf_counter() - started
                times = []
                for _ in range(runs):
                    gc.collect()
                    torch.cuda.synchronize()
                    t0 = time.perf_counter()
                    step()
                    torch.cuda.synchronize()
                    times.append((time.perf_counter() - t0) * 1e3)
                ms = statistics.median(times)
                note = f" (first 3 steps incl. compile {warm_s:.1f} s)" if variant == "compile" else ""
                print(f"  {label}, {variant}: {ms:.4f} ms per step{note}")
                results[f"{key}_{variant}_ms"] = ms
            except Exception as e:  # a missing compiler or Triton must not hide the other figures
                print(f"  {label}, {variant}: FAILED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    return results


def mlp_table(gradgen, torch_results):
    lines = [
        "",
        "== MLP training steps (zero_grad, forward, loss, backward, SGD step), wall clock per step, synchronised, median",
        "   targets: faster than PyTorch eager (issues 5 and 10), within 1.5x of torch.compile (issue 5's MLPs)",
        "",
        f"  {'step':<50} {'Gradgen ms':>11} {'eager ms':>9} {'compile ms':>11} {'vs eager':>9} {'vs compile':>11}  targets",
    ]
    for key, label, *_ in MLP_CASES:
        g = fnum(gradgen, key + "_ms")
        e = torch_results.get(key + "_eager_ms")
        c = torch_results.get(key + "_compile_ms")

        def cell(v, width):
            return f"{v:{width}.4f}" if v is not None else f"{'-':>{width}}"

        vs_e = f"{e / g:8.2f}x" if g and e else f"{'-':>9}"
        vs_c = f"{c / g:10.2f}x" if g and c else f"{'-':>11}"
        verdict = []
        if g and e:
            verdict.append("eager: " + ("met" if g < e else "NOT met"))
        if g and c:
            verdict.append("compile: " + ("met" if g <= 1.5 * c else "NOT met"))
        lines.append(f"  {label:<50} {cell(g, 11)} {cell(e, 9)} {cell(c, 11)} {vs_e} {vs_c}  {', '.join(verdict)}")
    lines.append("   (vs columns: PyTorch time / Gradgen time; above 1 means Gradgen is faster)")
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gradgen-results", help="key=value file written by gradgen-gpu-check --results")
    parser.add_argument("--summary", help="also write the final table here")
    parser.add_argument("--results", help="write PyTorch's figures here as key=value lines")
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile (saves its compile time)")
    args = parser.parse_args()

    gradgen = read_key_values(args.gradgen_results)
    n = int(gradgen.get("n", args.n)) if gradgen else args.n
    runs = int(gradgen.get("runs", args.runs)) if gradgen else args.runs
    rows = []  # (label, median ms, copy GB/s of the same process, note)
    torch_results = {}

    if fnum(gradgen, "with_gradient_ms") is not None:
        rows.append(("Gradgen: fused Bump_with_gradient (CUDA, NVRTC)", fnum(gradgen, "with_gradient_ms"),
                     fnum(gradgen, "copy_gbps"), "grid " + gradgen.get("with_gradient_grid", "?")))
        if fnum(gradgen, "with_gradient_per_element_ms") is not None:
            rows.append(("Gradgen: same kernel, one thread per element", fnum(gradgen, "with_gradient_per_element_ms"),
                         fnum(gradgen, "copy_gbps"), "grid " + gradgen.get("with_gradient_per_element_grid", "?")))

    print("== PyTorch on the same GPU")
    try:
        import torch
    except ImportError as e:
        print(f"  PyTorch is not installed ({e}): only Gradgen's figures below")
        torch = None

    if torch is not None and not torch.cuda.is_available():
        print("  torch.cuda.is_available() is False: only Gradgen's figures below")
        torch = None

    if torch is not None:
        device = torch.device("cuda")
        print(f"  torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}")
        torch_results["torch"] = torch.__version__
        gen = torch.Generator(device=device).manual_seed(7)
        x0 = torch.rand(n, device=device, generator=gen, dtype=torch.float32) * 10
        ones = torch.ones_like(x0)
        two_pi = 2 * math.pi

        def bump(x):
            return torch.sin(two_pi * x) * torch.exp(-(x - 5) ** 2 / 3)

        def bump_value_and_derivative(x):
            a = two_pi * x
            d = x - 5
            e = torch.exp(-d * d / 3)
            s = torch.sin(a)
            return s * e, e * (two_pi * torch.cos(a) - s * (2 * d / 3))

        def median_ms(fn):
            for _ in range(3):
                fn()
            torch.cuda.synchronize()
            times = []
            for _ in range(runs):
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            return statistics.median(times)

        destination = torch.empty_like(x0)
        copy_ms = median_ms(lambda: destination.copy_(x0))
        copy_gbps = 2 * 4 * n / (copy_ms * 1e6)
        print(f"  device-to-device copy (Tensor.copy_): {copy_ms:.4f} ms, {copy_gbps:.1f} GB/s")
        torch_results.update(copy_ms=copy_ms, copy_gbps=copy_gbps)

        x = x0.clone().requires_grad_(True)
        reference = None

        def check(label, y, g):
            nonlocal reference
            if reference is None:
                reference = (y.detach(), g.detach())
                return ""
            dy = (y.detach() - reference[0]).abs().max().item()
            dg = (g.detach() - reference[1]).abs().max().item()
            return f"max|diff| vs eager: value {dy:.1e}, gradient {dg:.1e}"

        def eager():
            y = bump(x)
            (g,) = torch.autograd.grad(y, x, ones)
            return y, g

        variants = [("PyTorch: eager autograd", eager, None)]
        if not args.no_compile:
            compiled_bump = torch.compile(bump)

            def compiled_autograd():
                y = compiled_bump(x)
                (g,) = torch.autograd.grad(y, x, ones)
                return y, g

            compiled_hand = torch.compile(bump_value_and_derivative)
            variants.append(("PyTorch: torch.compile + autograd", compiled_autograd, "compile"))
            variants.append(("PyTorch: torch.compile, hand-written value+derivative", lambda: compiled_hand(x0), "compile"))

        for label, fn, kind in variants:
            try:
                started = time.perf_counter()
                y, g = fn()
                torch.cuda.synchronize()
                first_s = time.perf_counter() - started
                ms = median_ms(fn)
                note = check(label, y, g)
                if kind == "compile":
                    note = f"first call (compile) {first_s:.1f} s; " + note
                print(f"  {label}: {ms:.4f} ms  {note}")
                rows.append((label, ms, copy_gbps, note))
                torch_results[label] = ms
            except Exception as e:  # a missing compiler or Triton must not hide the other figures
                print(f"  {label}: FAILED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")

    if torch is not None:
        print()
        print("== PyTorch MLP training steps on the same GPU")
        torch_results.update(time_mlp_steps(torch, runs, not args.no_compile))

    if args.results:
        with open(args.results, "w", encoding="utf-8") as f:
            for key, value in torch_results.items():
                f.write(f"{key}={value}\n")

    lines = [
        "",
        f"== Final table: Bump(x) = sin(2*pi*x)*exp(-(x-5)^2/3) with dBump/dx, N = {n:,} float32, median of {runs} runs (CUDA events)",
        f"   GB/s counts {BYTES_PER_ELEMENT} bytes per element for every row (1 read + 2 writes, the least value+gradient needs),",
        "   so it compares speed, not actual traffic; '% of copy' divides by the device-to-device copy bandwidth measured",
        "   in the same process (Gradgen: cuMemcpyDtoD; PyTorch: Tensor.copy_).",
        f"   device: {gradgen.get('device', '?')}; Gradgen copy {fnum(gradgen, 'copy_gbps') or 0:.1f} GB/s"
        + (f"; PyTorch copy {torch_results['copy_gbps']:.1f} GB/s" if "copy_gbps" in torch_results else ""),
        "",
        f"  {'implementation':<56} {'median ms':>10} {'GB/s':>8} {'% of copy':>10} {'vs eager':>9}",
    ]
    eager_ms = next((ms for label, ms, _, _ in rows if label == "PyTorch: eager autograd"), None)
    for label, ms, copy_gbps, note in rows:
        gbps = BYTES_PER_ELEMENT * n / (ms * 1e6)
        share = f"{100 * gbps / copy_gbps:9.1f}%" if copy_gbps else f"{'?':>10}"
        speedup = f"{eager_ms / ms:8.2f}x" if eager_ms else f"{'':>9}"
        lines.append(f"  {label:<56} {ms:10.4f} {gbps:8.1f} {share} {speedup}")
    if not rows:
        lines.append("  (no figures: neither the Gradgen runner nor PyTorch produced any)")
    lines.extend(mlp_table(gradgen, torch_results))
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
