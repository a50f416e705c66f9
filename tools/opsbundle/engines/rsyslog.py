"""rsyslogd -N1: rsyslog's own config parser, on each bundle's rendered drop-ins.

A bundle ships drop-ins for /etc/rsyslog.d/, which the distribution's main
rsyslog.conf includes after setting a work directory. The check does the same:
a scratch main config sets `workDirectory` and includes the bundle's rendered
*.conf drop-ins together (they call each other's rulesets and templates), so
rsyslog reads them exactly as on a host. The other files the drop-ins name by
their host path (an mmnormalize rulebase) are pointed at their rendered copy,
so rsyslog loads those too. Bundles are checked one at a time: two would clash
on names a host never loads together.
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
    r"|End of config validation run"
)


def localise(files, workdir, extra: str = "", rewrite=None) -> tuple:
    """A main config including the bundle's drop-ins, with every host path of a
    bundle file replaced by its rendered copy: (main config path, {copy: (shown, dest)}).
    `rewrite(text)` may change a drop-in further, or drop it by returning None."""
    state = workdir / "state"
    state.mkdir(exist_ok=True)
    local = workdir / "local"
    local.mkdir(exist_ok=True)
    swaps = {dest: str(path) for _, path, dest in files}
    where = {}
    includes = []
    for shown, path, dest in files:
        if not (dest.startswith("/etc/rsyslog") and dest.endswith(".conf")):
            continue
        text = path.read_text(encoding="utf-8")
        for host, copy in swaps.items():
            text = text.replace(f'"{host}"', f'"{copy}"')
        if rewrite is not None:
            text = rewrite(text)
            if text is None:
                continue
        copy = local / path.name
        copy.write_text(text, encoding="utf-8")
        where[str(copy)] = (shown, dest)
        includes.append(f'include(file="{copy}")')
    main = workdir / "rsyslog.conf"
    main.write_text(
        f'global(workDirectory="{state}")\n' + "\n".join(includes) + "\n" + extra,
        encoding="utf-8",
    )
    return main, where


def problems(main, where, files) -> list[tuple[str, str]]:
    """`rsyslogd -N1` on `main`: (template shown to the user, message) per error,
    the rendered paths put back as the host paths they stand for."""
    done = subprocess.run(
        [BINARY, "-N1", "-f", str(main)], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode == 0:
        return []
    lines = [
        line.removeprefix("rsyslogd: ").strip()
        for line in (done.stderr + done.stdout).splitlines()
        if line.strip() and not _NOISE.search(line)
    ]
    lines = lines or [f"exit {done.returncode}"]
    located = [_WHERE.search(line) for line in lines]
    # rsyslog prints a module's complaint just before the "error during parsing
    # file X" line it causes: an unlocated line belongs to the next located one
    owner = next(iter(where.values()))[0]
    owners = []
    for m in reversed(located):
        if m and m["file"] in where:
            owner = where[m["file"]][0]
        owners.append(owner)
    owners.reverse()
    found = []
    for line, m, first_shown in zip(lines, located, owners, strict=True):
        shown, place = first_shown, ""
        if m and m["file"] in where:
            shown, dest = where[m["file"]]
            place = f"rendered {dest}, line {m['line']}: "
            line = m["msg"]
        message = _TRY.sub("", line)
        for copy, (_, host) in where.items():
            message = message.replace(copy, host)
        for src, path, host in files:
            if str(path) in message:  # a file the drop-ins load, such as a rulebase
                shown, message = src, message.replace(str(path), host)
        found.append((shown, f"rsyslogd -N1: {place}{message}"))
    return found


def check(batch, workdir) -> list:
    found = []
    for rendered in batch:
        main, where = localise(rendered.files, workdir)
        if where:
            found += [
                Finding("NAT001", shown, message, bundle=rendered.ref)
                for shown, message in problems(main, where, rendered.files)
            ]
    return found
