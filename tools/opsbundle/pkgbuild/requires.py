"""A source's Python requirements (requirements.txt), parsed once, for each
family to spell as its own dependencies: rpm as `python3dist(<name>)`
(packaging/rpm), deb as Debian's package names (packaging/deb).

Environment markers are evaluated for the Python that runs the build (the
distribution's python3: the package's own interpreter); a requirement whose
marker is false there is left out. Every version clause is kept: the family
decides what its dependency language can say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError

# What validation renders with: one clause of each kind the families translate.
SAMPLE = ("pbr!=2.1.0,>=2.0.0", "oslo.config>=6.8.0", "oslo.privsep~=2.4")


@dataclass(frozen=True)
class Requirement:
    name: str  # as the source writes it: oslo.config
    key: str  # PEP 503's normalised name: oslo-config
    clauses: tuple[tuple[str, str], ...]  # (operator, version), in the order written


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(lines, where: str = "requirements") -> list[Requirement]:
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed

    out = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            req = Parsed(line)
        except InvalidRequirement as exc:
            raise BuildError(f"{where}: {line!r}: {exc}") from None
        if req.marker is not None and not req.marker.evaluate():
            continue
        clauses = tuple((spec.operator, spec.version) for spec in req.specifier)
        out.append(Requirement(req.name, canonical(req.name), clauses))
    return out


def read(source: Path, extras=()) -> list[Requirement]:
    """requirements.txt, and the requirements of each of `extras` the source
    has (setup.cfg [extras]: what RDO's python3-keystone+memcache pulls in;
    keystone 28 has no `memcache` extra any more, so a release may lack one)."""
    import configparser

    out = []
    path = source / "requirements.txt"
    if path.is_file():
        text = path.read_text(encoding="utf-8", errors="replace")
        out += parse(text.splitlines(), str(path))
    if extras:
        cfg = configparser.ConfigParser(interpolation=None, strict=False)
        cfg.read(source / "setup.cfg", encoding="utf-8")
        for extra in extras:
            lines = cfg.get("extras", extra, fallback="")
            out += parse(lines.splitlines(), f"{source}/setup.cfg [extras] {extra}")
    return out


def sample() -> list[Requirement]:
    return parse(SAMPLE, "sample")


def upper_of(version: str) -> str:
    """The first version `~= version` excludes: ~=2.4 -> 3, ~=2.4.1 -> 2.5."""
    parts = version.split(".")
    head = parts[:-1] if len(parts) > 1 else parts
    head = [re.match(r"\d+", p)[0] if re.match(r"\d+", p) else "0" for p in head]
    head[-1] = str(int(head[-1]) + 1)
    return ".".join(head)
