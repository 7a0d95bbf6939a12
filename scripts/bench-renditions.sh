#!/usr/bin/env bash
# One decode for a rendition set: COPIES copies of a 12 MP photo in four renditions (wid=100,
# wid=250, wid=500, wid=500&fmt=webp) through `ipscopy run`, made once from COPIES/4 masters
# (each master's four renditions together, which the worker decodes once per decode scale) and
# once from COPIES masters (one rendition each: every copy decodes its own master), in
# alternating rounds on one server; prints each round's completed/s and the ratio.
#
# Usage: scripts/bench-renditions.sh [IPSCOPY_BINARY]
#   IPSCOPY_BINARY defaults to target/release/ipscopy (build it with `cargo build --release`).
#   COPIES (default 200, a multiple of 4), ROUNDS (default 2), PORT (default 18086).
#   PHOTO: the image; by default a 12 MP JPEG (4000×3000, quality 100: 2.6 MB) that
#   `ipscopy render` makes from tests/fixtures/rocket.jpg.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/ipscopy}"
[ -x "$bin" ] || { echo "no ipscopy binary at $bin" >&2; exit 1; }
copies="${COPIES:-200}"
(( copies % 4 == 0 )) || { echo "COPIES must be a multiple of 4" >&2; exit 1; }

# shellcheck source=scripts/lib/bench-server.sh
source "$here/scripts/lib/bench-server.sh"
bench_deployment renditionbench "${PORT:-18086}"
photo="$(bench_photo "$bin")"
start_server "$bin"

round() { # MASTERS: prints the completed/s of one round
  "$bin" bench --url "http://127.0.0.1:$port" --source-file "$photo" --copies "$copies" --batch "$copies" \
    --masters "$1" --modifier 'wid=100' --modifier 'wid=250' --modifier 'wid=500' \
    --modifier 'wid=500&fmt=webp' 2>/dev/null | awk '/^completed\/s/ { print $2 }'
}

printf '%-6s %26s %26s %7s\n' round "4 renditions per master/s" "1 rendition per master/s" ratio
for r in $(seq "${ROUNDS:-2}"); do
  shared=$(round $((copies / 4)))
  alone=$(round "$copies")
  awk -v r="$r" -v a="$shared" -v b="$alone" 'BEGIN { printf "%-6s %26.1f %26.1f %7.2f\n", r, a, b, a / b }'
done
