"""systemd-journald (Debian 12's systemd 252), the journal OpenStack-Ansible's
services log to (`use_journal = True`: oslo.log's OSJournalHandler sends each
record over journald's native protocol).

There is no systemd PID 1 here and the machine's own /run/systemd and
/var/log/journal are not ours, so journald runs in a mount namespace of its
own (`unshare -m`): there /run/systemd is this daemon's `run/` folder (its
sockets appear in it, so readiness is seen from outside) and /var/log/journal
its `journal/` folder, which holds the journal files it writes. A program
logs to it by running in the same namespace: `inside(argv)` (nsenter's argv).
`flushed` is created beforehand, as systemd-journal-flush.service would, so
journald writes the persistent journal from its first entry on.

Logs: none of its own. Info: `journal` (the folder). `export(match)` is
journalctl's export format of the entries a match selects, read after stop() when
journald has closed the files.
"""

from __future__ import annotations

import subprocess

from .daemon import Daemon, DaemonError

JOURNALD = "/lib/systemd/systemd-journald"
# the namespace's mounts, then journald in the same process (what spawn records)
NAMESPACE = (
    "set -e; mount --make-rprivate /; "
    'mount --bind "$1/run" /run/systemd; '
    "mkdir -p /run/log; mount -t tmpfs tmpfs /run/log; "
    'mount --bind "$1/journal" /var/log/journal; '
    'mount --bind "$1/journald.conf" /etc/systemd/journald.conf; '
    f"exec {JOURNALD}"
)
# journald.conf(5): keep every entry (no rate limit), persistent, nothing forwarded
CONF = """\
[Journal]
Storage=persistent
RateLimitIntervalSec=0
ReadKMsg=no
Audit=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
"""


def inside(journald_pid: int, argv: list[str]) -> list[str]:
    """`argv` as run in the namespace of the journald with that pid (nsenter
    -m execs it: the process started is `argv`'s own, with the same pid)."""
    return ["nsenter", "-t", str(journald_pid), "-m", "--", *argv]


class Journald(Daemon):
    kind = "journald"
    start_timeout = 20.0

    def prepare(self) -> None:
        self.folder("journal", mode=0o755)
        self.folder("run", "journal", mode=0o755)
        self.path("run", "journal", "flushed").touch()
        self.path("journald.conf").write_text(CONF)
        self.info["journal"] = str(self.workdir / "journal")

    def launch(self) -> None:
        argv = ["unshare", "-m", "sh", "-c", NAMESPACE, "journald", str(self.workdir)]
        self.spawn(argv, "journald")

    def ready(self) -> bool:
        return (self.workdir / "run" / "journal" / "socket").is_socket()

    def inside(self, argv: list[str]) -> list[str]:
        """`argv` as run in journald's namespace, where /run/systemd/journal is its."""
        return inside(self.procs[0].pid, argv)

    def export(self, match: str) -> bytes:
        """journalctl's export format of the entries `match` selects
        (`_PID=1234`, `SYSLOG_IDENTIFIER=nova-api`)."""
        argv = ["journalctl", "-D", self.info["journal"], "-o", "export", "--no-pager", match]
        done = subprocess.run(argv, capture_output=True, timeout=60, check=False)
        if done.returncode != 0 or not done.stdout:
            raise DaemonError(f"journalctl export of {match}: {done.stderr.decode()[-500:]}")
        return done.stdout  # bytes: a field with a line break is written as binary
