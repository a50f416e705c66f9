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
from ..pkgbuild.errors import BuildError
from . import hostfiles
from .hostfiles import host_files, jobs, template_shown

TOOL = "rpm"
BINARY = "rpmspec"
BINARIES = ("rpmspec", "systemd-analyze", "logrotate")
PACKAGE = "rpm, systemd, logrotate"
_LINE = re.compile(r"^error: line (\d+): (.*)$")


def check(batch, workdir) -> list:
    found: list[Finding] = []
    units, rotates = [], []
    for job in jobs(batch):
        bundle, proj = job.bundle, job.project
        spec_shown = template_shown(bundle, "spec")
        try:
            text = job.render("spec")
            u, r = host_files(job)
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
