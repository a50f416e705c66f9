"""Machine-wide locks for suites that use something every run on the machine
shares (a cache being filled): flock on a file, so a
crashed holder frees it, and two checkouts or two helpers take turns."""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path


@contextlib.contextmanager
def exclusive(path: str | Path):
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
