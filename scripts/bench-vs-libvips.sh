#!/usr/bin/env bash
# Runs `ipscopy render` and libvips (`vipsthumbnail` / `vips`, Debian package libvips-tools) on the
# same files, on one core, and prints seconds per image and the throughput ratio (>1 = ipscopy faster).
#
# Usage: scripts/bench-vs-libvips.sh [IPSCOPY_BINARY]
#   IPSCOPY_BINARY defaults to target/release/ipscopy (build it with `cargo build --release`).
#   ROUNDS (default 7): timed rounds per case; the best round of each tool is reported.
#   REPEAT (default 5): copies of each source in the multi-file runs (amortises start-up).
#   CORE (default 0): the CPU core both tools are pinned to.
# Sources are made from the committed test photos (upscaled with vips to camera-like sizes), so the
# script needs nothing but this repository, the ipscopy binary and libvips-tools.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/ipscopy}"
rounds="${ROUNDS:-7}"
core="${CORE:-0}"
fixtures="$here/crates/render/tests/fixtures"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export VIPS_CONCURRENCY=1

command -v vipsthumbnail >/dev/null || { echo "needs vipsthumbnail (apt-get install libvips-tools)" >&2; exit 1; }
[ -x "$bin" ] || { echo "no ipscopy binary at $bin" >&2; exit 1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(vips --version); pinned to core $core"

mkdir -p "$work/src" "$work/ours" "$work/vips"
make_jpeg() { # source scale crop-x crop-y w h name
  vips resize "$fixtures/$1" "$work/t.v" "$2"
  vips crop "$work/t.v" "$work/src/$7.jpg[Q=90]" "$3" "$4" "$5" "$6"
}
make_jpeg hubble_deep_field.jpg 4 0 0 4000 3000 hubble12mp
make_jpeg retina.jpg 2.835 0 500 4000 3000 retina12mp
make_jpeg rocket.jpg 9.5 40 20 6000 4000 rocket24mp
vips resize "$fixtures/astronaut.png" "$work/src/astronaut4mp.png" 4
vips resize "$fixtures/coffee.png" "$work/src/coffee4mp.png" 4
rm -f "$work/t.v"

# Each source appears REPEAT times in one process, so start-up is amortised as in a worker.
repeat="${REPEAT:-5}"
jpegs=() pngs=()
for ((i = 0; i < repeat; i++)); do jpegs+=("$work"/src/*.jpg); pngs+=("$work"/src/*.png); done

now() { date +%s%N; }
# ms: wall time of "$@" pinned to one core, in milliseconds.
ms() { local t0 t1; t0=$(now); taskset -c "$core" "$@" >/dev/null; t1=$(now); echo $(((t1 - t0) / 1000000)); }
min() { local m=$1; shift; for v in "$@"; do ((v < m)) && m=$v; done; echo "$m"; }

report() { # name images ours_ms vips_ms
  awk -v n="$1" -v k="$2" -v o="$3" -v v="$4" 'BEGIN {
    printf "%-36s %3d img  ipscopy %7.1f ms/img  libvips %7.1f ms/img  ratio %.2fx\n", n, k, o / k, v / k, v / o }'
}

# Each round times ipscopy then libvips on the same work; rounds alternate so load from other
# processes hits both, and the best round of each is reported (the least disturbed one).
compare() { # label images ours-command -- vips-command
  local label=$1 n=$2; shift 2
  local ours=() vips=() o=() v=()
  while [[ $1 != -- ]]; do ours+=("$1"); shift; done
  shift
  vips=("$@")
  for ((r = 0; r < rounds; r++)); do
    o+=("$(ms "${ours[@]}")")
    v+=("$(ms "${vips[@]}")")
  done
  report "$label" "$n" "$(min "${o[@]}")" "$(min "${v[@]}")"
}

# 1-3: one process for all files, both tools.
compare "JPEG 12-24 MP -> wid=500 q85" "${#jpegs[@]}" \
  "$bin" render --modifier 'wid=500&qlt=85' --out-dir "$work/ours" "${jpegs[@]}" -- \
  vipsthumbnail "${jpegs[@]}" -s 500x -o "$work/vips/%s.jpg[Q=85]"
compare "JPEG crop+resize 800x600 fit=crop" "${#jpegs[@]}" \
  "$bin" render --modifier 'wid=800&hei=600&fit=crop&qlt=85' --out-dir "$work/ours" "${jpegs[@]}" -- \
  vipsthumbnail "${jpegs[@]}" -s 800x600 -c -o "$work/vips/%s.jpg[Q=85]"
compare "PNG 4 MP -> PNG wid=1024" "${#pngs[@]}" \
  "$bin" render --modifier 'wid=1024&fmt=png' --out-dir "$work/ours" "${pngs[@]}" -- \
  vipsthumbnail "${pngs[@]}" -s 1024x -o "$work/vips/%s.png"

# 4-6: whole-image operations on one 12 MP JPEG; the vips CLI takes one file per process, so
# ipscopy runs one process per file too (both pay process start-up).
one="$work/src/hubble12mp.jpg"
compare "JPEG 12 MP -> WebP q80, full size" 1 \
  "$bin" render --modifier 'fmt=webp&qlt=80' --out "$work/ours/x.webp" "$one" -- \
  vips copy "$one" "$work/vips/x.webp[Q=80]"
compare "JPEG 12 MP rotate=90 -> JPEG q85" 1 \
  "$bin" render --modifier 'rotate=90&qlt=85' --out "$work/ours/x.jpg" "$one" -- \
  vips rot "$one" "$work/vips/x.jpg[Q=85]" d90
compare "JPEG 12 MP -> PNG, full size" 1 \
  "$bin" render --modifier 'fmt=png' --out "$work/ours/x.png" "$one" -- \
  vips copy "$one" "$work/vips/x.png"
for f in x.webp x.png; do
  printf '%-36s ipscopy %8d bytes  libvips %8d bytes\n' "  output size, $f" "$(stat -c %s "$work/ours/$f")" "$(stat -c %s "$work/vips/$f")"
done

# 7. Peak memory of a 24 MP JPEG downscale (max RSS, KB).
big="$work/src/rocket24mp.jpg"
om=$( { /usr/bin/time -f %M taskset -c "$core" "$bin" render --modifier 'wid=500&qlt=85' --out "$work/ours/m.jpg" "$big" >/dev/null; } 2>&1 | tail -1)
vm=$( { /usr/bin/time -f %M taskset -c "$core" vipsthumbnail "$big" -s 500x -o "$work/vips/m.jpg[Q=85]" >/dev/null; } 2>&1 | tail -1)
awk -v o="$om" -v v="$vm" 'BEGIN { printf "%-36s ipscopy %6d KB  libvips %6d KB  = %.2fx of libvips\n", "peak RSS, 24 MP JPEG -> wid=500", o, v, o / v }'
