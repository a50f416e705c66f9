"""What one build of one project needs: the bundle's package-build/v2 section,
the project as the interface describes it, what the source provides, and the
values every build template sees. `opsbundle validate` and `opsbundle build`
both go through here, so a template is checked with exactly the names a build
gives it.

A template sees the bundle's parameters, `interface`, and:
    project   the project (interface data + the bundle's per-project data),
              with package, log_dir, state_dir, run_dir and config_dir added,
              and what the source decides (see `services`): units, apps,
              config_files, sudo, filters, unknown
    build     version (package spelling), pbr_version, release, date_rpm,
              date_deb, requires (the family's dependency lines)
    unit      for `unit`: one entry of project.units
    app       for `uwsgi` and `httpd`: one entry of project.apps
    conf      for `config`: one entry of project.config_files
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from ..interfaces import interface_data
from ..load import read_yaml
from . import INTERFACE as SECTION
from . import depends, entrypoints, requires

LOGS = "log-collection/v1"
# The name each template's per-item value has (the others get none).
ITEM = {"unit": "unit", "uwsgi": "app", "httpd": "app", "config": "conf"}
BUILD_NAMES = frozenset({"project", "build", *ITEM.values()})
# The templates each family's driver renders; `unit` once per systemd unit.
REQUIRED = {
    "rpm": ("spec", "unit", "logrotate", "tmpfiles", "sudoers", "config", "httpd"),
    "deb": (
        "control",
        "rules",
        "changelog",
        "copyright",
        "install",
        "postinst",
        "postrm",
        "source_format",
        "lintian_overrides",
        "unit",
        "uwsgi",
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
    "postrm": "shell",
}
# Keys the interface guarantees or the source decides; a bundle's
# per-project data may not change them.
DERIVED = (
    "name",
    "package",
    "log_dir",
    "state_dir",
    "run_dir",
    "config_dir",
    "units",
    "apps",
    "config_files",
    "sudo",
    "filters",
    "unknown",
)
# Optional keys of a project (catalogue or bundle data) and of a unit, as a
# template sees them when nobody sets them.
PROJECT_DEFAULTS = {
    "conf_dirs": False,
    "config_links": {},
    "rootwrap_daemon": False,
    "not_services": {},
    "uid": None,
    "groups": [],
    "conflicts": [],
    "unit_deps": {},
}
UNIT_DEFAULTS = {"after": [], "requires": [], "environment": {}, "notify": False}
# Where the rootwrap filters go: a folder the upstream rootwrap.conf's
# filters_path names (/etc/<p>/rootwrap.d,/usr/share/<p>/rootwrap), as
# Debian (nova-compute: /etc/nova/rootwrap.d/compute.filters) and RDO
# (openstack-nova.spec: /usr/share/nova/rootwrap/) install them.
FILTERS = {"deb": "/etc/{name}/rootwrap.d", "rpm": "/usr/share/{name}/rootwrap"}


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


def project(ctx, bundle, name: str, points=None, reqs=None) -> dict:
    """The project as one build sees it. `points` and `reqs` are what the
    source provides (entrypoints.read, requires.read); without them, a
    source that has everything the catalogue lists (validation)."""
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
    for key, default in PROJECT_DEFAULTS.items():
        if merged.get(key) is None and default is not None:
            merged[key] = type(default)(default)
        merged.setdefault(key, default)
    if points is None:
        points = entrypoints.everything(merged)
        reqs = requires.sample() if merged.get("rootwrap") else []
    merged.update(services(merged, section(bundle).get("family"), points, reqs or []))
    return merged


def _app(entry: dict, points) -> dict | None:
    """A WSGI application of the catalogue as this source provides it (None
    when it does not): by module when it has one, else by script."""
    script = entry.get("script") if entry.get("script") in points.wsgi_scripts else None
    module = entry.get("module") if entry.get("module") in points.wsgi_modules else None
    if not (script or module):
        return None
    return {**entry, "script": script, "module": module, "served": entry.get("served", True)}


def services(proj: dict, family, points, reqs) -> dict:
    """The units, WSGI applications, config files and sudo rules a package of
    this source gets. A daemon is a unit when the source has its console
    script and no WSGI application replaces it; a served WSGI application is
    a uwsgi unit (deb) or an httpd site (rpm). `unknown` lists the source's
    WSGI applications the catalogue does not know (a new release's)."""
    name, cfg = proj["name"], proj.get("config_dir", "")
    if proj.get("kind") != "service":
        return {"units": [], "apps": [], "config_files": [], "sudo": {}, "filters": None,
                "unknown": []}  # fmt: skip
    apps = [a for a in (_app(e, points) for e in proj.get("wsgi") or []) if a]
    present = {a["name"] for a in apps}
    known = {e.get(k) for e in proj.get("wsgi") or [] for k in ("script", "module")}
    known |= set(proj.get("not_services") or {})
    unknown = sorted((points.wsgi_scripts | points.wsgi_modules) - known)
    deps = proj.get("unit_deps") or {}
    main = f"{cfg}/{proj.get('config_file') or name + '.conf'}"
    conf_dirs = proj.get("conf_dirs")

    def dirs(unit: str) -> list[str]:
        return [f"{cfg}/conf.d/common", f"{cfg}/conf.d/{unit}"] if conf_dirs else []

    units = []
    for daemon in proj.get("daemons") or []:
        if daemon["exec"] not in points.console_scripts or daemon.get("replaced_by") in present:
            continue
        extra = [f"{cfg}/{f}" for f in daemon.get("config_files") or []]
        units.append(
            {
                **daemon,
                **(deps.get(daemon["exec"]) or {}),
                "name": daemon["exec"],
                "kind": "daemon",
                "config_files": [main, *extra],
                "config_dirs": dirs(daemon["exec"]),
            }
        )
    for app in apps:
        if app["served"] and family == "deb":
            units.append(
                {
                    **app,
                    **(deps.get(app["name"]) or {}),
                    "kind": "wsgi",
                    "notify": False,
                    "config_files": [main],
                    "config_dirs": dirs(app["name"]),
                }
            )
    extra_files = sorted(
        {f for d in proj.get("daemons") or [] for f in d.get("config_files") or []}
        - set(proj.get("config_links") or {})
        | {str(t) for t in (proj.get("config_links") or {}).values()}
    )
    config_files = [
        {"file": f, "main": f == main.rsplit("/", 1)[1], "path": f"{cfg}/{f}"}
        for f in [main.rsplit("/", 1)[1], *extra_files]
    ]
    links = {f"{cfg}/{t}": f"{cfg}/{n}" for n, t in (proj.get("config_links") or {}).items()}
    for conf in config_files:
        conf["dir"] = conf["path"].rsplit("/", 1)[0]
        read_as = {conf["path"], links.get(conf["path"], conf["path"])}
        conf["readers"] = [u["name"] for u in units if read_as & set(u["config_files"])]
    scripts = points.console_scripts
    sudo = {
        "rootwrap": f"{name}-rootwrap" in scripts,
        "rootwrap_daemon": bool(proj.get("rootwrap_daemon"))
        and f"{name}-rootwrap-daemon" in scripts,
        "privsep": any(r.key == "oslo-privsep" for r in reqs),
    }
    filters = None
    if sudo["rootwrap"]:
        sources = [
            glob
            for target, globs in points.data_files.items()
            if target.rstrip("/").endswith("rootwrap.d")
            for glob in globs
        ] or [f"etc/{name}/rootwrap.d/*.filters"]
        filters = {"from": sources, "to": FILTERS.get(family, FILTERS["rpm"]).format(name=name)}
    units = [{**UNIT_DEFAULTS, **u} for u in units]
    return {
        "units": units,
        "apps": apps,
        "config_files": config_files,
        "sudo": sudo,
        "filters": filters,
        "unknown": unknown,
    }


def build_values(
    version, release: str, when: datetime.datetime | None = None, depends: list | None = None
) -> dict:
    """`depends`: the family's own dependency lines for the source's
    requirements (rpm.requires, deb.depends)."""
    when = when or datetime.datetime.now(datetime.UTC)
    return {
        "requires": depends or [],
        "version": version.package,
        "pbr_version": version.pbr,
        "version_source": version.source,
        "release": release,
        "date_rpm": when.strftime("%a %b %d %Y"),
        "date_deb": when.strftime("%a, %d %b %Y %H:%M:%S +0000"),
    }


def sample_build(family=None) -> dict:
    """The build values validation renders templates with (a pre-release, so
    the `~` spellings are exercised too; the sample requirements spelled by
    the family, without asking the package archive)."""
    from .version import Version

    return build_values(
        Version("1.0.0.0rc1.dev2", "sample"),
        "1",
        datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        depends.for_family(family, requires.sample(), archive=False),
    )


def renderings(key: str, proj: dict) -> list[dict | None]:
    """How often a template is rendered for a project: the item each
    rendering is about (None for templates not about one). Host files exist
    for services only; sudoers when the source runs something through sudo;
    lintian overrides only for projects whose data lists some."""
    service = proj.get("kind") == "service"
    if key == "unit":
        return list(proj.get("units") or []) if service else []
    if key in ("uwsgi", "httpd"):
        return list(proj.get("apps") or []) if service else []
    if key == "config":
        return list(proj.get("config_files") or []) if service else []
    if key in ("logrotate", "tmpfiles", "install", "postinst", "postrm"):
        return [None] if service else []
    if key == "lintian_overrides":
        return [None] if proj.get("lintian_overrides") else []
    if key == "sudoers":
        return [None] if service and any((proj.get("sudo") or {}).values()) else []
    return [None]


def values(
    ctx, bundle, params: dict, proj: dict, build: dict, item: dict | None = None, key: str = ""
) -> dict:
    out = {**params, "interface": interface_data(ctx, bundle), "project": proj, "build": build}
    if item is not None:
        out[ITEM.get(key, "unit")] = item
    return out


def template_path(bundle, key: str) -> Path:
    rel = (section(bundle).get("templates") or {}).get(key)
    if not isinstance(rel, str):
        raise PlanError(f"{bundle.ref}: {SECTION} templates has no {key!r}")
    problem = bundle.source_problem(rel)
    if problem:
        raise PlanError(f"{bundle.ref}: templates.{key}: {problem[1]}")
    return bundle.path / rel
