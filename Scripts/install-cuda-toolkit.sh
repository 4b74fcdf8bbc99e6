#!/usr/bin/env bash
# Installs Debian's CUDA toolkit (nvcc 11.8 and libcudart from nvidia-cuda-dev), which lives in the
# non-free component. Idempotent; needs root and Debian's package mirror.
set -euo pipefail

if command -v nvcc >/dev/null 2>&1 && [ -e /usr/include/cuda_runtime_api.h ]; then
    echo "CUDA toolkit present: $(nvcc --version | tail -n 1)"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # deb822 format: add contrib and non-free to every Components line that lacks them.
    sed -i -E '/^Components:/ { /non-free( |$)/! s/$/ contrib non-free/ }' /etc/apt/sources.list.d/debian.sources
else
    sed -i -E '/^deb .*debian/ { / non-free( |$)/! s/$/ contrib non-free/ }' /etc/apt/sources.list
fi
apt-get update -q
apt-get install -y -q --no-install-recommends nvidia-cuda-toolkit nvidia-cuda-dev
nvcc --version | tail -n 1
