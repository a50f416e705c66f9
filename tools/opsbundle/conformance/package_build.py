"""package-build/v1: what every implementation's rendered packaging must give
a host, whatever its family, so a site can switch between bundles (or fork
one) without its logs, units or sudo rules moving.

Checked on what the templates render for every project the bundle packages
(the same values `opsbundle validate` uses); building and linting the
packages is in the bundles' tests, where the real tools run."""

from __future__ import annotations

import configparser
import re

from ..pkgbuild import plan
from ..pkgbuild.build import BuildError, Job
from .result import Result

INTERFACE = "package-build/v1"
LOGS = "logs where log-collection/v1 says"
UNITS = "units run the project as its user"
SUDO = "sudo only through rootwrap"
VERSION = "package version spelled with ~"


def _unit_service(text: str) -> dict:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    return dict(parser["Service"]) if parser.has_section("Service") else {}


def _cases(job: Job, family: str):
    """(kind, case, ok, detail) for one project."""
    proj, name = job.project, job.project["name"]
    log_dir = proj["log_dir"]
    for _, text in job.renderings("logrotate"):
        ok = re.search(rf"(?m)^{re.escape(log_dir)}/\*\.log\s*\{{", text) is not None
        yield LOGS, f"{name} logrotate", ok, f"rotates no {log_dir}/*.log"
    for _, text in job.renderings("config"):
        ok = re.search(rf"(?m)^log_dir\s*=\s*{re.escape(log_dir)}\s*$", text) is not None
        yield LOGS, f"{name} config", ok, f"does not set log_dir = {log_dir}"
    for _, text in job.renderings("tmpfiles"):
        ok = re.search(rf"(?m)^d\s+{re.escape(log_dir)}\s+\S+\s+{proj['user']}\s", text)
        yield LOGS, f"{name} tmpfiles", ok is not None, f"does not create {log_dir}"
    for unit, text in job.renderings("unit"):
        service = _unit_service(text)
        start = service.get("ExecStart", "").split()
        ok = (
            start[:1] == [f"/usr/bin/{unit['exec']}"]
            and f"{proj['config_dir']}/{name}.conf" in start
            and service.get("User") == proj["user"]
        )
        detail = f"ExecStart={' '.join(start)!r}, User={service.get('User')!r}"
        yield UNITS, f"{unit['name']}.service", ok, detail
    for _, text in job.renderings("sudoers"):
        rules = [ln for ln in text.splitlines() if "NOPASSWD:" in ln]
        wanted = f"/usr/bin/{name}-rootwrap {proj['config_dir']}/rootwrap.conf *"
        ok = bool(rules) and all(ln.split("NOPASSWD:", 1)[1].strip() == wanted for ln in rules)
        yield SUDO, f"{name} sudoers", ok, f"rules {rules!r}, expected only {wanted!r}"
    spelled = job.build["version"]
    if family == "rpm":
        text = job.render("spec")
        ok = re.search(rf"(?m)^Version:\s*{re.escape(spelled)}\s*$", text) is not None
        yield VERSION, f"{name} spec", ok, f"no `Version: {spelled}`"
    else:
        text = job.render("changelog")
        wanted = f"{proj['package']} ({spelled}-{job.build['release']})"
        yield VERSION, f"{name} changelog", text.startswith(wanted), f"does not start {wanted!r}"


def run(ctx, bundles) -> list[Result]:
    results = []
    for bundle in bundles:
        family = plan.section(bundle).get("family")
        samples = bundle.sample_values()
        for name in plan.section(bundle).get("projects") or {}:
            try:
                proj = plan.project(ctx, bundle, name)
                job = Job(ctx, bundle, proj, None, samples, None, plan.sample_build())
                cases = list(_cases(job, family))
            except (plan.PlanError, BuildError, configparser.Error) as exc:
                results.append(Result(bundle.ref, "renders", name, False, str(exc)))
                continue
            results += [Result(bundle.ref, k, c, ok, "" if ok else d) for k, c, ok, d in cases]
    return results
