#!/usr/bin/env bash
# The render engine against sharp (npm, libvips inside) on one core: the same three 12 MP JPEGs,
# each twice, through four cases, in alternating rounds; prints each tool's milliseconds per
# image and the ratio sharp ÷ ipscopy (> 1: ipscopy faster) per round, and the median ratio.
# Both are timed inside their process, start-up excluded: ipscopy by `ipscopy render`'s own
# per-file times (file read included), sharp by sharp-bench.mjs (buffers read beforehand, one
# warm-up call).
#
# Usage: scripts/bench-vs-sharp.sh [IPSCOPY_BINARY]
#   IPSCOPY_BINARY defaults to target/release/ipscopy (build it with `cargo build --release`).
#   ROUNDS (default 5), CORE (default 0): the CPU core both run on, NOISE (default 8): the grain
#   of the sources, in percent. SHARP_VERSION (default
#   0.35.5) is installed from npm into ~/.cache/ipscopy/sharp-$SHARP_VERSION on first use. Without
#   node and npm the script says so and exits 0.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/ipscopy}"
[ -x "$bin" ] || { echo "no ipscopy binary at $bin" >&2; exit 1; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "skipped: node and npm are needed to install and run sharp (apt-get install nodejs npm)"
  exit 0
fi
version="${SHARP_VERSION:-0.35.5}"
sharp_dir="${XDG_CACHE_HOME:-$HOME/.cache}/ipscopy/sharp-$version"
if [[ ! -d $sharp_dir/node_modules/sharp ]]; then
  echo "installing sharp $version into $sharp_dir"
  npm install --silent --no-audit --no-fund --prefix "$sharp_dir" "sharp@$version" >&2
fi
core="${CORE:-0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export UV_THREADPOOL_SIZE=1

# Three different 12 MP photos (4000×3000, quality 90) with camera-like grain, each twice.
# shellcheck source=scripts/lib/bench-server.sh
source "$here/scripts/lib/bench-server.sh"
files=()
for name in hubble_deep_field.jpg retina.jpg rocket.jpg; do
  camera_photo "$bin" "$name" 4000 3000 jpeg "$work/${name%.jpg}-12mp.jpg"
  files+=("$work/${name%.jpg}-12mp.jpg" "$work/${name%.jpg}-12mp.jpg")
done
count=${#files[@]}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //');" \
  "node $(node --version), sharp $version (libvips $(cd "$sharp_dir" && node -p 'require("sharp").versions.vips'));" \
  "pinned to core $core; $count images per case and round"

ours() { # CASE: total ms of ipscopy render over the files
  taskset -c "$core" "$bin" render --modifier "$1" --out-dir "$work/out" "${files[@]}" \
    | awk '{ for (i = 1; i < NF; i++) if ($(i+1) == "ms") t += $i } END { printf "%.1f", t }'
}
theirs() { # CASE: total ms of sharp over the files
  taskset -c "$core" node "$here/scripts/lib/sharp-bench.mjs" "$sharp_dir" "$1" "${files[@]}"
}

printf '%-34s %5s %12s %12s %7s\n' case round "ipscopy ms" "sharp ms" ratio
for kase in 'wid=500' 'crop=1000,500,2000,1500&wid=500' 'wid=500&fmt=webp' 'rotate=90'; do
  ratios=()
  for r in $(seq "${ROUNDS:-5}"); do
    a=$(ours "$kase")
    b=$(theirs "$kase")
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')
    ratios+=("$ratio")
    awk -v k="$kase" -v r="$r" -v a="$a" -v b="$b" -v n="$count" -v q="$ratio" \
      'BEGIN { printf "%-34s %5s %12.1f %12.1f %7s\n", k, r, a / n, b / n, q }'
  done
  median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  printf '%-34s %5s %12s %12s %7s\n' "$kase" median "" "" "$median"
done
