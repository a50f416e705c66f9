"""A source's requirements as each family's dependencies.

rpm: `python3dist(<PEP 503 name>)`, the name every Python package of RDO and
Fedora provides, with each version clause. deb: the Debian package dh_python3
itself would pick (dh-python's table of Debian's archive), with each version
bound in dpkg's spelling and the epoch the archive's package has.
"""

from __future__ import annotations

import functools
import re
import sys

from ..debian_archive import stanzas
from .requires import upper_of


def for_family(family, reqs, archive: bool = True) -> list[str]:
    """The dependency lines of `reqs` for `family` ('rpm' or 'deb')."""
    if family == "deb":
        return deb_depends(reqs, archive=archive)
    return rpm_requires(reqs) if family == "rpm" else []


def rpm_requires(reqs) -> list[str]:
    """Requires for the source's requirements as RDO and Fedora write them:
    `python3dist(<PEP 503 name>)`, which every Python package of theirs
    provides, with each version clause (`!=` as a rich dependency, the way
    Fedora's pyproject generator writes it)."""
    out = []
    for req in reqs:
        dist = f"python3dist({req.key})"
        lines = []
        for op, version in req.clauses:
            if op == "!=":
                lines.append(f"({dist} < {version} or {dist} > {version})")
            elif op == "~=":
                lines += [f"{dist} >= {version}", f"{dist} < {upper_of(version)}"]
            elif op in ("==", "===") and version.endswith(".*"):
                low = version[:-2]
                lines += [f"{dist} >= {low}", f"{dist} < {upper_of(low + '.0')}"]
            elif op in ("==", "==="):
                lines.append(f"{dist} = {version}")
            else:
                lines.append(f"{dist} {op} {version}")
        out += lines or [dist]
    return out


# dh-python's own table of which Debian package holds which Python
# distribution (generated from Debian's archive when dh-python was built).
DH_PYTHON = "/usr/share/dh-python"
_OPERATORS = {">=": ">=", ">": ">>", "<": "<<", "<=": "<=", "==": "=", "===": "="}


@functools.cache
def _pydist() -> dict:
    if DH_PYTHON not in sys.path:
        sys.path.append(DH_PYTHON)
    try:
        from dhpython.pydist import load
    except ImportError:
        return {}
    return load("cpython3")


def debian_name(name: str) -> str:
    """The Debian package of a Python distribution, looked up as dh_python3
    looks it up; without an entry, dh_python3's guess python3-<name>."""
    safe = re.sub(r"[^A-Za-z0-9.]+", "_", name).lower()
    for entry in _pydist().get(safe, ()):
        if entry.get("dependency"):
            return entry["dependency"].split()[0]
    return "python3-" + safe.replace("_", "-")


def archive_epochs(packages) -> dict[str, str]:
    """`N:` for each package whose archive version has an epoch, else ''.
    A bound without the epoch would compare below every version that has one."""
    found = {}
    for package, stanza in stanzas(packages).items():
        version = re.search(r"^Version: (?:(\d+):)?", stanza, re.M)
        found[package] = f"{version[1]}:" if version and version[1] else ""
    return found


def archive_epoch(package: str) -> str:
    return archive_epochs([package])[package]


def debian_version(version: str) -> str:
    """A PEP 440 version as dpkg orders it: pre-releases sort before with ~."""
    return re.sub(r"\.?(a|b|rc|dev)(\d+)", r"~\1\2", version)


def deb_depends(reqs, archive: bool = True) -> list[str]:
    """Depends entries for the source's requirements, with their version
    bounds; `!=` has no Debian spelling and is dropped (upstream excludes
    single broken releases with it, which Debian's archive does not ship)."""
    out = []
    names = {req.name: debian_name(req.name) for req in reqs}
    epochs = archive_epochs(names.values()) if archive else {}
    for req in reqs:
        package = names[req.name]
        epoch = epochs.get(package, "")
        bounds = []
        for op, version in req.clauses:
            if op == "~=":
                bounds += [(">=", version), ("<<", upper_of(version))]
            elif op == "==" and version.endswith(".*"):
                low = version[:-2]
                bounds += [(">=", low), ("<<", upper_of(low + ".0"))]
            elif op in _OPERATORS:
                bounds.append((_OPERATORS[op], version))
        if not bounds:
            out.append(package)
        for op, version in bounds:
            out.append(f"{package} ({op} {epoch}{debian_version(version)})")
    return out
