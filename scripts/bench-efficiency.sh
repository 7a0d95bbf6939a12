#!/usr/bin/env bash
# Pipeline efficiency: the copies/s of `ipscopy run` (API, relay, worker, embedded store, with
# PostgreSQL and RabbitMQ) divided by the copies/s of the render engine alone on the same cores
# (one `ipscopy render` process per core), for the same copies, in alternating rounds.
#
# Two sets: "photo", a 12 MP JPEG → wid=500&qlt=85; and "mixed", three 12 MP JPEGs, a 24 MP JPEG
# and a 4 MP PNG through wid=500, wid=1200&fmt=webp and wid=300&hei=300&fit=crop, every pair
# equally often. Each copy end to end has a master of its own (the same bytes under its own key),
# so neither the worker's master cache nor its decode cache does work the render-only side does
# not do: the ratio is what the pipeline keeps of the engine.
#
# Usage: scripts/bench-efficiency.sh [IPSCOPY_BINARY]
#   IPSCOPY_BINARY defaults to target/release/ipscopy (build it with `cargo build --release`).
#   COPIES (default 150, a multiple of 15), ROUNDS (default 2), SETS (default "photo mixed"),
#   PORT (default 18087), NOISE (default 8): the grain of the sources, in percent (see
#   scripts/bench-vs-sharp.sh).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/ipscopy}"
[ -x "$bin" ] || { echo "no ipscopy binary at $bin" >&2; exit 1; }
copies="${COPIES:-150}"
(( copies % 15 == 0 )) || { echo "COPIES must be a multiple of 15" >&2; exit 1; }
cores="$(nproc)"

# shellcheck source=scripts/lib/bench-server.sh
source "$here/scripts/lib/bench-server.sh"
bench_deployment efficiencybench "${PORT:-18087}"

camera_photo "$bin" hubble_deep_field.jpg 4000 3000 jpeg "$work/hubble-12mp.jpg"
camera_photo "$bin" retina.jpg 4000 3000 jpeg "$work/retina-12mp.jpg"
camera_photo "$bin" rocket.jpg 4000 3000 jpeg "$work/rocket-12mp.jpg"
camera_photo "$bin" rocket.jpg 6000 4000 jpeg "$work/rocket-24mp.jpg"
camera_photo "$bin" astronaut.png 2000 2000 png "$work/astronaut-4mp.png"
start_server "$bin"

# set_files/set_modifiers: the sources and modifiers of a set; copy i takes file i mod F and
# modifier i mod M, with F and M coprime, so every pair comes equally often.
set_of() {
  case $1 in
    photo) files=("$work/hubble-12mp.jpg"); modifiers=('wid=500&qlt=85') ;;
    mixed)
      files=("$work/hubble-12mp.jpg" "$work/retina-12mp.jpg" "$work/rocket-12mp.jpg"
        "$work/rocket-24mp.jpg" "$work/astronaut-4mp.png")
      modifiers=('wid=500' 'wid=1200&fmt=webp' 'wid=300&hei=300&fit=crop') ;;
    *) echo "unknown set $1" >&2; exit 1 ;;
  esac
}

render_only() { # copies/s of one `ipscopy render` per core over the set's copies
  local start end m i c running=0 failed=0
  start=$(date +%s.%N)
  # Each modifier's copies are dealt to one process per core; the processes of all modifiers
  # run with at most one per core at a time, so no core waits for a modifier's last process.
  for m in "${!modifiers[@]}"; do
    local -a share=()
    for ((i = m; i < copies; i += ${#modifiers[@]})); do share+=("${files[i % ${#files[@]}]}"); done
    for ((c = 0; c < cores; c++)); do
      local -a mine=()
      for ((i = c; i < ${#share[@]}; i += cores)); do mine+=("${share[i]}"); done
      ((${#mine[@]})) || continue
      if ((running == cores)); then
        wait -n || failed=1
        running=$((running - 1))
      fi
      "$bin" render --modifier "${modifiers[m]}" --out-dir "$work/out" "${mine[@]}" >/dev/null &
      running=$((running + 1))
    done
  done
  while ((running > 0)); do
    wait -n || failed=1
    running=$((running - 1))
  done
  end=$(date +%s.%N)
  ((failed == 0)) || { echo "an ipscopy render failed" >&2; exit 1; }
  awk -v n="$copies" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", n / (e - s) }'
}

end_to_end() { # completed/s through the API
  local -a args=()
  local f m
  for f in "${files[@]}"; do args+=(--source-file "$f"); done
  for m in "${modifiers[@]}"; do args+=(--modifier "$m"); done
  "$bin" bench --url "http://127.0.0.1:$port" --copies "$copies" --batch "$copies" --masters "$copies" \
    "${args[@]}" 2>/dev/null | awk '/^completed\/s/ { print $2 }'
}

echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $copies copies per side and round"
printf '%-6s %5s %16s %18s %10s\n' set round "render only/s" "end to end/s" efficiency
for set in ${SETS:-photo mixed}; do
  set_of "$set"
  for r in $(seq "${ROUNDS:-2}"); do
    alone=$(render_only)
    piped=$(end_to_end)
    awk -v s="$set" -v r="$r" -v a="$alone" -v b="$piped" \
      'BEGIN { printf "%-6s %5s %16.1f %18.1f %10.2f\n", s, r, a, b, b / a }'
  done
done
