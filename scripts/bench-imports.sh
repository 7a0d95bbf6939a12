#!/usr/bin/env bash
# Import throughput of `ipscopy run` (POST /v1/imports: fetch over HTTP, probe, store in the
# embedded S3 store, finalize) from a loopback server inside `ipscopy bench`, then copies of the
# same image through the batch API, in the same run: imports/s, copies/s and their ratio.
#
# Usage: scripts/bench-imports.sh [IPSCOPY_BINARY] [-- extra `ipscopy bench` arguments]
#   IPSCOPY_BINARY defaults to target/release/ipscopy (build it with `cargo build --release`).
#   IMPORTS (default 1000): imports, and as many copies; MODIFIER (default wid=500&qlt=85) of the
#   copies; PORT (default 18085).
#   PHOTO: the image; by default a 12 MP JPEG (4000×3000, quality 100: 2.6 MB) that
#   `ipscopy render` makes from tests/fixtures/rocket.jpg.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/ipscopy}"
shift || true
[[ "${1:-}" == -- ]] && shift
[ -x "$bin" ] || { echo "no ipscopy binary at $bin" >&2; exit 1; }

# shellcheck source=scripts/lib/bench-server.sh
source "$here/scripts/lib/bench-server.sh"
bench_deployment importbench "${PORT:-18085}"
export IPSCOPY_IMPORT_ALLOWED_NETWORKS=127.0.0.1/32

photo="$(bench_photo "$bin")"

start_server "$bin"

"$bin" bench --url "http://127.0.0.1:$port" --imports --source-file "$photo" \
  --copies "${IMPORTS:-1000}" --modifier "${MODIFIER:-wid=500&qlt=85}" "$@"
