#!/usr/bin/env bash
# Golden outputs of the CPU ops: hashes of the forward, the forward into an existing output, the
# input gradient and the shift gradient over a broad case set (every mode, padding and spatial
# rank; strides, origins and output lengths; dense, channels-last, transposed and sliced layouts;
# Float, Double and the integer forward; empty tensors; refused calls), kept in
# Scripts/golden-hashes.txt with the commit that wrote them.
#
#   Scripts/golden.sh            compare the current build with the file, bit for bit
#   Scripts/golden.sh --write    rewrite the file from the current build (only from a trusted commit)
#   Scripts/golden.sh --dump DIR TEXT   write the outputs of the cases whose name contains TEXT as .npy
#
# GOLDEN_LEVELS="portable avx2 avx512" compares at each vector level (SHIFTOPS_SIMD) in turn.
# Extra arguments to `swift build` (say `-c release`) go in GOLDEN_BUILD.
set -euo pipefail
cd "$(dirname "$0")/.."
file=Scripts/golden-hashes.txt
# shellcheck disable=SC2086
swift build --product shiftops ${GOLDEN_BUILD:-} >&2
# shellcheck disable=SC2086
bin="$(swift build --show-bin-path ${GOLDEN_BUILD:-})/shiftops"
commit="$(git rev-parse HEAD)"
dirty=""
git diff --quiet HEAD -- Sources Package.swift || dirty=" with uncommitted changes"

case "${1:-}" in
--write)
    "$bin" golden --write "$file" --note "written at commit $commit$dirty"
    ;;
--dump)
    mkdir -p "$2"
    "$bin" golden --dump "$2" --match "$3"
    ;;
"")
    echo "comparing commit $commit$dirty with $file"
    for level in ${GOLDEN_LEVELS:-default}; do
        if [ "$level" = default ]; then
            "$bin" golden --compare "$file"
        else
            echo "== SHIFTOPS_SIMD=$level"
            SHIFTOPS_SIMD="$level" "$bin" golden --compare "$file"
        fi
    done
    ;;
*)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
