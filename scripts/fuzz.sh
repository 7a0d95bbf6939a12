#!/usr/bin/env bash
# Runs every libFuzzer target in fuzz/ for SECONDS each and fails on any crash, hang or
# out-of-memory, leaving the input that caused it under fuzz/artifacts/<target>/.
#
# Usage: scripts/fuzz.sh [SECONDS]   (default 60)
#   FUZZ_TARGETS: space-separated subset of targets (default: all three).
#   FUZZ_TARGET_DIR: build and corpus directory (default ~/.cache/ipscopy/fuzz-target, which
#   CI keeps between runs, so the corpus grows run after run and the build stays warm).
# Needs the nightly toolchain (sanitizers) and installs cargo-fuzz from crates.io when missing.
set -euo pipefail

seconds="${1:-60}"
here="$(cd "$(dirname "$0")/.." && pwd)"
target_dir="${FUZZ_TARGET_DIR:-$HOME/.cache/ipscopy/fuzz-target}"
read -ra targets <<<"${FUZZ_TARGETS:-modifier soap_envelope decode}"

# Per target: the longest input worth trying and its dictionary. A modifier past 1 KiB or an
# envelope past 4 KiB only repeats what shorter ones reach; images need room for a few chunks.
declare -A max_len=([modifier]=1024 [soap_envelope]=4096 [decode]=16384)
declare -A dict=([modifier]=dict/modifier.dict [soap_envelope]=dict/xml.dict)

cargo +nightly --version >/dev/null 2>&1 || {
  echo "fuzz: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
  exit 1
}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# The SOAP target links the whole service crate; leave it out when it is not asked for.
features=()
[[ " ${targets[*]} " == *" soap_envelope "* ]] && features=(--features soap)
build=(--target-dir "$target_dir" "${features[@]}")

cd "$here/fuzz"
start=$SECONDS
cargo +nightly fuzz build "${build[@]}"
echo "fuzz: built the targets in $((SECONDS - start)) s"

failed=()
for t in "${targets[@]}"; do
  corpus="$target_dir/corpus/$t"
  mkdir -p "$corpus" "artifacts/$t"
  log="$(mktemp)"
  args=(-max_total_time="$seconds" -max_len="${max_len[$t]}" -rss_limit_mb=2048 -malloc_limit_mb=1024
    -timeout=10 -print_final_stats=1)
  [[ -n "${dict[$t]:-}" ]] && args+=(-dict="${dict[$t]}")
  # The first corpus directory collects new inputs; the committed seeds are only read.
  if cargo +nightly fuzz run "${build[@]}" "$t" "$corpus" "seeds/$t" -- "${args[@]}" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    failed+=("$t")
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  inputs="$(find "$corpus" -type f | wc -l)"
  echo "fuzz $t: ${runs:-?} executions in ${seconds} s, corpus ${inputs} inputs: $result"
  if [[ $result == FAILED ]]; then
    # The sanitizer report and the path of the saved input, not the whole progress log.
    grep -E -A40 '^(==[0-9]+==ERROR|thread .* panicked)|ERROR: libFuzzer' "$log" | head -n 80 || tail -n 60 "$log"
    grep -E 'Test unit written to|artifact_prefix' "$log" || true
  fi
  rm -f "$log"
done

if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]} (reproduce: cd fuzz && cargo +nightly fuzz run <target> artifacts/<target>/<file>)" >&2
  exit 1
fi
