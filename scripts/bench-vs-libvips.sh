#!/usr/bin/env bash
# Runs `ipscopy render` and libvips (`vipsthumbnail` / `vips`, Debian package libvips-tools) on the
# same files, on one core, and prints seconds per image and the throughput ratio (>1 = ipscopy faster).
#
# Usage: scripts/bench-vs-libvips.sh [IPSCOPY_BINARY]
#   IPSCOPY_BINARY defaults to target/release/ipscopy (build it with `cargo build --release`).
#   ROUNDS (default 5): how often each file list is repeated inside one timed run.
#   CORE (default 0): the CPU core both tools are pinned to.
# Sources are made from the committed test photos (upscaled with vips to camera-like sizes), so the
# script needs nothing but this repository, the ipscopy binary and libvips-tools.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/ipscopy}"
rounds="${ROUNDS:-5}"
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

jpegs=("$work"/src/*.jpg)
pngs=("$work"/src/*.png)
repeat() { local out=(); for ((r = 0; r < rounds; r++)); do out+=("$@"); done; printf '%s\n' "${out[@]}"; }

now() { date +%s%N; }
# time_cmd: runs "$@" pinned to one core, prints elapsed seconds.
elapsed() { local t0 t1; t0=$(now); taskset -c "$core" "$@" >/dev/null; t1=$(now); echo $(( (t1 - t0) / 1000000 )); }

report() { # name images ours_ms vips_ms
  awk -v n="$1" -v k="$2" -v o="$3" -v v="$4" 'BEGIN {
    printf "%-38s %4d images  ipscopy %7.1f ms/img  libvips %7.1f ms/img  ratio %.2fx\n", n, k, o / k, v / k, v / o }'
}

# 1. Large JPEG downscale to 500 px wide at q85, one process for all files (both tools).
mapfile -t list < <(repeat "${jpegs[@]}")
o=$(elapsed "$bin" render --modifier 'wid=500&qlt=85' --out-dir "$work/ours" "${list[@]}")
v=$(elapsed vipsthumbnail "${list[@]}" -s 500x -o "$work/vips/%s.jpg[Q=85]")
report "JPEG 12-24 MP -> wid=500 q85" "${#list[@]}" "$o" "$v"

# 2. Crop + resize: cover 800x600, centre crop.
o=$(elapsed "$bin" render --modifier 'wid=800&hei=600&fit=crop&qlt=85' --out-dir "$work/ours" "${list[@]}")
v=$(elapsed vipsthumbnail "${list[@]}" -s 800x600 -c -o "$work/vips/%s.jpg[Q=85]")
report "JPEG crop+resize 800x600 fit=crop" "${#list[@]}" "$o" "$v"

# 3. PNG -> PNG downscale to 1024 px wide.
mapfile -t plist < <(repeat "${pngs[@]}")
o=$(elapsed "$bin" render --modifier 'wid=1024&fmt=png' --out-dir "$work/ours" "${plist[@]}")
v=$(elapsed vipsthumbnail "${plist[@]}" -s 1024x -o "$work/vips/%s.png")
report "PNG 4 MP -> PNG wid=1024" "${#plist[@]}" "$o" "$v"

# 4-6: whole-image operations; the vips CLI takes one file per process, so ipscopy runs one
# process per file too (both pay process start-up).
per_file() { # label ours-modifier ours-ext vips-op-args...
  local label=$1 mod=$2 ext=$3; shift 3
  local o=0 v=0 n=0 t0 t1
  for ((r = 0; r < rounds; r++)); do
    for f in "${jpegs[@]}"; do
      t0=$(now); taskset -c "$core" "$bin" render --modifier "$mod" --out "$work/ours/x.$ext" "$f" >/dev/null; t1=$(now); o=$((o + (t1 - t0) / 1000000))
      t0=$(now); taskset -c "$core" vips "$1" "$f" "$work/vips/x.${2}" "${@:3}" >/dev/null; t1=$(now); v=$((v + (t1 - t0) / 1000000))
      n=$((n + 1))
    done
  done
  report "$label" "$n" "$o" "$v"
}
per_file "JPEG -> WebP q80, full size" 'fmt=webp&qlt=80' webp copy 'webp[Q=80]'
per_file "JPEG rotate=90 -> JPEG q85" 'rotate=90&qlt=85' jpg rot 'jpg[Q=85]' d90
per_file "PNG-sized JPEG -> PNG, full size" 'fmt=png' png copy 'png'

# 7. Peak memory of a 24 MP JPEG downscale (max RSS, KB).
big="$work/src/rocket24mp.jpg"
om=$( { /usr/bin/time -f %M taskset -c "$core" "$bin" render --modifier 'wid=500&qlt=85' --out "$work/ours/m.jpg" "$big" >/dev/null; } 2>&1 | tail -1)
vm=$( { /usr/bin/time -f %M taskset -c "$core" vipsthumbnail "$big" -s 500x -o "$work/vips/m.jpg[Q=85]" >/dev/null; } 2>&1 | tail -1)
awk -v o="$om" -v v="$vm" 'BEGIN { printf "%-38s ipscopy %6d KB  libvips %6d KB  ratio %.2fx of libvips\n", "peak RSS, 24 MP JPEG -> wid=500", o, v, o / v }'
