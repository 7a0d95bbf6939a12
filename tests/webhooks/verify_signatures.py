#!/usr/bin/env python3
"""Checks webhook deliveries with the reference `standardwebhooks` package from PyPI, an
implementation independent of ours.

Reads a JSON list of {"secret", "headers", "body"} on stdin and prints a JSON list with, for
each, "ok" or the verifier's error. On first use it makes a virtualenv under
~/.cache/ipscopy (or $IPSCOPY_STANDARDWEBHOOKS_VENV) and installs the pinned package there.
"""
import json
import os
import subprocess
import sys

PACKAGE = "standardwebhooks==1.1.0"
VENV = os.environ.get(
    "IPSCOPY_STANDARDWEBHOOKS_VENV",
    os.path.join(os.path.expanduser("~"), ".cache", "ipscopy", "standardwebhooks-venv"),
)
PYTHON = os.path.join(VENV, "bin", "python")


def ensure_venv():
    """Re-runs this script with the venv's interpreter, creating the venv if needed."""
    if os.environ.get("IPSCOPY_IN_STANDARDWEBHOOKS_VENV") == "1":
        return
    ready = os.path.exists(PYTHON) and subprocess.run(
        [PYTHON, "-c", "import standardwebhooks"], capture_output=True
    ).returncode == 0
    if not ready:
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True, stdout=sys.stderr)
        subprocess.run(
            [PYTHON, "-m", "pip", "install", "--quiet", PACKAGE], check=True, stdout=sys.stderr
        )
    os.environ["IPSCOPY_IN_STANDARDWEBHOOKS_VENV"] = "1"
    os.execv(PYTHON, [PYTHON, os.path.abspath(__file__)])


def main():
    from standardwebhooks import Webhook

    results = []
    for case in json.load(sys.stdin):
        try:
            Webhook(case["secret"]).verify(case["body"], case["headers"])
            results.append("ok")
        except Exception as e:  # the verifier's reason is the test's evidence
            results.append(f"{type(e).__name__}: {e}")
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    ensure_venv()
    main()
