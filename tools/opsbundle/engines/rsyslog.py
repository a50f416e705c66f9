"""rsyslogd -N1: rsyslog's own config parser, on each rendered drop-in.

A bundle ships a drop-in for /etc/rsyslog.d/, which the distribution's main
rsyslog.conf includes after setting a work directory. The check does the same:
a scratch main config sets `workDirectory` and includes the rendered drop-in,
so rsyslog reads it exactly as on a host. Drop-ins of different bundles are
checked one at a time: two would clash on names a host never loads together.
"""

from __future__ import annotations

import re
import subprocess

from ..findings import Finding

TOOL = "rsyslog"
BINARY = "rsyslogd"
PACKAGE = "rsyslog"
_WHERE = re.compile(
    r"error during parsing file (?P<file>.+?), on or before line (?P<line>\d+): "
    r"(?P<msg>.*?)(?: \[v[\d.]+ try .*)?$"
)
_TRY = re.compile(r" \[v[\d.]+ try .*$")
_NOISE = re.compile(
    r"version [\d.]+, config validation run|there are no active actions|run failed with error"
)


def check(batch, workdir) -> list:
    found = []
    for rendered in batch:
        for shown, path, dest in rendered.files:
            if not dest.startswith("/etc/rsyslog"):
                continue
            state = workdir / "state"
            state.mkdir(exist_ok=True)
            main = workdir / "rsyslog.conf"
            main.write_text(
                f'global(workDirectory="{state}")\ninclude(file="{path}")\n', encoding="utf-8"
            )
            done = subprocess.run(
                [BINARY, "-N1", "-f", str(main)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            if done.returncode == 0:
                continue
            lines = [
                line.removeprefix("rsyslogd: ").strip()
                for line in (done.stderr + done.stdout).splitlines()
                if line.strip() and not _NOISE.search(line)
            ]
            for line in lines or [f"exit {done.returncode}"]:
                m = _WHERE.search(line)
                where = f"rendered {dest}"
                if m:
                    where += f", line {m['line']}"
                    line = m["msg"]
                message = _TRY.sub("", line).replace(str(path), dest)
                found.append(
                    Finding(
                        "NAT001", shown, f"rsyslogd -N1: {where}: {message}", bundle=rendered.ref
                    )
                )
    return found
