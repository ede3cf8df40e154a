"""The PyTorch side of the pooling oracle (PoolingOracleTests.cs, docs/oracle.md).

Reads a JSON list of jobs (argv[1]); each names a safetensors file holding an input x and a weight w shaped like the
pooled output, and a pooling: ["avg", kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override]
or ["adaptive", output_height, output_width]. Writes y = pool(x) and x's gradient of sum(y * w) to the job's output
file, so Gradgen's values and gradients are compared with PyTorch's own (float64, as Gradgen computed them).
"""
import json
import sys

import torch

from interchange import read, write

torch.set_num_threads(1)


def pool(spec, x):
    if spec[0] == "avg":
        _, kernel, stride, padding, ceil_mode, count_include_pad, divisor = spec
        return torch.nn.functional.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor)
    return torch.nn.functional.adaptive_avg_pool2d(x, (spec[1], spec[2]))


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        tensors, _ = read(job["input"])
        x = tensors["x"].clone().requires_grad_(True)
        y = pool(job["pool"], x)
        (y * tensors["w"]).sum().backward()
        write(job["output"], {"y": y.detach(), "grad": x.grad})


if __name__ == "__main__":
    main()
