"""Where a daemon's program is: on PATH, or unpacked into the virtualenv.

tools/setup.sh unpacks Debian's prometheus and prometheus-alertmanager debs
into .venv/opt (their ~300 MB web UI dependencies stay out) and links the
programs into .venv/opt/bin; everything else comes from Debian on PATH.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .daemon import DaemonError


def find(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    unpacked = Path(sys.prefix) / "opt" / "bin" / name
    if unpacked.is_file():
        return str(unpacked)
    raise DaemonError(f"{name} is not installed (tools/setup.sh installs it)")
