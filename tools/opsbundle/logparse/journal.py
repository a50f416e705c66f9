"""The systemd journal as a log source: what a runner needs to let a tool read
a real journal file, the same way on every machine.

A journal case of the corpus is journalctl's export format of what a real
journald received (`<program>.export`). `write()` turns exports back into a
journal file with Debian's systemd-journal-remote, the systemd tool that
writes journal files from that format; readers then see it where they look
on a host, /var/log/journal/<machine id>/, in a mount namespace of their own
(`namespaced()`: the machine's own journal and machine id are not shown, so
nothing of this host's journal is read, and the export's machine id is the
local one, which imjournal's SD_JOURNAL_LOCAL_ONLY wants).

A journal case is addressed as `journal:<SYSLOG_IDENTIFIER>` where a file is
addressed by its host path: that is what a journal input reads.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from .errors import ParseError, UsageError

PREFIX = "journal:"
SUFFIX = ".export"
REMOTE = "/lib/systemd/systemd-journal-remote"
PACKAGE = "systemd-journal-remote"
_MACHINE = re.compile(rb"^_MACHINE_ID=([0-9a-f]{32})$", re.M)
_REALTIME = re.compile(rb"^__REALTIME_TIMESTAMP=([0-9]+)$", re.M)
# the namespace: an empty runtime journal, the case's journal and machine id
NAMESPACE = (
    "set -e; mount --make-rprivate /; "
    "mkdir -p /run/log; mount -t tmpfs tmpfs /run/log; "
    'mount --bind "$1" /var/log/journal; '
    'mount --bind "$2" /etc/machine-id; '
    'shift 2; exec "$@"'
)


def address(program: str) -> str:
    return f"{PREFIX}{program}"


def is_case(name: str) -> bool:
    return name.endswith(SUFFIX)


def entries(export: bytes) -> int:
    """How many entries an export holds: journalctl begins each with its cursor."""
    return export.count(b"\n__CURSOR=") + export.startswith(b"__CURSOR=")


def available() -> bool:
    return Path(REMOTE).exists() and shutil.which("unshare") is not None


def _sentinel(program: str, message: str, after: int) -> bytes:
    """One entry, a millisecond after the last one (journal-remote refuses
    times past what journald can write)."""
    return (
        f"__REALTIME_TIMESTAMP={after + 1000}\nSYSLOG_IDENTIFIER={program}\nPRIORITY=6\n"
        f"MESSAGE={message}\n\n"
    ).encode()


def write(export: Path, program: str, folder: Path, sentinel: str | None = None) -> Path:
    """`folder`/journal/<machine id>/system.journal from `export` (then, with
    `sentinel`, one entry of `program` with that message, after every other),
    and `folder`/machine-id; returns the journal folder."""
    if not available():
        raise UsageError(
            f"{REMOTE} is not installed (Debian package {PACKAGE}); run tools/setup.sh"
        )
    data = export.read_bytes()
    found = _MACHINE.search(data)
    machine = found[1].decode() if found else "0" * 32
    target = folder / "journal" / machine
    target.mkdir(parents=True)
    (folder / "machine-id").write_text(machine + "\n")
    sources = [str(export)]
    if sentinel is not None:
        last = max((int(m) for m in _REALTIME.findall(data)), default=0)
        (folder / "sentinel.export").write_bytes(_sentinel(program, sentinel, last))
        sources.append(str(folder / "sentinel.export"))
    done = subprocess.run(
        [REMOTE, "-o", str(target / "system.journal"), *sources],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise ParseError(f"{export}: systemd-journal-remote: {done.stderr.strip()[-500:]}")
    return folder / "journal"


def namespaced(argv: list[str], folder: Path) -> list[str]:
    """`argv` run where /var/log/journal is `folder`/journal (write()'s)."""
    journal, machine = folder / "journal", folder / "machine-id"
    return ["unshare", "-m", "sh", "-c", NAMESPACE, "journal", str(journal), str(machine), *argv]
