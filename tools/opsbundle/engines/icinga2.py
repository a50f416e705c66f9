"""icinga2 daemon -C: Icinga 2's own validation, on the rendered conf.d files.

A host loads the bundle's files from /etc/icinga2/conf.d after the ITL, the
plugin command definitions and constants.conf; the check writes a standalone
main file that does the same, in name order as `include_recursive` would.
Process checks run on the monitored hosts' agents (command_endpoint), which
needs an Endpoint and Zone per host: a site's zones.conf holds them, so the
check adds one per rendered Host object, under a "master" zone. Validation
runs as the current user with a private cache directory, where icinga2 also
dumps the objects it built (`objects()` reads them back for the tests).

Every bundle of the run goes to one icinga2 (engines.jointly), each bundle's
names kept apart: the objects and templates it defines and every string that
names them become `ob<k>-<name>`, its constants `Ob<k>_<Name>`, and each of
its apply rules gains `ignore where !match("ob<k>-*", host.name)` on the line
it opens, so it reaches only its own bundle's hosts (line numbers unchanged).
A bundle that sets globals, defines functions, zones or endpoints, or
includes files is checked by itself. When the joint run fails, halves run
until each failing bundle runs alone, which is exactly the one-bundle check.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import subprocess
from pathlib import Path

from . import jointly, placed

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


def _check_alone(rendered, work: Path) -> list:
    files = conf_files(rendered)
    work.mkdir()
    done = validate(work, [p for _, p, _ in files])
    if done.returncode == 0:
        return []
    by_path = {str(p): (s, d) for s, p, d in files}
    output = done.stdout + done.stderr
    errors = [
        m for m in _ERROR.finditer(output) if not m["msg"].startswith(("Config valid", "1 error"))
    ]
    errors = [m for m in errors if not re.match(r"\d+ errors?$", m["msg"])]
    found, seen = [], set()
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


_DEFINED = re.compile(r'^\s*(?:object|template)\s+\w+\s+"([^"]+)"', re.M)
_CONST = re.compile(r"^\s*const\s+([A-Za-z_]\w*)\s*=", re.M)
_APPLY = re.compile(r'^(\s*apply\s+\w+\s+"[^"]*"[^{\n]*\{)', re.M)
_ALONE = re.compile(r"^\s*(?:globals\.|function\b|var\b|namespace\b|include|library\b"
                    r"|object\s+(?:Zone|Endpoint|ApiListener)\b)", re.M)  # fmt: skip


class _Member:
    """One bundle's conf.d files, read for a joint run with the others."""

    def __init__(self, rendered, k: int):
        self.rendered, self.k = rendered, k
        self.files = conf_files(rendered)
        self.texts = [p.read_text(encoding="utf-8") for _, p, _ in self.files]
        self.alone = any(_ALONE.search(t) for t in self.texts)
        self.names = {n for t in self.texts for n in _DEFINED.findall(t)}
        self.consts = {c for t in self.texts for c in _CONST.findall(t)}

    def renamed(self) -> list[str]:
        out = []
        prefix = f"ob{self.k}-"
        for text in self.texts:
            for name in sorted(self.names, key=len, reverse=True):
                text = text.replace(f'"{name}"', f'"{prefix}{name}"')
            for const in self.consts:
                text = re.sub(rf"\b{re.escape(const)}\b", f"Ob{self.k}_{const}", text)
            text = _APPLY.sub(rf'\1 ignore where !match("{prefix}*", host.name);', text)
            out.append(text)
        return out


def _joint_passes(members: list[_Member], workdir: Path) -> bool:
    work = workdir / f"icinga2-set-{members[0].k}-{len(members)}"
    work.mkdir()
    paths = []
    for member in members:
        for (_, path, _), text in zip(member.files, member.renamed(), strict=True):
            copy = work / "conf" / f"{member.k}" / path.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(text, encoding="utf-8")
            paths.append(copy)
    return validate(work, paths).returncode == 0


def check(batch, workdir) -> list:
    members = [_Member(r, k) for k, r in enumerate(batch)]
    members = [m for m in members if m.files]
    found = []
    for member in (m for m in members if m.alone):
        found += _check_alone(member.rendered, workdir / f"icinga2-{member.k}")
    found += jointly(
        [m for m in members if not m.alone],
        lambda ms: _joint_passes(ms, workdir),
        lambda m: _check_alone(m.rendered, workdir / f"icinga2-{m.k}"),
    )
    return found
