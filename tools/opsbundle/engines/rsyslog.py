"""rsyslogd -N1: rsyslog's own config parser, on each bundle's rendered drop-ins.

A bundle ships drop-ins for /etc/rsyslog.d/, which the distribution's main
rsyslog.conf includes after setting a work directory. The check does the same:
a scratch main config sets `workDirectory` and includes the bundle's rendered
*.conf drop-ins together (they call each other's rulesets and templates), so
rsyslog reads them exactly as on a host. The other files the drop-ins name by
their host path (an mmnormalize rulebase) are pointed at their rendered copy,
so rsyslog loads those too.

Every bundle of the run goes to one rsyslogd (one config set), each bundle's
names kept apart: the rulesets, templates, lookup tables and queue files it
defines are renamed `ob<k>_<name>` wherever it names them (and back in every
message), and the statements that are global to a config (module(), global(),
main_queue(), ...) must read the same in every bundle of a set, are kept from
its first bundle only, and make a bundle that differs start a set of its own.
A bundle with legacy `$` directives (which change how later lines are read)
is a set of its own. A sentinel after each bundle fails the set if a bundle
leaves a block open. A set that fails is split in halves until each failing
bundle runs alone, which is exactly the one-bundle check: messages and lines
are always those of the bundle by itself.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ..findings import Finding
from . import jointly

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


def _check_alone(rendered, workdir) -> list[Finding]:
    main, where = localise(rendered.files, workdir)
    if not where:
        return []
    return [
        Finding("NAT001", shown, message, bundle=rendered.ref)
        for shown, message in problems(main, where, rendered.files)
    ]


# statements whose effect is the whole config's, not one bundle's
GLOBAL_STATEMENTS = ("module", "global", "main_queue", "timezone", "parser", "license")
# statements that define a name other statements refer to
NAMED_STATEMENTS = ("ruleset", "template", "lookup_table", "dyn_stats", "percentile_stats",
                    "ratelimit")  # fmt: skip
_SCAN = re.compile(
    r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|#[^\n]*|/\*.*?\*/|(?P<call>\b[a-z_]+)\s*\('
    r"|(?P<legacy>^[ \t]*\$\w+)",
    re.S | re.M,
)
_NAME = re.compile(r'\bname\s*=\s*"([^"]+)"', re.I)
_QUEUE_FILE = re.compile(r'\bqueue\.filename\s*=\s*"([^"]+)"', re.I)


def _statements(text: str):
    """(type, start, end) of each top-level `type(...)` statement, and whether
    the text has legacy `$` directives."""
    found, legacy, pos = [], False, 0
    while True:
        m = _SCAN.search(text, pos)
        if m is None:
            return found, legacy
        if m["legacy"]:
            legacy = True
        if not m["call"]:
            pos = m.end()
            continue
        depth, i = 1, m.end()
        while i < len(text) and depth:
            q = _SCAN.match(text, i)
            if q is not None and not q["call"] and not q["legacy"]:
                i = q.end()
                continue
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        found.append((m["call"].lower(), m.start(), i))
        pos = i


class _Member:
    """One bundle's drop-ins, read for a joint run."""

    def __init__(self, rendered, k: int):
        self.rendered, self.k = rendered, k
        swaps = {dest: str(path) for _, path, dest in rendered.files}
        self.texts = []  # (shown, dest, text with the rendered copies' paths)
        for shown, path, dest in rendered.files:
            if dest.startswith("/etc/rsyslog") and dest.endswith(".conf"):
                text = path.read_text(encoding="utf-8")
                for host, copy in swaps.items():
                    text = text.replace(f'"{host}"', f'"{copy}"')
                self.texts.append((shown, dest, text))
        self.names: set[str] = set()
        self.global_spans: list[list[tuple[int, int]]] = []
        signature, self.legacy = [], False
        for _, _, text in self.texts:
            statements, legacy = _statements(text)
            self.legacy |= legacy
            spans = []
            for kind, start, end in statements:
                body = text[start:end]
                if kind in GLOBAL_STATEMENTS:
                    signature.append(" ".join(body.split()))
                    spans.append((start, end))
                elif kind in NAMED_STATEMENTS:
                    self.names.update(_NAME.findall(body[:200]))
                self.names.update(_QUEUE_FILE.findall(body))
            self.global_spans.append(spans)
        self.signature = "legacy" if self.legacy else "\n".join(sorted(signature))

    def prefix(self, name: str) -> str:
        return f"ob{self.k}_{name}"

    def texts_for(self, first: bool) -> list[tuple[str, str, str]]:
        out = []
        for (shown, dest, text), spans in zip(self.texts, self.global_spans, strict=True):
            if not first:  # the set's first bundle holds them; keep the line numbers
                for start, end in reversed(spans):
                    text = text[:start] + "\n" * text.count("\n", start, end) + text[end:]
            for name in sorted(self.names, key=len, reverse=True):
                text = text.replace(f'"{name}"', f'"{self.prefix(name)}"')
                text = re.sub(rf"(\bcall\s+){re.escape(name)}\b", rf"\g<1>{self.prefix(name)}",
                              text)  # fmt: skip
            out.append((shown, dest, text))
        return out


def _joint_passes(members: list[_Member], workdir: Path) -> bool:
    """One rsyslogd -N1 over every member's drop-ins, names kept apart."""
    work = workdir / f"set-{members[0].k}-{len(members)}"
    (work / "local").mkdir(parents=True)
    (work / "state").mkdir()
    includes = []
    for i, member in enumerate(members):
        for n, (_, _, text) in enumerate(member.texts_for(first=i == 0)):
            copy = work / "local" / f"{member.k}-{n}.conf"
            copy.write_text(text, encoding="utf-8")
            includes.append(f'include(file="{copy}")')
        # a bundle that leaves a block open makes this statement fail: never a pass
        includes.append(f'template(name="ob{member.k}__end" type="string" string="x")')
    main = work / "rsyslog.conf"
    main.write_text(f'global(workDirectory="{work / "state"}")\n' + "\n".join(includes) + "\n",
                    encoding="utf-8")  # fmt: skip
    done = subprocess.run([BINARY, "-N1", "-f", str(main)], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    return done.returncode == 0


def check(batch, workdir) -> list:
    members = [_Member(r, k) for k, r in enumerate(batch)]
    sets: dict[str, list[_Member]] = {}
    for member in members:
        if not member.texts:
            continue
        key = f"legacy {member.k}" if member.legacy else member.signature
        sets.setdefault(key, []).append(member)

    def alone(member: _Member) -> list[Finding]:
        work = workdir / f"alone-{member.k}"
        work.mkdir()
        return _check_alone(member.rendered, work)

    found = []
    for group in sets.values():
        found += jointly(group, lambda ms: _joint_passes(ms, workdir), alone)
    return found
