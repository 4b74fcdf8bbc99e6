#!/usr/bin/env bash
# Builds the DocC catalogs with the toolchain's own `docc` (no package dependency, no plugin):
# ShiftOps and ShiftNets by default, ShiftCUDA with `--cuda` (its symbols exist only with the CUDA
# trait, which needs the CUDA toolkit and `make -C CKernels` first). Warnings are errors, so a
# broken symbol link, an unknown article or a bad Topics entry fails the build.
#
#   Scripts/build-docs.sh            # ShiftOps, ShiftNets -> .build-docs/archives/*.doccarchive
#   Scripts/build-docs.sh --cuda     # ShiftCUDA (built with --traits CUDA) -> the same folder
#
# DOCS_SWIFT_FLAGS adds flags to its `swift build` calls (an include path for a CUDA runtime
# installed elsewhere, say).
#
# DocC's check that every parameter has its own `- name:` line is off unless
# DOCS_VALIDATE_PARAMETERS=1: several doc comments describe parameters that a forward and its
# backward share on one line (`- input, shifts, mode, padding, geometry: as given to the
# forward.`), which that check reports as missing.
set -euo pipefail
cd "$(dirname "$0")/.."

cuda=0
for argument in "$@"; do
    case "$argument" in
        --cuda) cuda=1 ;;
        *) echo "usage: Scripts/build-docs.sh [--cuda]" >&2; exit 2 ;;
    esac
done

# The docc beside the swift in use (a toolchain ships both), else one on PATH, else $DOCC.
docc="${DOCC:-}"
if [ -z "$docc" ]; then
    docc="$(dirname "$(readlink -f "$(command -v swift)")")/docc"
    [ -x "$docc" ] || docc="$(command -v docc || true)"
fi
if [ -z "$docc" ] || [ ! -x "$docc" ]; then
    echo "build-docs: no docc found beside swift or on PATH (set DOCC=/path/to/docc)" >&2
    exit 1
fi

if [ "$cuda" = 1 ]; then
    # ShiftOps and ShiftNets were built by the plain run; ShiftOps' graphs come along as a dependency.
    scratch=.build-docs-cuda; traits=(--traits CUDA); libraries=(ShiftCUDA)
else
    scratch=.build-docs; traits=(); libraries=(ShiftOps ShiftNets)
fi
graphs="$PWD/$scratch/symbol-graphs"
archives="$PWD/.build-docs/archives"
mkdir -p "$graphs" "$archives"

# A separate scratch path, so that the symbol-graph flags never invalidate the ordinary build.
# swiftc writes a module's graph only when it compiles the module: a graph that is missing after
# an up-to-date build means the scratch path is stale, and it is rebuilt from scratch once.
emit_graphs() {
    for library in "${libraries[@]}"; do
        # shellcheck disable=SC2086 # DOCS_SWIFT_FLAGS is a list of flags
        swift build --scratch-path "$scratch" "${traits[@]}" --target "$library" ${DOCS_SWIFT_FLAGS:-} \
            -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$graphs"
    done
}
emit_graphs
for library in ShiftOps "${libraries[@]}"; do
    if [ ! -f "$graphs/$library.symbols.json" ]; then
        echo "build-docs: no symbol graph for $library; rebuilding $scratch from scratch"
        rm -rf "$scratch"; mkdir -p "$graphs"; emit_graphs; break
    fi
done

validation=--disable-parameters-and-returns-validation
[ "${DOCS_VALIDATE_PARAMETERS:-0}" = 1 ] && validation=--enable-parameters-and-returns-validation

for library in "${libraries[@]}"; do
    # Each catalog sees its own module's graphs and, for ShiftNets and ShiftCUDA, ShiftOps' too,
    # so that their pages and doc comments can link ``ShiftOps/Tensor`` and the like.
    input="$PWD/$scratch/graphs-$library"
    rm -rf "$input"; mkdir -p "$input"
    cp "$graphs/$library.symbols.json" "$input/"
    cp "$graphs/$library"@*.symbols.json "$input/" 2>/dev/null || true
    if [ "$library" != ShiftOps ]; then
        cp "$graphs/ShiftOps.symbols.json" "$input/"
        cp "$graphs"/ShiftOps@*.symbols.json "$input/" 2>/dev/null || true
    fi
    echo "== docc convert Sources/$library/$library.docc"
    rm -rf "$archives/$library.doccarchive"
    "$docc" convert "Sources/$library/$library.docc" \
        --additional-symbol-graph-dir "$input" \
        --fallback-display-name "$library" --fallback-bundle-identifier "org.shiftops.$library" \
        --output-path "$archives/$library.doccarchive" \
        --warnings-as-errors "$validation"
done
echo "build-docs: archives in $archives"
