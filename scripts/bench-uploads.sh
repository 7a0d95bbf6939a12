#!/usr/bin/env bash
# Upload throughput of `ipscopy run` (POST /v1/assets into the embedded S3 store) against plain
# aws-sdk-s3 PUTs of the same file into the same store, in the same run; then one upload of a
# generated 500 MiB PNG with the growth of the server's peak RSS.
#
# Usage: scripts/bench-uploads.sh [IPSCOPY_BINARY] [-- extra `ipscopy bench` arguments]
#   IPSCOPY_BINARY defaults to target/release/ipscopy (build it with `cargo build --release`).
#   UPLOADS (default 150) per side, PARALLEL (default 4) at a time, BIG_MIB (default 500),
#   PORT (default 18084).
#   PHOTO: the file to upload; by default a 12 MP JPEG (4000×3000, quality 100: 2.6 MB) that
#   `ipscopy render` makes from tests/fixtures/rocket.jpg.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/ipscopy}"
shift || true
[[ "${1:-}" == -- ]] && shift
[ -x "$bin" ] || { echo "no ipscopy binary at $bin" >&2; exit 1; }

# shellcheck source=scripts/lib/bench-server.sh
source "$here/scripts/lib/bench-server.sh"
bench_deployment upbench "${PORT:-18084}"

photo="$(bench_photo "$bin")"

start_server "$bin"

"$bin" bench --url "http://127.0.0.1:$port" --upload-file "$photo" --uploads "${UPLOADS:-150}" \
  --parallel "${PARALLEL:-4}" --big-upload-mib "${BIG_MIB:-500}" --server-pid "$run_pid" "$@"
