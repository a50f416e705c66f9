"""What one build of one project needs: the bundle's package-build/v1 section,
the project as the interface describes it, and the values every build template
sees. `opsbundle validate` and `opsbundle build` both go through here, so a
template is checked with exactly the names a build gives it.

A template sees the bundle's parameters, `interface`, and:
    project   the project (interface data + the bundle's per-project data),
              with package, log_dir, state_dir, run_dir and config_dir added
    build     version (package spelling), pbr_version, release, date_rpm,
              date_deb, source_dir (the folder name inside the source tarball)
    unit      for the `unit` template only: one entry of project.units
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from ..interfaces import interface_data
from ..load import read_yaml
from . import INTERFACE as SECTION

LOGS = "log-collection/v1"
BUILD_NAMES = frozenset({"project", "build", "unit"})
# The templates each family's driver renders; `unit` once per systemd unit.
REQUIRED = {
    "rpm": ("spec", "unit", "logrotate", "tmpfiles", "sudoers", "config"),
    "deb": (
        "control",
        "rules",
        "changelog",
        "copyright",
        "install",
        "postinst",
        "source_format",
        "lintian_overrides",
        "unit",
        "logrotate",
        "tmpfiles",
        "sudoers",
        "config",
    ),
}
# The config language of each template (escape/): free text reaches it only
# through that language's filter. The rest hold no free text.
LANGUAGES = {
    "spec": "rpm-spec",
    "control": "debian-control",
    "rules": "make",
    "changelog": "debian-changelog",
    "unit": "systemd",
    "config": "ini",
    "postinst": "shell",
}
# Keys the interface guarantees; a bundle's per-project data may not change them.
DERIVED = ("name", "package", "log_dir", "state_dir", "run_dir", "config_dir")


class PlanError(Exception):
    """The bundle cannot build this project; the message says why."""


def section(bundle) -> dict:
    sec = bundle.implements().get(SECTION)
    return sec if isinstance(sec, dict) else {}


def catalogue(ctx) -> dict:
    iface = ctx.registry.interfaces.get(SECTION)
    projects = iface.data.get("projects") if iface else None
    return projects if isinstance(projects, dict) else {}


def package_name(name: str, entry: dict) -> str:
    if entry.get("kind") == "library":
        dist = re.sub(r"[-_.]+", "-", str(entry.get("dist", name))).lower()
        return f"python3-{dist}"
    return f"openstack-{name}"


def log_dir(ctx, layout: str, name: str) -> str:
    logs = ctx.registry.interfaces.get(LOGS)
    layouts = logs.data.get("layouts", {}) if logs else {}
    path = (layouts.get(layout) or {}).get("path")
    if not isinstance(path, str):
        raise PlanError(f"log layout {layout!r} is not in {LOGS} layouts.yaml")
    return path.format(service=name)


def project_data(bundle, name: str) -> dict:
    entry = (section(bundle).get("projects") or {}).get(name)
    rel = entry.get("data") if isinstance(entry, dict) else None
    if not isinstance(rel, str):
        raise PlanError(f"{bundle.ref} does not package {name!r}")
    problem = bundle.source_problem(rel)
    if problem:
        raise PlanError(f"{bundle.ref}: projects.{name}.data: {problem[1]}")
    doc, found = bundle.once(
        ("project data", rel), lambda: read_yaml(bundle.path / rel, f"{bundle.ref}/{rel}")
    )
    if found or doc is None or not isinstance(doc.data, dict):
        detail = "; ".join(f.as_text() for f in found) or "not a mapping"
        raise PlanError(f"{bundle.ref}/{rel}: {detail}")
    return doc.data


def project(ctx, bundle, name: str) -> dict:
    known = catalogue(ctx)
    if name not in known:
        raise PlanError(
            f"{name!r} is not a project of {SECTION} (known: {', '.join(sorted(known))})"
        )
    entry = dict(known[name])
    data = project_data(bundle, name)
    clash = sorted(set(data) & (set(entry) | set(DERIVED)))
    if clash:
        raise PlanError(
            f"{bundle.ref}: data of {name!r} redefines {', '.join(clash)}, "
            f"which {SECTION} projects.yaml fixes"
        )
    layout = section(bundle).get("log_layout", "rdo")
    merged = {**entry, **data, "name": name, "package": package_name(name, entry)}
    merged.update(
        log_dir=log_dir(ctx, layout, name),
        state_dir=f"/var/lib/{name}",
        run_dir=f"/run/{name}",
        config_dir=f"/etc/{name}",
    )
    return merged


def python_requires(source: Path) -> list[dict]:
    """The source's requirements.txt as rpm dependencies: Fedora and RDO name a
    Python distribution's package python3-<name, lower case, . and _ as ->,
    and the lowest version allowed becomes `>=`. Lines with environment
    markers are left out: they hold for some Pythons only."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    path = source / "requirements.txt"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            raise PlanError(f"{path}: {line!r}: {exc}") from None
        if req.marker is not None:
            continue
        lows = []
        for spec in req.specifier:
            if spec.operator in (">=", "==", "~="):
                try:
                    lows.append(Version(spec.version))
                except InvalidVersion:
                    continue
        low = str(max(lows)) if lows else ""
        out.append({"name": re.sub(r"[-_.]+", "-", req.name).lower(), "min": low})
    return out


def build_values(
    version, release: str, when: datetime.datetime | None = None, requires: list | None = None
) -> dict:
    when = when or datetime.datetime.now(datetime.UTC)
    return {
        "python_requires": requires or [],
        "version": version.package,
        "pbr_version": version.pbr,
        "version_source": version.source,
        "release": release,
        "date_rpm": when.strftime("%a %b %d %Y"),
        "date_deb": when.strftime("%a, %d %b %Y %H:%M:%S +0000"),
    }


def sample_build() -> dict:
    """The build values validation renders templates with (a pre-release, so
    the `~` spellings are exercised too)."""
    from .version import Version

    return build_values(
        Version("1.0.0.0rc1.dev2", "sample"),
        "1",
        datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        [{"name": "pbr", "min": "2.0.0"}, {"name": "oslo-config", "min": ""}],
    )


def renderings(key: str, proj: dict) -> list[dict | None]:
    """How often a template is rendered for a project: the `unit` argument of
    each rendering (None for templates not about one unit). Host files exist
    for services only; sudoers only for projects that use rootwrap; lintian
    overrides only for projects whose data lists some."""
    service = proj.get("kind") == "service"
    if key == "unit":
        return list(proj.get("units") or []) if service else []
    if key in ("logrotate", "tmpfiles", "config", "install", "postinst"):
        return [None] if service else []
    if key == "lintian_overrides":
        return [None] if proj.get("lintian_overrides") else []
    if key == "sudoers":
        return [None] if service and proj.get("rootwrap") else []
    return [None]


def values(ctx, bundle, params: dict, proj: dict, build: dict, unit: dict | None = None) -> dict:
    out = {**params, "interface": interface_data(ctx, bundle), "project": proj, "build": build}
    if unit is not None:
        out["unit"] = unit
    return out


def template_path(bundle, key: str) -> Path:
    rel = (section(bundle).get("templates") or {}).get(key)
    if not isinstance(rel, str):
        raise PlanError(f"{bundle.ref}: {SECTION} templates has no {key!r}")
    problem = bundle.source_problem(rel)
    if problem:
        raise PlanError(f"{bundle.ref}: templates.{key}: {problem[1]}")
    return bundle.path / rel
