"""The state file: everything another process needs to use a running cloud.

`<state dir>/state.json` (mode 0600: it holds the cloud's passwords) is JSON:
    format     "testcloud/v1"
    daemons    {name: the daemon's record: kind, class, workdir, options, ports,
               logs, info (urls, users, passwords), procs (pid, start_time, role)}
    logs       {"<daemon>.<log>": path}: every log file, flattened
    services   what was composed on top of the daemons (OpenStack endpoints,
               admin credentials, their logs); empty until something adds it
Writes are atomic (a temporary file, then rename) and made under an exclusive
lock on `<state dir>/lock`, which also serialises starting daemons, so two
test sessions sharing a cloud never start the same daemon twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import json
import os
from pathlib import Path

from .daemon import Daemon, DaemonError

FORMAT = "testcloud/v1"
FILE = "state.json"


def path(state_dir: Path) -> Path:
    return Path(state_dir) / FILE


@contextlib.contextmanager
def locked(state_dir: Path):
    """An exclusive lock on the state dir for the duration of the block."""
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(state_dir) / "lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read(state_dir: Path) -> dict:
    """The state, or an empty one when there is no state file yet."""
    try:
        data = json.loads(path(state_dir).read_text())
    except FileNotFoundError:
        return {"format": FORMAT, "daemons": {}, "logs": {}, "services": {}}
    except (OSError, ValueError) as err:
        raise DaemonError(f"{path(state_dir)}: unreadable state file: {err}") from err
    if data.get("format") != FORMAT:
        raise DaemonError(f"{path(state_dir)}: format {data.get('format')!r}, expected {FORMAT}")
    return data


def write(state_dir: Path, data: dict) -> None:
    data = dict(data, format=FORMAT)
    data["logs"] = {
        f"{name}.{log}": file
        for name, record in sorted(data.get("daemons", {}).items())
        for log, file in sorted(record.get("logs", {}).items())
    }
    target = path(state_dir)
    tmp = target.with_name(f".{FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(tmp, target)


def revive(record: dict) -> Daemon:
    """The daemon object for a record, from the class it names (only classes
    of this package are loaded: a state file never picks code to import)."""
    module, _, name = str(record.get("class", "")).partition(":")
    if module.split(".")[0] != __name__.split(".")[0] or not name:
        raise DaemonError(f"state names class {record.get('class')!r}, not one of testcloud's")
    cls = getattr(importlib.import_module(module), name, None)
    if not (isinstance(cls, type) and issubclass(cls, Daemon)):
        raise DaemonError(f"state names class {record.get('class')!r}, not a testcloud daemon")
    return cls.attach(record)
