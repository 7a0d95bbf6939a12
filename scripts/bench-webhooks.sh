#!/usr/bin/env bash
# Webhook delivery at bulk rates: one `ipscopy run` (API + worker + relay + webhook sender +
# embedded S3) against the local PostgreSQL and RabbitMQ, driven by `ipscopy bench`, whose
# receivers listen on loopback in the bench process. In ONE run of the server it alternates, round
# by round, copies without endpoints, with 1, with 10, and with 1 fast beside 1 slow (1 s per
# answer) endpoint, so each ratio's two sides come from the same round; then it times the sender
# draining a backlog queued straight in PostgreSQL, at the default per-endpoint concurrency.
#
# Usage: scripts/bench-webhooks.sh [IPSCOPY_BINARY]
#   IPSCOPY_BINARY defaults to target/release/ipscopy (build it with `cargo build --release`).
#   ROUNDS (default 3), COPIES per run (default 3000, in batches of 1000), BACKLOG (default
#   20000), PORT (default 18082; the operators' listener takes PORT+1).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/ipscopy}"
rounds="${ROUNDS:-3}"
copies="${COPIES:-3000}"
backlog="${BACKLOG:-20000}"
port="${PORT:-18082}"
db="ipscopy_whbench_$$"
work="$(mktemp -d)"
[ -x "$bin" ] || { echo "no ipscopy binary at $bin" >&2; exit 1; }

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
export IPSCOPY_HTTP_ADDR="127.0.0.1:$port" IPSCOPY_OPS_ADDR="127.0.0.1:$((port + 1))"
export IPSCOPY_QUEUE_PREFIX="whbench-$$" IPSCOPY_DATA_DIR="$work/data"
# The receivers are on loopback, which the sender's address guard refuses by default.
export IPSCOPY_WEBHOOK_ALLOWED_NETWORKS=127.0.0.1/32
export RUST_LOG="${RUST_LOG:-warn}"
mkdir -p "$IPSCOPY_DATA_DIR"

# shellcheck source=scripts/lib/bench-server.sh
source "$here/scripts/lib/bench-server.sh"
start_server "$bin"

bench() { # NAME ARGS...: one `ipscopy bench`, its figures kept in $work/NAME.out
  local name=$1
  shift
  if ! "$bin" bench --url "http://127.0.0.1:$port" --batch 1000 "$@" >"$work/$name.out" 2>"$work/$name.err"; then
    cat "$work/$name.out" "$work/$name.err" >&2
    tail -n 20 "$work/run.log" >&2
    exit 1
  fi
}
field() { # FILE PREFIX KEY: the token after KEY on FILE's line starting with PREFIX, or "-"
  awk -v p="$2" -v k="$3" 'index($0, p) == 1 {
    for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); found = 1; exit }
  } END { if (!found) print "-" }' "$1"
}

modes=(none one ten slow)
declare -A mode_args=(
  [none]=""
  [one]="--webhook-endpoints 1"
  [ten]="--webhook-endpoints 10"
  [slow]="--webhook-endpoints 1 --slow-endpoints 1"
)
rows="$work/rows.tsv"
for round in $(seq "$rounds"); do
  for mode in "${modes[@]}"; do
    name="r$round-$mode"
    # shellcheck disable=SC2086 # the mode's arguments are words
    bench "$name" --copies "$copies" ${mode_args[$mode]}
    out="$work/$name.out"
    rate=$(field "$out" "completed/s" "completed/s")
    failed=$(field "$out" "copies failed" "failed")
    fast=(- - - - - - -)
    if [[ $mode != none ]]; then
      for i in 0 1 2 3 4 5 6; do
        key=(events missing duplicates p50 p95 max deliveries/s)
        fast[i]=$(field "$out" "webhooks fast" "${key[i]}")
      done
    fi
    slow_events=$(field "$out" "webhooks slow" "events")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$mode" "$rate" "$failed" "${fast[*]}" "$slow_events" >>"$rows"
    echo "round $round/$rounds, $mode: completed/s $rate, fast p95 ${fast[4]} ms, missing ${fast[1]}" >&2
  done
done
bench backlog --webhook-backlog "$backlog"
b="$work/backlog.out"

echo
echo "Webhooks at bulk rates: $rounds round(s) of $copies copies per run (64 px PNG -> wid=32), one server"
awk -F'\t' '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n ? (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : "-"
  }
  BEGIN {
    name["none"] = "no endpoint"; name["one"] = "1 endpoint"; name["ten"] = "10 endpoints"; name["slow"] = "1 fast + 1 slow"
    printf "%-5s %-16s %9s %6s %6s | %7s %7s %4s %6s %6s %6s %12s | %11s\n", "round", "run", "copies/s", "ratio", "failed",
      "events", "missing", "dup", "p50ms", "p95ms", "maxms", "deliveries/s", "slow events"
  }
  {
    split($5, f, " ")
    if ($2 == "none") base = $3
    ratio = ($2 == "none" || base + 0 == 0) ? "-" : sprintf("%.2f", $3 / base)
    printf "%-5s %-16s %9s %6s %6s | %7s %7s %4s %6s %6s %6s %12s | %11s\n", $1, name[$2], $3, ratio, $4,
      f[1], f[2], f[3], f[4], f[5], f[6], f[7], $6
    if (ratio != "-") { ratios[$2] = ratios[$2] " " ratio; p95s[$2] = p95s[$2] " " f[5] }
  }
  END {
    print ""
    printf "median over rounds: 1 endpoint ratio %s (target >= 0.90), p95 %s ms (<= 1000)\n", median(ratios["one"]), median(p95s["one"])
    printf "                    10 endpoints ratio %s (>= 0.80), p95 %s ms (<= 2000)\n", median(ratios["ten"]), median(p95s["ten"])
    printf "                    1 fast + 1 slow ratio %s, fast p95 %s ms (as with 1 endpoint)\n", median(ratios["slow"]), median(p95s["slow"])
  }' "$rows"
printf 'backlog: %s deliveries to one endpoint: %s deliveries/s first to last receipt (target >= 1000), all in %s s; missing %s, duplicates %s\n' \
  "$(field "$b" "backlog queued" "queued")" "$(field "$b" "webhooks backlog" "deliveries/s")" \
  "$(field "$b" "backlog drained s" "s")" "$(field "$b" "webhooks backlog" "missing")" \
  "$(field "$b" "webhooks backlog" "duplicates")"
