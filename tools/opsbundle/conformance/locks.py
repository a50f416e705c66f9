"""Machine-wide locks for suites that use something every run on the machine
shares (the process table, a cache being filled): flock on a file, so a
crashed holder frees it, and two checkouts or two helpers take turns."""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path

# Set in a run that has a process table of its own (isolated.py): it needs no
# lock against other runs' processes.
PRIVATE_PROCESSES = "OPSBUNDLE_PRIVATE_PROCESSES"


@contextlib.contextmanager
def exclusive(path: str | Path):
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
