"""package-build/v2: what every implementation's rendered packaging must give
a host, whatever its family, so a site can switch between bundles (or fork
one) without its logs, units, WSGI servers or sudo rules moving.

Checked on what the templates render for every project the bundle packages
(the same values `opsbundle validate` uses: a source with every daemon and
WSGI application the catalogue lists); building, installing and running the
packages is in the bundles' tests and the test cloud, where the real tools run."""

from __future__ import annotations

import configparser
import re

from ..pkgbuild import plan
from ..pkgbuild.build import BuildError, Job
from .result import Result

INTERFACE = "package-build/v2"
LOGS = "logs where log-collection/v1 says, readable by group adm"
UNITS = "units run the project as its user, with its config"
WSGI = "WSGI applications served on their documented port"
SUDO = "sudo only through rootwrap and privsep"
VERSION = "package version spelled with ~"


def _unit_service(text: str) -> dict:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    return dict(parser["Service"]) if parser.has_section("Service") else {}


def _ini(text: str) -> dict:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(text)
    return dict(parser["uwsgi"]) if parser.has_section("uwsgi") else {}


def _sudo_rules(proj: dict) -> set[str]:
    name, cfg, sudo = proj["name"], proj["config_dir"], proj["sudo"]
    wanted = set()
    if sudo.get("rootwrap"):
        wanted.add(f"/usr/bin/{name}-rootwrap {cfg}/rootwrap.conf *")
    if sudo.get("rootwrap_daemon"):
        wanted.add(f"/usr/bin/{name}-rootwrap-daemon {cfg}/rootwrap.conf")
    if sudo.get("privsep"):
        wanted.add("/usr/bin/privsep-helper *")
    return wanted


def _cases(job: Job, family: str):
    """(kind, case, ok, detail) for one project."""
    proj, name = job.project, job.project["name"]
    log_dir, user = proj["log_dir"], proj.get("user", "")
    for _, text in job.renderings("logrotate"):
        ok = re.search(rf"(?m)^{re.escape(log_dir)}/\*\.log\s*\{{", text) is not None
        yield LOGS, f"{name} logrotate", ok, f"rotates no {log_dir}/*.log"
    for conf, text in job.renderings("config"):
        if conf["main"]:
            ok = re.search(rf"(?m)^log_dir\s*=\s*{re.escape(log_dir)}\s*$", text) is not None
            yield LOGS, f"{name} config", ok, f"does not set log_dir = {log_dir}"
    for _, text in job.renderings("tmpfiles"):
        ok = re.search(rf"(?m)^d\s+{re.escape(log_dir)}\s+2750\s+{user}\s+adm\s", text)
        yield LOGS, f"{name} tmpfiles", ok is not None, f"does not create {log_dir} {user}:adm"
    main = f"{proj['config_dir']}/{proj.get('config_file', '')}"
    for unit, text in job.renderings("unit"):
        service = _unit_service(text)
        start = service.get("ExecStart", "").split()
        if unit["kind"] == "wsgi":
            ini = f"{proj['config_dir']}/{unit['name']}-uwsgi.ini"
            ok = start[:3] == ["/usr/bin/uwsgi", "--ini", ini] and f":{unit['port']}" in start
        else:
            ok = start[:1] == [f"/usr/bin/{unit['exec']}"] and main in start
        ok = ok and service.get("User") == user and service.get("Group") == user
        detail = f"ExecStart={' '.join(start)!r}, User={service.get('User')!r}"
        yield UNITS, f"{unit['name']}.service", ok, detail
    for app, text in job.renderings("uwsgi"):
        ini = _ini(text)
        source = ini.get("module") == f"{app['module']}:application" if app["module"] else (
            ini.get("wsgi-file") == f"/usr/bin/{app['script']}"
        )  # fmt: skip
        ok = source and ini.get("uid") == user and ini.get("die-on-term") == "true"
        yield WSGI, f"{app['name']} uwsgi", ok, f"uwsgi options {ini!r}"
    for app, text in job.renderings("httpd"):
        ok = re.search(rf"(?m)^Listen {app['port']}$", text) is not None and (
            f"user={user} group={user}" in text
        )
        yield WSGI, f"{app['name']} httpd", ok, f"no `Listen {app['port']}` or not as {user}"
    for _, text in job.renderings("sudoers"):
        rules = {
            ln.split("NOPASSWD:", 1)[1].strip() for ln in text.splitlines() if "NOPASSWD:" in ln
        }
        wanted = _sudo_rules(proj)
        ok = rules == wanted and all(ln.startswith(f"{user} ALL = (root)") for ln in
                                     text.splitlines() if "NOPASSWD:" in ln)  # fmt: skip
        yield SUDO, f"{name} sudoers", ok, f"rules {sorted(rules)!r}, expected {sorted(wanted)!r}"
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
                job = Job(ctx, bundle, proj, None, samples, None, plan.sample_build(family))
                cases = list(_cases(job, family))
            except (plan.PlanError, BuildError, configparser.Error) as exc:
                results.append(Result(bundle.ref, "renders", name, False, str(exc)))
                continue
            results += [Result(bundle.ref, k, c, ok, "" if ok else d) for k, c, ok, d in cases]
    return results
