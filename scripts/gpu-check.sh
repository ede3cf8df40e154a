#!/usr/bin/env bash
# The GPU check of Gradgen.Cuda, in two halves, because the GPU machine has no .NET and this one has no GPU:
#
#   scripts/gpu-check.sh build   here: NativeAOT-publishes tests/Gradgen.GpuCheck into .gpu/ (ignored by git) with
#                                gpu_check_torch.py and a copy of this script (.gpu/run.sh), then runs the binary's
#                                NVRTC-only part as a smoke test. Needs the .NET SDK, clang (NativeAOT's linker) and,
#                                for the smoke test, NVRTC (.ci/install-nvrtc.sh).
#   scripts/gpu-check.sh run     there (NVIDIA GPU, CUDA toolkit in /usr/local/cuda, PyTorch; no .NET): runs
#                                .gpu/gradgen-gpu-check (device info, every kernel against the CPU, timings of
#                                Bump with gradient at N = 10^7 against a device-to-device copy, the tensor API, the
#                                runtime's GEMM and device operations against the CPU, span functions' row kernels
#                                (a softmax cross-entropy written as a loop, a break, a local array, calls of span
#                                functions whose tape overflows the first guess) against the CPU
#                                with a timing of the cross-entropy over 4099 x 1000, and the MLP training steps:
#                                seed 2-2-1 at batch 10,000, 784-256-10 at 128 and 4096, and issue 10's quickstart
#                                784-512-512-10 and residual LayerNorm MLP, a graph model, at 64 and 4096, Adam at 64, a small CNN at 64 and 256), a second process on the same
#                                compile cache (expects 0 NVRTC compilations), then gpu_check_torch.py (PyTorch eager
#                                and torch.compile on the same GPU, Bump and the same MLP steps) and the final tables.
#   scripts/gpu-check.sh         build where dotnet is on PATH, then run where a GPU is visible.
#
# Everything goes to stdout. Where $OUT is set, the run also writes there: gpu-check.log (all of stdout),
# gradgen-results.txt and torch-results.txt (key=value figures) and summary.txt (the final table).
# GRADGEN_GPU_CHECK_NO_COMPILE=1 skips torch.compile (its compilation takes most of the run's time).
# Exit code: that of the .NET runner (0 all checks passed, 1 a check failed, 2 no NVRTC, 3 no GPU), else Python's.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"   # scripts/.. or .gpu/..: the repository root either way
gpu_dir="$repo/.gpu"

build() {
    command -v dotnet >/dev/null || { echo "gpu-check build: dotnet is not on PATH" >&2; return 2; }
    echo "== publishing tests/Gradgen.GpuCheck (NativeAOT, linux-x64, Release) into $gpu_dir"
    dotnet publish "$repo/tests/Gradgen.GpuCheck/Gradgen.GpuCheck.csproj" -r linux-x64 -c Release -o "$gpu_dir" \
        -p:DebugType=none -p:GenerateDocumentationFile=false -nologo -v:q || return 1
    rm -f "$gpu_dir"/*.dbg "$gpu_dir"/*.pdb "$gpu_dir"/*.xml
    cp "$repo/scripts/gpu_check_torch.py" "$gpu_dir/gpu_check_torch.py"
    cp "$repo/scripts/gpu-check.sh" "$gpu_dir/run.sh"
    ls -l "$gpu_dir"
    echo "== smoke test here (NVRTC only, no GPU needed)"
    "$gpu_dir/gradgen-gpu-check" --compile-only
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
        echo "gpu-check build: the smoke test failed ($rc)" >&2
        return 1
    fi
    echo "== built: carry .gpu/ to the GPU machine and run: bash scripts/gpu-check.sh run   (or bash .gpu/run.sh run)"
}

run_all() {
    local results="$1"
    export LD_LIBRARY_PATH="/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    if [ ! -x "$gpu_dir/gradgen-gpu-check" ]; then
        echo "gpu-check run: $gpu_dir/gradgen-gpu-check is missing: run 'scripts/gpu-check.sh build' where .NET is" >&2
        return 2
    fi

    echo "== machine"
    uname -srm
    # The NativeAOT binary was linked here against glibc 2.36 and needs 2.34 or newer (Ubuntu 22.04+, Debian 12+, RHEL 9+).
    ldd --version 2>/dev/null | head -1
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory,clocks.max.sm --format=csv 2>&1
    fi
    ls /usr/local/cuda/lib64/libnvrtc.so* 2>/dev/null | head -3
    command -v python3 >/dev/null && python3 --version

    local cache
    cache="$(mktemp -d)"
    echo
    GRADGEN_CUDA_CACHE_DIR="$cache" timeout 200 "$gpu_dir/gradgen-gpu-check" --results "$results/gradgen-results.txt"
    local rc=$?
    [ "$rc" -eq 124 ] && echo "gpu-check run: the .NET runner timed out after 200 s"

    echo
    echo "== a second process on the same compile cache (expects 0 NVRTC compilations)"
    GRADGEN_CUDA_CACHE_DIR="$cache" timeout 60 "$gpu_dir/gradgen-gpu-check" --compile-only \
        | grep -E "DiskCache|Compiled|MemoryCache|FAILED|compilations"
    rm -rf "$cache"

    echo
    local prc=0
    if command -v python3 >/dev/null; then
        local extra=()
        [ "${GRADGEN_GPU_CHECK_NO_COMPILE:-0}" = 1 ] && extra+=(--no-compile)
        timeout 300 python3 "$gpu_dir/gpu_check_torch.py" --gradgen-results "$results/gradgen-results.txt" \
            --results "$results/torch-results.txt" --summary "$results/summary.txt" "${extra[@]}"
        prc=$?
        [ "$prc" -eq 124 ] && echo "gpu-check run: the PyTorch script timed out after 300 s"
    else
        echo "python3 is not on PATH: no PyTorch figures"
    fi

    [ "$rc" -ne 0 ] && return "$rc"
    return "$prc"
}

run() {
    local results
    if [ -n "${OUT:-}" ]; then
        mkdir -p "$OUT"
        results="$OUT"
        run_all "$results" 2>&1 | tee "$OUT/gpu-check.log"
        return "${PIPESTATUS[0]}"
    fi

    results="$(mktemp -d)"
    run_all "$results" 2>&1
    local rc=$?
    echo "(results in $results)"
    return "$rc"
}

case "${1:-auto}" in
    build) build ;;
    run) run ;;
    auto)
        if command -v dotnet >/dev/null; then build || exit $?; fi
        if command -v nvidia-smi >/dev/null || [ -e /dev/nvidia0 ]; then run; else echo "no GPU here: not running"; fi
        ;;
    *) echo "usage: $0 [build|run]" >&2; exit 64 ;;
esac
