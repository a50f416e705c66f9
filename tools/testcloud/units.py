"""A systemd unit, read the way systemd reads the parts a service start
needs, so the cloud starts a packaged service as the package says, with no
systemd running: ExecStart (one, its first word the program), User, Group,
Environment, WorkingDirectory, RuntimeDirectory.

What systemd would also do and this does not: cgroups, sd_notify (a
Type=notify service simply never gets a NOTIFY_SOCKET, which oslo.service
accepts), restarts, limits. The cloud's readiness checks stand in for the
notification.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from .daemon import DaemonError


@dataclass
class Service:
    unit: str
    exec_start: list[str]
    user: str | None = None
    group: str | None = None
    environment: dict = field(default_factory=dict)
    working_directory: str = "/"
    runtime_directories: list[str] = field(default_factory=list)
    type: str = "simple"


def _service_section(text: str) -> dict[str, list[str]]:
    """[Service] key -> every value it was given (Environment= adds up)."""
    out: dict[str, list[str]] = {}
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service" and "=" in line:
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def read(path: Path) -> Service:
    try:
        service = _service_section(path.read_text())
    except OSError as exc:
        raise DaemonError(f"{path}: {exc}") from None
    starts = [v for v in service.get("ExecStart", []) if v]
    if len(starts) != 1:
        raise DaemonError(f"{path}: {len(starts)} ExecStart lines, expected one")
    environment = {}
    for value in service.get("Environment", []):
        for item in shlex.split(value):
            key, _, val = item.partition("=")
            environment[key] = val

    def last(key: str, default=None):
        return (service.get(key) or [default])[-1]

    return Service(
        unit=path.name,
        exec_start=shlex.split(starts[0].lstrip("-@:+!")),
        user=last("User"),
        group=last("Group"),
        environment=environment,
        working_directory=last("WorkingDirectory", "/"),
        runtime_directories=" ".join(service.get("RuntimeDirectory", [])).split(),
        type=last("Type", "simple"),
    )
