"""What a project's source says it provides, read without running it: the
console scripts and WSGI applications its packaging declares, the data files
it installs, the requirements it has. The units, WSGI configs and sudo rules a
package gets follow from this, so they change with the release being built.

Read from setup.cfg (pbr: `[entry_points] console_scripts`, `wsgi_scripts`,
`[files] packages`, `data_files`) and pyproject.toml (`[project.scripts]`,
`[project.entry-points.wsgi_scripts]`); a WSGI application is also a module
`<package>/wsgi/<name>.py` that assigns `application` at its top level (what
projects ship since pbr's wsgi_scripts were deprecated).
"""

from __future__ import annotations

import configparser
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BuildError

_APPLICATION = re.compile(r"^application\s*=", re.M)


@dataclass(frozen=True)
class EntryPoints:
    console_scripts: frozenset[str] = frozenset()
    wsgi_scripts: frozenset[str] = frozenset()
    wsgi_modules: frozenset[str] = frozenset()
    # installed folder (as data_files names it) -> source files or globs
    data_files: dict = field(default_factory=dict)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _names(value: str) -> set[str]:
    """Names of `name = module:function` lines."""
    return {line.split("=", 1)[0].strip() for line in _lines(value) if "=" in line}


def _data_files(value: str) -> dict:
    """pbr's data_files: `target =` followed by indented sources, or `target = glob`."""
    out: dict[str, list[str]] = {}
    target = None
    for raw in value.splitlines():
        line = raw.strip()
        if not line:
            continue
        if "=" in line:
            target, _, rest = (part.strip() for part in line.partition("="))
            out.setdefault(target, [])
            if rest:
                out[target].append(rest)
        elif target is not None:
            out[target].append(line)
    return out


def _setup_cfg(path: Path) -> tuple[set, set, list, dict]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error as exc:
        raise BuildError(f"{path}: {exc}") from None
    points = parser["entry_points"] if parser.has_section("entry_points") else {}
    files = parser["files"] if parser.has_section("files") else {}
    scripts = _names(points.get("console_scripts", ""))
    wsgi = _names(points.get("wsgi_scripts", ""))
    packages = _lines(files.get("packages", ""))
    name = parser.get("metadata", "name", fallback="")
    if not packages and name:
        packages = [re.sub(r"[-.]+", "_", name).lower()]
    return scripts, wsgi, packages, _data_files(files.get("data_files", ""))


def _pyproject(path: Path) -> tuple[set, set]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(f"{path}: {exc}") from None
    project = data.get("project") or {}
    scripts = set((project.get("scripts") or {}).keys())
    wsgi = set(((project.get("entry-points") or {}).get("wsgi_scripts") or {}).keys())
    return scripts, wsgi


def read(source: Path) -> EntryPoints:
    scripts: set[str] = set()
    wsgi: set[str] = set()
    packages: list[str] = []
    data: dict = {}
    if (source / "setup.cfg").is_file():
        scripts, wsgi, packages, data = _setup_cfg(source / "setup.cfg")
    if (source / "pyproject.toml").is_file():
        more_scripts, more_wsgi = _pyproject(source / "pyproject.toml")
        scripts |= more_scripts
        wsgi |= more_wsgi
    modules = set()
    for package in packages:
        top = package.split(".")[0]
        for path in sorted((source / top / "wsgi").glob("*.py")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if _APPLICATION.search(text):
                modules.add(f"{top}.wsgi.{path.stem}")
    return EntryPoints(frozenset(scripts), frozenset(wsgi), frozenset(modules), data)


def everything(entry: dict) -> EntryPoints:
    """A source that has every daemon and WSGI application the catalogue
    lists for a project (and rootwrap where it says so): what validation
    renders, so every path of the templates is checked."""
    daemons = {d["exec"] for d in entry.get("daemons") or []}
    name = entry.get("name", "")
    rootwrap = {f"{name}-rootwrap", f"{name}-rootwrap-daemon"} if entry.get("rootwrap") else set()
    apps = entry.get("wsgi") or []
    return EntryPoints(
        frozenset(daemons | rootwrap),
        frozenset(a["script"] for a in apps if a.get("script")),
        frozenset(a["module"] for a in apps if a.get("module")),
        {},
    )
