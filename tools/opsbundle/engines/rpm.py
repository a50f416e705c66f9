"""rpmspec -P on the spec of every project an rpm bundle packages, rendered
with the bundle's defaults and the sample build values validation uses, plus
the units and logrotate files those packages install (see hostfiles).

`rpmspec -P` is rpm's own spec parser: it expands every macro and fails on
unknown tags, bad conditionals and broken sections, printing `line N`, which
is reported with that line of the rendered spec."""

from __future__ import annotations

import re
import subprocess

from ..findings import Finding
from ..pkgbuild import plan
from ..pkgbuild.build import BuildError, Job
from . import hostfiles

TOOL = "rpm"
BINARY = "rpmspec"
BINARIES = ("rpmspec", "systemd-analyze", "logrotate")
PACKAGE = "rpm, systemd, logrotate"
_LINE = re.compile(r"^error: line (\d+): (.*)$")


def host_files(job, shown_unit: str, shown_logrotate: str):
    """The units and logrotate files one project's package installs."""
    units, rotates = [], []
    proj = job.project
    for unit, text in job.renderings("unit"):
        name = f"{unit['name']}.service"
        label = f"{name} of {proj['package']}"
        units.append(hostfiles.HostFile(shown_unit, label, text, name, job.bundle.ref))
    for _, text in job.renderings("logrotate"):
        label = f"logrotate of {proj['package']}"
        rotates.append(
            hostfiles.HostFile(shown_logrotate, label, text, proj["user"], job.bundle.ref)
        )
    return units, rotates


def jobs(rendered):
    """A Job per project the bundle packages, with validation's sample values."""
    bundle, ctx = rendered.bundle, rendered.ctx
    samples = bundle.sample_values()
    for name in plan.section(bundle).get("projects") or {}:
        try:
            proj = plan.project(ctx, bundle, name)
        except plan.PlanError:
            continue  # the pkgbuild check family reports it
        yield Job(ctx, bundle, proj, None, samples, None, plan.sample_build())


def template_shown(bundle, key: str) -> str:
    return f"{bundle.ref}/{plan.template_path(bundle, key).relative_to(bundle.path).as_posix()}"


def check(batch, workdir) -> list:
    found: list[Finding] = []
    units, rotates = [], []
    for rendered in batch:
        bundle = rendered.bundle
        if not plan.section(bundle):
            continue
        spec_shown = template_shown(bundle, "spec")
        for job in jobs(rendered):
            proj = job.project
            try:
                text = job.render("spec")
                u, r = host_files(
                    job, template_shown(bundle, "unit"), template_shown(bundle, "logrotate")
                )
            except BuildError as exc:
                found.append(Finding("NAT001", spec_shown, str(exc), bundle=bundle.ref))
                continue
            units += u
            rotates += r
            spec = workdir / f"{proj['package']}.spec"
            spec.write_text(text, encoding="utf-8")
            done = subprocess.run(
                ["rpmspec", "-P", str(spec)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            if done.returncode == 0:
                continue
            lines = text.splitlines()
            for line in done.stderr.strip().splitlines() or [f"exit {done.returncode}"]:
                m = _LINE.match(line)
                if m and 0 < int(m[1]) <= len(lines):
                    n = int(m[1])
                    line = f"line {n} of the rendered spec ({lines[n - 1].strip()!r}): {m[2]}"
                found.append(
                    Finding(
                        "NAT001",
                        spec_shown,
                        f"rpmspec -P ({proj['package']}): {line}",
                        bundle=bundle.ref,
                    )
                )
    found += hostfiles.verify_units(units, workdir)
    found += hostfiles.check_logrotate(rotates, workdir)
    return found
