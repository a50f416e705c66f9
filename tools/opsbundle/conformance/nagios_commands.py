"""Run a nagios implementation's rendered check commands against stand-ins.

The bundle is rendered again from the example inventory with its endpoints
and ports pointed at the stand-ins (conformance/standins.py). Each service's
check_command is expanded the way nagios does it ($ARGn$ from the service,
$USERn$ from the resource files, $HOSTADDRESS$, `$$` for `$`; NRPE commands
from the rendered nrpe.d file) and run with /bin/sh, so the real plugins
decide. The phases and expectations are in conformance/command_phases.py.
"""

from __future__ import annotations

import re

from .command_phases import Service, run_with_standins
from .result import Result

PLUGINS = "/usr/lib/nagios/plugins"
_DEFINE = re.compile(r"^\s*define\s+(\w+)\s*\{(.*?)^\s*\}", re.DOTALL | re.MULTILINE)
_COMMENT = re.compile(r"^\s*[#;].*$", re.MULTILINE)
_MACRO = re.compile(r"\$(?:ARG\d+|USER\d+|HOSTADDRESS)\$")
_NRPE = re.compile(r"^command\[(?P<name>[^\]]+)\]=(?P<line>.+)$", re.MULTILINE)
_INLINE_COMMENT = re.compile(r"(?<!\\);.*$")
# NRPE commands that are not process checks, by the shared command name the
# phases know them by (icinga2 and sensu run them as these commands).
NRPE_KINDS = {"os_disk_space": "opsbundles-disk", "os_clock_skew": "opsbundles-ntp-time"}


def directive(line: str) -> str:
    """A line as nagios4 reads it: an unescaped `;` starts a comment, and `\\;`
    stands for `;` (so a shell one-liner must write `\\;` between commands)."""
    return _INLINE_COMMENT.sub("", line).replace("\\;", ";").strip()


def objects(text: str) -> list[tuple[str, dict]]:
    found = []
    for kind, body in _DEFINE.findall(_COMMENT.sub("", text)):
        attrs = {}
        for line in body.splitlines():
            line = directive(line)
            if line and not line.startswith(("#", ";")):
                key, _, value = line.partition(" ")
                attrs[key] = value.strip()
        found.append((kind, attrs))
    return found


def expand(line: str, args: list[str], users: dict[str, str]) -> str:
    macros = {f"$ARG{i}$": a for i, a in enumerate(args, 1)}
    macros.update({f"${k}$": v for k, v in users.items()})
    macros["$HOSTADDRESS$"] = "127.0.0.1"
    out = _MACRO.sub(lambda m: macros.get(m.group(0), m.group(0)), line)
    return out.replace("$$", "$")


def _resources(text: str) -> dict[str, str]:
    users = {}
    for line in text.splitlines():
        m = re.match(r"^\$(USER\d+)\$=(.*)$", line.strip())
        if m:
            users[m[1]] = m[2]
    return users


def services(files, work=None) -> list[Service]:
    texts = {dest: path.read_text(encoding="utf-8") for dest, path in files}
    users = {"USER1": PLUGINS}
    nrpe, commands, defined = {}, {}, []
    for dest, text in texts.items():
        if dest.endswith("resource.cfg"):
            users.update(_resources(text))
        elif "/nrpe.d/" in dest:
            nrpe.update({m["name"]: m["line"] for m in _NRPE.finditer(text)})
        elif dest.endswith(".cfg"):
            for kind, attrs in objects(text):
                if kind == "command":
                    commands[attrs["command_name"]] = attrs["command_line"]
                elif kind == "service" and "_CHECK_ID" in attrs:
                    defined.append(attrs)
    found = []
    for svc in defined:
        name, *args = svc["check_command"].split("!")
        line = commands.get(name, "")
        if name == "opsbundles-nrpe":
            line = nrpe.get(args[0], "")
        line = expand(line, [] if name == "opsbundles-nrpe" else args, users)
        argv = ["/bin/sh", "-c", line] if line and not _MACRO.search(line) else []
        if name == "opsbundles-nrpe":
            name = NRPE_KINDS.get(args[0], name)
        found.append(Service(svc["_CHECK_ID"], name, args, argv))
    return found


def run(ctx, bundle, files, work) -> list[Result]:
    return run_with_standins(ctx, bundle, work, services)
