"""icinga2 daemon -C: Icinga 2's own validation, on the rendered conf.d files.

A host loads the bundle's files from /etc/icinga2/conf.d after the ITL, the
plugin command definitions and constants.conf; the check writes a standalone
main file that does the same, in name order as `include_recursive` would.
Process checks run on the monitored hosts' agents (command_endpoint), which
needs an Endpoint and Zone per host: a site's zones.conf holds them, so the
check adds one per rendered Host object, under a "master" zone. Validation
runs as the current user with a private cache directory, where icinga2 also
dumps the objects it built (`objects()` reads them back for the tests).
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import subprocess
from pathlib import Path

from . import placed

TOOL = "icinga2"
BINARY = "icinga2"
PACKAGE = "icinga2"
PLUGIN_DIR = "/usr/lib/nagios/plugins"
_HOST = re.compile(r'^object Host "([^"]+)"', re.MULTILINE)
_ERROR = re.compile(
    r"critical/config: (?P<msg>.+?)\n(?:Location: in (?P<file>[^:]+): (?P<line>\d+))?"
)


def _main(workdir: Path, files: list[Path]) -> Path:
    hosts = sorted({h for p in files for h in _HOST.findall(p.read_text(encoding="utf-8"))})
    lines = [
        f'const PluginDir = "{PLUGIN_DIR}"',
        'const ZoneName = "master"',
        "include <itl>",
        "include <plugins>",
        "object Endpoint NodeName {}",
        'object Zone "master" { endpoints = [ NodeName ] }',
    ]
    for host in hosts:
        lines.append(f"object Endpoint {json.dumps(host)} {{}}")
        lines.append(
            f"object Zone {json.dumps(host)} {{ endpoints = [ {json.dumps(host)} ]; "
            'parent = "master" }'
        )
    lines += [f"include {json.dumps(str(p))}" for p in files]
    main = workdir / "icinga2-main.conf"
    main.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return main


def validate(workdir: Path, files: list[Path]) -> subprocess.CompletedProcess:
    """Run icinga2 daemon -C on `files` (in this order); objects land in workdir/cache."""
    cache = workdir / "cache"
    cache.mkdir(exist_ok=True)
    return subprocess.run(
        [
            BINARY, "daemon", "-C", "-x", "warning",
            "-c", str(_main(workdir, files)),
            f"-DConfiguration.CacheDir={cache}",
            f"-DConfiguration.RunAsUser={pwd.getpwuid(os.getuid()).pw_name}",
            f"-DConfiguration.RunAsGroup={grp.getgrgid(os.getgid()).gr_name}",
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def objects(workdir: Path) -> list[dict]:
    """The objects icinga2 built in the last validate(): netstring-framed JSON."""
    raw = (workdir / "cache" / "icinga2.debug").read_bytes()
    found, i = [], 0
    while i < len(raw):
        colon = raw.index(b":", i)
        size = int(raw[i:colon])
        found.append(json.loads(raw[colon + 1 : colon + 1 + size]))
        i = colon + 1 + size + 1
    return found


def conf_files(rendered) -> list:
    return sorted(
        (f for f in rendered.files if f[2].startswith("/etc/icinga2/") and f[2].endswith(".conf")),
        key=lambda f: f[2],
    )


def check(batch, workdir) -> list:
    found = []
    for n, rendered in enumerate(batch):
        files = conf_files(rendered)
        if not files:
            continue
        work = workdir / f"icinga2-{n}"
        work.mkdir()
        done = validate(work, [p for _, p, _ in files])
        if done.returncode == 0:
            continue
        by_path = {str(p): (s, d) for s, p, d in files}
        output = done.stdout + done.stderr
        errors = [
            m
            for m in _ERROR.finditer(output)
            if not m["msg"].startswith(("Config valid", "1 error"))
        ]
        errors = [m for m in errors if not re.match(r"\d+ errors?$", m["msg"])]
        seen = set()
        for m in errors or [None]:
            if m is not None and (m["msg"], m["file"], m["line"]) in seen:
                continue  # one bad template line fails once per object using it
            if m is not None:
                seen.add((m["msg"], m["file"], m["line"]))
            message = m["msg"] if m else " ".join(output.split())[-300:]
            found.append(
                placed(
                    "icinga2 daemon -C",
                    rendered.ref,
                    by_path,
                    (files[0][0], files[0][2]),
                    message,
                    m["file"] if m else None,
                    m["line"] if m else None,
                )
            )
    return found
