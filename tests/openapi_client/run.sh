#!/usr/bin/env bash
# Runs schemathesis, every check on (schemathesis.toml), against a running ipscopy's /openapi.json.
# Usage: run.sh BASE_URL EMAIL PASSWORD [MORE SCHEMATHESIS ARGS...]
# schemathesis comes from PyPI (pinned in requirements.txt) into a venv under ~/.cache, made once
# and reused; any failure to get it fails this script (and the test that runs it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${IPSCOPY_SCHEMATHESIS_VENV:-$HOME/.cache/ipscopy/schemathesis-venv}"
want="$(cat "$here/requirements.txt")"
if [[ "$("$venv/bin/pip" freeze 2>/dev/null | grep -i '^schemathesis==')" != "$want" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi
base=$1 email=$2 password=$3
shift 3
# schemathesis keeps a cache of what it found in its working directory: keep it out of the tree.
work="$(dirname "$venv")/schemathesis-work"
mkdir -p "$work"
cd "$work"
# A fixed seed and no example database kept between runs make each run the same (a database
# replays what earlier runs found first, so CI would not test what a fresh clone tests); the
# examples per operation bound the run. One worker:
# with two, CPython 3.11 raised "AST constructor recursion depth mismatch" inside schemathesis.
exec "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$base/openapi.json" \
  --url "$base" --auth "$email:$password" --seed "${SCHEMATHESIS_SEED:-20261202}" --generation-database none --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" --workers 1 \
  --warnings off "$@"
