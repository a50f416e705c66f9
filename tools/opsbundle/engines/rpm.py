"""rpm's own spec parser on the spec of every project an rpm bundle packages,
rendered with the bundle's defaults and the sample build values validation
uses, plus the units and logrotate files those packages install (see hostfiles).

The parser is the library behind `rpmspec -P`, run through python3-rpm in one
process for every spec of the run (rpmspec_check.py): it expands every macro
and fails on unknown tags, bad conditionals and broken sections, printing
`line N`, which is reported with that line of the rendered spec. Expanding
macros runs `%(...)` and `%{lua:...}`, so the parser runs in confine's box,
seeing only /usr, this script and the specs. The
httpd/mod_wsgi sites the packages ship are read by `apache2 -t`, their
sudoers files by `visudo -c` (see hostfiles)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..findings import Finding
from . import confine, json_lines

TOOL = "rpm"
BINARY = "python3-rpm"
BINARIES = (confine.BINARY, "systemd-analyze", "logrotate", "apache2", "visudo")
PACKAGE = "python3-rpm, bubblewrap, systemd, logrotate, apache2, libapache2-mod-wsgi-py3, sudo"
PYTHON = Path("/usr/bin/python3")  # Debian's, where python3-rpm is installed
RPM_MODULE = Path("/usr/lib/python3/dist-packages/rpm")
IDENTITY = (PYTHON,)
USES = ("engines/hostfiles.py", "engines/rpmspec_check.py")
SCRIPT = Path(__file__).with_name("rpmspec_check.py")
_LINE = re.compile(r"^error: line (\d+): (.*)$")


def available() -> bool:
    return PYTHON.is_file() and (RPM_MODULE / "__init__.py").is_file()


def identity_files() -> list[str]:
    return sorted(str(p) for p in RPM_MODULE.glob("_rpm*.so"))


def prepare(rendered) -> list[Finding]:
    """Render every project's spec, units and logrotate files into
    `rendered.inputs` (the cache keys on them)."""
    from ..pkgbuild.errors import BuildError
    from .hostfiles import host_files, jobs, project_inputs, template_shown

    found, projects = [], []
    for job in jobs([rendered]):
        shown = template_shown(job.bundle, "spec")
        try:
            spec = job.render("spec")
            files_on_host = host_files(job)
        except BuildError as exc:
            found.append(Finding("NAT001", shown, str(exc), bundle=rendered.ref))
            continue
        projects.append(project_inputs(job, files_on_host, spec=spec, shown=shown))
    rendered.inputs["projects"] = json.dumps(projects, sort_keys=True)
    return found


def check(batch, workdir) -> list:
    from .hostfiles import installed_files, prepared

    found: list[Finding] = []
    projects = prepared(batch)
    specs = []
    for n, (_, proj) in enumerate(projects):
        spec = workdir / f"{n}" / f"{proj['package']}.spec"
        spec.parent.mkdir()
        spec.write_text(proj["spec"], encoding="utf-8")
        specs.append(spec)
    if projects:
        confine.require()
    parser = confine.argv([str(PYTHON), "-I", str(SCRIPT)], read=(SCRIPT, workdir))
    for (ref, proj), answer in zip(projects, json_lines(parser, specs), strict=True):
        if answer["ok"]:
            continue
        lines = proj["spec"].splitlines()
        for line in answer["log"].strip().splitlines() or ["the spec does not parse"]:
            m = _LINE.match(line)
            if m and 0 < int(m[1]) <= len(lines):
                n = int(m[1])
                line = f"line {n} of the rendered spec ({lines[n - 1].strip()!r}): {m[2]}"
            found.append(
                Finding("NAT001", proj["shown"], f"rpmspec -P ({proj['package']}): {line}",
                        bundle=ref)
            )  # fmt: skip
    found += installed_files(projects, workdir)
    return found
