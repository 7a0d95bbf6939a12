# shellcheck shell=bash
# The `ipscopy run` a benchmark script measures, sourced by the scripts/bench-*.sh: started on
# the script's own database ($db), queue prefix ($IPSCOPY_QUEUE_PREFIX) and work directory
# ($work), which bench_deployment sets, ready on $port when start_server returns, and removed
# with all of them when the script exits. Sets run_pid.

bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

bench_deployment() { # NAME PORT: sets db, work and port, and the server's environment
  db="ipscopy_${1}_$$"
  work="$(mktemp -d)"
  port=$2
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
  export IPSCOPY_HTTP_ADDR="127.0.0.1:$port" IPSCOPY_QUEUE_PREFIX="$1-$$" IPSCOPY_DATA_DIR="$work"
  export RUST_LOG="${RUST_LOG:-warn}"
}

bench_photo() { # BINARY: prints $PHOTO, or makes the scripts' 12 MP JPEG (4000×3000, quality 100,
  # 2.6 MB) from tests/fixtures/rocket.jpg with `ipscopy render` and prints its path
  if [[ -n ${PHOTO:-} ]]; then
    echo "$PHOTO"
    return
  fi
  "$1" render --modifier 'wid=4000&hei=3000&fit=stretch,1&fmt=jpeg&qlt=100' --out "$work/photo-12mp.jpg" \
    "$bench_root/tests/fixtures/rocket.jpg" >/dev/null
  echo "$work/photo-12mp.jpg"
}

camera_photo() { # BINARY FIXTURE WIDTH HEIGHT FORMAT OUT: an upscale of a committed fixture with
  # camera-like grain (NOISE, default 8 %): an upscale alone is smooth and compresses to about
  # 1.7 MB per 12 MP, which flatters the engine's fixed costs; with the grain it is about 4.3 MB
  "$1" render --modifier "wid=$3&hei=$4&fit=stretch,1&fmt=$5&qlt=90&op_noise=${NOISE:-8}" \
    --out "$6" "$bench_root/crates/render/tests/fixtures/$2" >/dev/null
}

start_server() { # BINARY
  "$1" run >"$work/run.log" 2>&1 &
  run_pid=$!
  trap stop_server EXIT
  for _ in $(seq 120); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.5; done
  cat "$work/run.log" >&2
  exit 1
}

stop_server() {
  kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true
  # rabbitmqctl reads its stdin: without </dev/null the first delete eats the rest of the list.
  rabbitmqctl list_queues -q name 2>/dev/null | grep "^$IPSCOPY_QUEUE_PREFIX\." \
    | while read -r q; do rabbitmqctl delete_queue -q "$q" </dev/null >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
