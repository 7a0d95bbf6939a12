#!/usr/bin/env bash
# End-to-end throughput of `ipscopy run` (API + worker + relay + embedded S3) against the local
# PostgreSQL and RabbitMQ, driven by `ipscopy bench`, with the CPU each component spent per job.
#
# Usage: scripts/bench-pipeline.sh [IPSCOPY_BINARY] [-- extra `ipscopy bench` arguments]
#   IPSCOPY_BINARY defaults to target/release/ipscopy (build it with `cargo build --release`).
#   COPIES (default 20000): copies submitted.
#   PERF_OUT: if set, `perf record -g` of `ipscopy run` during the bench is written there.
# CPU per job is read from /proc (user + system time of each process group, before and after),
# so it does not depend on what else the machine is doing; the rates do.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/ipscopy}"
shift || true
[[ "${1:-}" == -- ]] && shift
copies="${COPIES:-20000}"
[ -x "$bin" ] || { echo "no ipscopy binary at $bin" >&2; exit 1; }

# shellcheck source=scripts/lib/bench-server.sh
source "$here/scripts/lib/bench-server.sh"
bench_deployment bench "${PORT:-18081}"

# Every run starts from the same filesystem state: when ext4 allocates an inode it checks each
# free inode whose inode-table block is still cached for a recent deletion, so the objects the
# previous run deleted would slow this run's object writes (ipscopy run's CPU per copy rose
# 1.9 -> 2.6 ms over back-to-back runs). Dropping the page cache needs root; without it, say so.
sync
if ! { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
  echo "note: could not drop the page cache (not root): back-to-back runs will read slower" >&2
fi

start_server "$bin"

ticks() { # clock ticks of user + system time of the given pids (children already reaped included)
  local sum=0 pid f
  for pid in "$@"; do
    f=$(cut -d' ' -f14-17 "/proc/$pid/stat" 2>/dev/null) || continue
    read -r u s cu cs <<<"$f"
    sum=$((sum + u + s + cu + cs))
  done
  echo "$sum"
}
pids_of() { pgrep -d' ' -x "$1" || true; }
sample() { # prints: ipscopy-run postgres rabbitmq
  echo "$(ticks "$run_pid") $(ticks $(pids_of postgres)) $(ticks $(pids_of beam.smp) $(pids_of erl_child_setup))"
}

read -r run0 pg0 mq0 <<<"$(sample)"
if [[ -n "${PERF_OUT:-}" ]]; then # a CPU profile of `ipscopy run` during the bench
  perf record -q -g -p "$run_pid" -o "$PERF_OUT" 2>/dev/null &
  perf_pid=$!
fi
"$bin" bench --url "http://127.0.0.1:$port" --copies "$copies" "$@" > >(tee "$work/bench.out") &
bench_pid=$!
bench_ticks=0
while kill -0 "$bench_pid" 2>/dev/null; do
  bench_ticks=$(ticks "$bench_pid" || echo "$bench_ticks")
  sleep 0.2
done
wait "$bench_pid"
read -r run1 pg1 mq1 <<<"$(sample)"
if [[ -n "${perf_pid:-}" ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi

hz=$(getconf CLK_TCK)
awk -v n="$copies" -v hz="$hz" -v run=$((run1 - run0)) -v pg=$((pg1 - pg0)) -v mq=$((mq1 - mq0)) \
  -v client="$bench_ticks" -v cores="$(nproc)" 'BEGIN {
  ms = 1000 / hz / n
  printf "\nCPU per copy (ms), from /proc, %d copies:\n", n
  printf "  ipscopy run (API, relay, worker, render, embedded S3)  %6.2f\n", run * ms
  printf "  PostgreSQL (all backends)                             %6.2f\n", pg * ms
  printf "  RabbitMQ (beam.smp)                                   %6.2f\n", mq * ms
  printf "  ipscopy bench (load generator)                        %6.2f\n", client * ms
  printf "  total                                                 %6.2f  (= %.0f copies/s on %d cores if CPU-bound)\n",
    (run + pg + mq + client) * ms, cores * 1000 / ((run + pg + mq + client) * ms), cores
}'
