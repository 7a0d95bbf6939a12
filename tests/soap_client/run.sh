#!/usr/bin/env bash
# Runs client.py, a zeep client generated from our WSDL, against a running ipscopy.
# Usage: run.sh BASE_URL EMAIL PASSWORD COMPANY_HANDLE SOURCE_ASSET_HANDLE FOLDER_HANDLE
# zeep comes from PyPI into a venv under ~/.cache, made once and reused; any failure to get
# it fails this script (and the test that runs it) rather than skipping.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${IPSCOPY_SOAP_CLIENT_VENV:-$HOME/.cache/ipscopy/soap-client-venv}"
if ! "$venv/bin/python" -c "import zeep" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi
exec "$venv/bin/python" "$here/client.py" "$@"
