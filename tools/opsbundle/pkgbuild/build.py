"""`opsbundle build`: one project, from a site's source folder, into packages.

Everything happens in scratch folders; the packages and `build.json` (the
summary) are moved into OUT with the same rename-only swap `render` uses, so a
failed build leaves OUT exactly as it was. The build itself runs the family's
own tool (rpmbuild, dpkg-buildpackage), offline: pbr is told the version, and
the tools install from the source folder without fetching anything.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..bundle import Bundle
from ..checks import Context, run_all
from ..findings import ERROR
from ..output import OutputError, staged_output
from ..render import vocabulary
from ..templating import TemplateProblem, compiled
from ..values import ValuesError, resolve
from . import depends, entrypoints, plan, requires
from .errors import BuildError
from .version import Version, VersionError, compute

SUMMARY = "build.json"
SUMMARY_FORMAT = 1


@dataclass
class Job:
    ctx: Context
    bundle: Bundle
    project: dict
    version: Version
    params: dict
    source: Path
    build: dict

    def render(self, key: str, item: dict | None = None) -> str:
        """One build template, rendered; errors name the template's line."""
        path = plan.template_path(self.bundle, key)
        shown = f"{self.bundle.ref}/{path.relative_to(self.bundle.path).as_posix()}"
        values = plan.values(
            self.ctx, self.bundle, self.params, self.project, self.build, item, key
        )
        try:
            return compiled(path.read_text(encoding="utf-8")).render(values)
        except TemplateProblem as exc:
            raise BuildError(f"{shown}:{exc.line}: {exc.message}") from None

    def renderings(self, key: str):
        """Each rendering of template `key` with its item; none when the
        bundle has no such template (the other family's: uwsgi, httpd)."""
        if key not in (plan.section(self.bundle).get("templates") or {}):
            return
        for item in plan.renderings(key, self.project):
            yield item, self.render(key, item)


def drivers() -> dict:
    from . import deb, rpm

    return {m.FAMILY: m for m in (rpm, deb)}


def build(
    root: Path,
    name: str,
    project_name: str,
    source: Path,
    out: Path,
    layers: list,
    version_override: str | None = None,
    force: bool = False,
) -> dict:
    ctx = Context.for_repo(root)
    bundle = ctx.named(name)
    if bundle.manifest is None:
        raise BuildError("\n".join(f.as_text() for f in bundle.load_findings))
    family = plan.section(bundle).get("family")
    driver = drivers().get(family)
    if driver is None:
        raise BuildError(f"{bundle.ref} does not implement {plan.SECTION}; nothing to build")
    invalid = [f.as_text() for f in run_all(ctx, bundle) if f.severity == ERROR]
    if invalid:
        raise BuildError("the bundle does not validate:\n" + "\n".join(invalid))
    source = source.absolute()
    if not (source / "setup.py").is_file() and not (source / "setup.cfg").is_file():
        raise BuildError(f"{source}: no setup.py or setup.cfg; point --source at the project")
    try:
        params = resolve(bundle, layers, vocabulary(ctx))
        project = plan.project(ctx, bundle, project_name)  # the catalogue's view
        reqs = requires.read(source, project.get("extras") or ())
        project = plan.project(ctx, bundle, project_name, entrypoints.read(source), reqs)
        version = compute(source, project.get("dist"), version_override)
        build_vals = plan.build_values(
            version,
            str(params.get("package_release", "1")),
            depends=depends.for_family(family, reqs),
        )
        version.package  # noqa: B018 - raises VersionError for versions pbr never writes
    except (ValuesError, plan.PlanError, VersionError, BuildError) as exc:
        raise BuildError(str(exc)) from None
    if project["unknown"]:
        # a release with a WSGI application the catalogue has no port for:
        # packaging it without a unit would ship an API nobody starts
        raise BuildError(
            f"{source} provides WSGI applications {', '.join(project['unknown'])} that "
            f"{plan.SECTION} projects.yaml does not list for {project_name}: add them "
            "(name, port) or list them under not_services with the reason"
        )
    missing = [tool for tool in driver.TOOLS if shutil.which(tool) is None]
    if missing:
        raise BuildError(
            f"{', '.join(missing)} not installed (Debian packages: {' '.join(driver.PACKAGES)})"
        )
    job = Job(ctx, bundle, project, version, params, source, build_vals)
    try:
        with staged_output(out.absolute(), force, root) as staging:
            with tempfile.TemporaryDirectory(prefix="opsbundle-build-") as tmp:
                built = driver.build(job, Path(tmp))
                packages = []
                for path in built:
                    shutil.copy2(path, staging / path.name)
                    packages.append(
                        {
                            "file": path.name,
                            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                            **driver.describe(staging / path.name),
                        }
                    )
            summary = {
                "format": SUMMARY_FORMAT,
                "bundle": bundle.ref,
                "bundle_version": bundle.version,
                "family": family,
                "project": project_name,
                "source": str(source),
                "version": {
                    "pbr": version.pbr,
                    "package": version.package,
                    "release": build_vals["release"],
                    "from": version.source,
                },
                "packages": packages,
                "units": [u["name"] for u in project["units"]],
                "wsgi": [
                    {"name": a["name"], "port": a["port"], "served": a["served"]}
                    for a in project["apps"]
                ],
            }
            (staging / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    except OutputError as exc:
        raise BuildError(str(exc)) from None
    except (OSError, shutil.Error) as exc:
        raise BuildError(f"build stopped: {exc}") from None
    return summary
