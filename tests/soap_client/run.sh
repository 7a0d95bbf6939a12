#!/usr/bin/env bash
# Runs a zeep client script of this folder against a running ipscopy.
# Usage: run.sh [SCRIPT.py] ARGS... (client.py when no script is named; each script's
# docstring lists its arguments).
# zeep comes from PyPI into a venv under ~/.cache, made once and reused; any failure to get
# it fails this script (and the test that runs it) rather than skipping.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
script=client.py
if [[ "${1:-}" == *.py ]]; then
  script="$1"
  shift
fi
venv="${IPSCOPY_SOAP_CLIENT_VENV:-$HOME/.cache/ipscopy/soap-client-venv}"
# Tests run in parallel: the first makes the venv under a lock, the others wait and reuse it.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if ! "$venv/bin/python" -c "import zeep" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi
flock -u 9
exec "$venv/bin/python" "$here/$script" "$@"
