"""Where a daemon's program is: on PATH, or unpacked into the virtualenv.

tools/setup.sh unpacks Debian's prometheus and prometheus-alertmanager debs
into .venv/opt (their ~300 MB web UI dependencies stay out) and links the
programs into .venv/opt/bin (the checkout's .venv: a nox session runs in a
virtualenv of its own); everything else comes from Debian on PATH.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .daemon import DaemonError

CHECKOUT_VENV = Path(__file__).resolve().parents[2] / ".venv"  # what tools/setup.sh makes


def find(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for venv in (Path(sys.prefix), CHECKOUT_VENV):
        unpacked = venv / "opt" / "bin" / name
        if unpacked.is_file():
            return str(unpacked)
    raise DaemonError(f"{name} is not installed (tools/setup.sh installs it)")
