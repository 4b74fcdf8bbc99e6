#!/usr/bin/env bash
# Builds a folder that runs the CUDA backend on a Linux GPU machine with no Swift toolchain:
#   shiftops (static Swift stdlib, CUDA trait), libshiftcuda.so and libcudart.so.11.0.
# Usage: Scripts/gpu-bundle.sh [DIR]   (default .bundle); then on the GPU machine:
#   DIR/run.sh check --device cuda       the GPU test runner: CUDA against the CPU
#   DIR/run.sh bench --device cuda       the GPU figures G1-G3 (G4 with --pytorch FILE from
#                                        Benchmarks/pytorch_gpu.py, copied into the bundle)
# The bundle must stay under 64 MiB (the device tool's carry limit), so its kernels library holds
# sm_90 code plus compute_90 PTX only (Hopper, and newer cards through the PTX); `make -C CKernels`
# for a local build keeps sm_80 too.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.bundle}

make -C CKernels clean
make -C CKernels GENCODE="-gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"
swift build -c release --static-swift-stdlib --traits CUDA --product shiftops --scratch-path .build-gpu
mkdir -p "$out"
cp .build-gpu/release/shiftops CKernels/libshiftcuda.so Benchmarks/pytorch_gpu.py "$out/"
strip "$out/shiftops"   # about 58 MB instead of 73
strip --strip-unneeded "$out/libshiftcuda.so"   # keeps the dynamic symbols the loader resolves
# awk reads to the end (no early exit): under pipefail, an early exit would SIGPIPE ldconfig.
cudart=$(ldconfig -p | awk '/libcudart.so.11.0 / && !found { print $NF; found = 1 }')
[ -n "$cudart" ] || cudart=/usr/lib/x86_64-linux-gnu/libcudart.so.11.0
cp -L "$cudart" "$out/libcudart.so.11.0"
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export SHIFTOPS_CUDA_LIBRARY="$here/libshiftcuda.so"
exec "$here/shiftops" "$@"
RUN
chmod +x "$out/run.sh"
# The local library holds the bundle's architectures only: remove it, so that the next
# `make -C CKernels` builds the full one.
make -C CKernels clean
echo "bundle in $out:"; ls -la "$out"
total=$(du -sb "$out" | cut -f1)
echo "bundle size: $total bytes (limit 67108864)"
[ "$total" -lt 67108864 ] || { echo "bundle over 64 MiB" >&2; exit 1; }
