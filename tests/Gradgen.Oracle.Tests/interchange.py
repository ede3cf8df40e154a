"""The PyTorch side of the safetensors interchange test (SafetensorsInterchangeTests.cs, docs/oracle.md).

Reads a JSON list of jobs (argv[1]) and runs each in PyTorch; every tensor travels in safetensors files that this
script reads and writes with its own small reader and writer of the format, because the `safetensors` package is not
packaged for Debian. Jobs:
  run    build a model from its spec, load a state dict Gradgen saved, evaluate it on Gradgen's input; write the
         output and the model's state dict as PyTorch holds it (widened to float64/int64, so it compares exactly)
  make   build a model from its spec with a seed (running batch norm in training mode first, so its running
         statistics are not the defaults), convert it to a file dtype, write its state dict in that dtype, the same
         state widened, and an input with the output of the model evaluated in a compute dtype
  edges  write one tensor of every dtype of the format with its edge values, and the same tensors widened by PyTorch
  echo   read a file Gradgen wrote and write each tensor back widened, with PyTorch's dtype of it as metadata
"""
import collections
import json
import struct
import sys

import torch

torch.set_num_threads(1)

# The format's dtype names and PyTorch's dtypes (every one PyTorch 1.13 has).
DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
# A same-size integer dtype for each, through which numpy (which lacks bfloat16) gives the little-endian bytes.
BITS = {torch.float64: torch.int64, torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16}
COMPUTE = {"float32": torch.float32, "float64": torch.float64}


def read(path):
    """The tensors and metadata of a safetensors file: 8-byte little-endian header length, JSON header, data."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    data = blob[8 + n:]
    tensors = {}
    for name, info in header.items():
        dtype, shape = DTYPES[info["dtype"]], info["shape"]
        begin, end = info["data_offsets"]
        if begin == end:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(shape)
    return tensors, metadata


def to_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    elif t.dtype in BITS:
        t = t.view(BITS[t.dtype])
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def write(path, tensors, metadata=None):
    """Writes tensors as the reference implementation does: compact JSON padded with spaces to a multiple of 8."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = to_bytes(t)
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def widened(t):
    """t in float64 (floating dtypes) or int64 (integers); exact for every dtype of the format."""
    if t.dtype == torch.bool:
        return t
    return t.to(torch.float64 if t.is_floating_point() else torch.int64)


def build(spec):
    """The model a spec describes: [name, kind, args...] per layer, in forward order; a single layer named "" is the
    model itself (nn.Linear's keys are weight and bias), otherwise the layers are children under their names."""
    def layer(kind, *args):
        if kind == "linear":
            return torch.nn.Linear(args[0], args[1], bias=args[2])
        if kind == "batchnorm1d":
            return torch.nn.BatchNorm1d(args[0])
        return {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}[kind]()

    if len(spec) == 1 and spec[0][0] == "":
        return layer(*spec[0][1:])
    return torch.nn.Sequential(collections.OrderedDict((s[0], layer(*s[1:])) for s in spec))


def run(job):
    model = build(job["model"]).to(COMPUTE[job["dtype"]])
    state, _ = read(job["state"])
    model.load_state_dict(state, strict=True)
    model.eval()
    io, _ = read(job["input"])
    with torch.no_grad():
        y = model(io["x"])
    out = {"y": y}
    out.update(("state." + k, widened(v)) for k, v in model.state_dict().items())
    write(job["output"], out)


def make(job):
    torch.manual_seed(job["seed"])
    model = build(job["model"])
    inputs = job["model"][0][2]  # the first layer's in_features (linear) or num_features (batchnorm1d)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, inputs) * 2 + 0.5)
    model.eval()
    model.to(DTYPES[job["weights"]])
    write(job["state"], model.state_dict(), {"format": "pt"})
    write(job["state_wide"], {k: widened(v) for k, v in model.state_dict().items()})
    compute = COMPUTE[job["dtype"]]
    model.to(compute)
    x = torch.randn(5, inputs, dtype=compute)
    with torch.no_grad():
        y = model(x)
    write(job["io"], {"x": x, "y": y})


def edge_values(dtype):
    if dtype == torch.bool:
        return torch.tensor([True, False, False, True])
    if dtype.is_floating_point:
        fi = torch.finfo(dtype)
        smallest_subnormal = {torch.float64: 2.0 ** -1074, torch.float32: 2.0 ** -149, torch.float16: 2.0 ** -24,
                              torch.bfloat16: 2.0 ** -133}[dtype]
        values = [0.0, -0.0, 1.0, -2.5, 1 / 3, -1e-3, float("inf"), float("-inf"), float("nan"), -float("nan"),
                  fi.max, fi.min, fi.tiny, -fi.tiny, smallest_subnormal, -smallest_subnormal, fi.tiny - smallest_subnormal]
        return torch.cat([torch.tensor(values, dtype=torch.float64).to(dtype), (torch.randn(13) * 100).to(dtype)])
    ii = torch.iinfo(dtype)
    return torch.tensor([ii.min, ii.min + 1, -1, 0, 1, 2, ii.max - 1, ii.max], dtype=dtype)


def edges(job):
    tensors = {}
    for name, dtype in DTYPES.items():
        values = edge_values(dtype)
        tensors[name] = values
        tensors[name + ".matrix"] = values[:values.numel() // 2 * 2].reshape(2, -1).t()   # written contiguous
        tensors[name + ".empty"] = torch.empty(0, 3, dtype=dtype)
    write(job["narrow"], tensors)
    write(job["wide"], {k: widened(v) for k, v in tensors.items()})


def echo(job):
    tensors, _ = read(job["input"])
    write(job["output"], {k: widened(v) for k, v in tensors.items()}, {k: str(v.dtype) for k, v in tensors.items()})


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    for job in jobs:
        {"run": run, "make": make, "edges": edges, "echo": echo}[job["do"]](job)


if __name__ == "__main__":
    main()
