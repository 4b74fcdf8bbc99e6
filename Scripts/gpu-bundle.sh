#!/usr/bin/env bash
# Builds a folder that runs the CUDA backend on a Linux GPU machine with no Swift toolchain:
#   shiftops (static Swift stdlib, CUDA trait), libshiftcuda.so and libcudart.so.11.0.
# Usage: Scripts/gpu-bundle.sh [DIR]   (default .bundle); then on the GPU machine:
#   DIR/run.sh check --device cuda       the GPU test runner: CUDA against the CPU
#   DIR/run.sh bench --device cuda       the GPU figures G1-G3
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.bundle}

make -C CKernels
swift build -c release --static-swift-stdlib --traits CUDA --product shiftops --scratch-path .build-gpu
mkdir -p "$out"
cp .build-gpu/release/shiftops CKernels/libshiftcuda.so "$out/"
strip "$out/shiftops"   # about 58 MB instead of 73: the whole bundle stays under 64 MiB
cudart=$(ldconfig -p | awk '/libcudart.so.11.0 / { print $NF; exit }')
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
echo "bundle in $out:"; ls -la "$out"
